import * as fs from 'node:fs';
import * as path from 'node:path';
import { CAMPAIGNS_PREFIX, campaignKeys } from '../core/campaign.ts';
import type { ObjectStore } from '../adapters/ports/objects.ts';

/** The folder of the seed function's bundle holding the bundled campaigns, compiled at synth: <name>.json, .mjml, .html. */
export const SEED_FOLDER = 'campaign-seed';

export interface SeedResult {
  readonly written: readonly string[];
  /** Campaigns already in the bucket: left as operators made them (edited, paused). */
  readonly kept: readonly string[];
}

/**
 * Writes each bundled campaign that config/campaigns/ does not hold yet: its MJML and HTML, then
 * its definition, which is what makes it visible. A campaign already there is never overwritten,
 * so a redeploy keeps what operators changed at run time.
 */
export async function seedCampaigns(objects: Pick<ObjectStore, 'list' | 'put'>, seedDir: string): Promise<SeedResult> {
  const present = new Set(await objects.list(CAMPAIGNS_PREFIX));
  const names = fs.readdirSync(seedDir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();
  const written: string[] = [];
  const kept: string[] = [];
  for (const name of names) {
    const keys = campaignKeys(name);
    if (present.has(keys.definition)) {
      kept.push(name);
      continue;
    }
    for (const [ext, key, type] of [['mjml', keys.mjml, 'text/plain'], ['html', keys.html, 'text/html'], ['json', keys.definition, 'application/json']] as const) {
      const file = path.join(seedDir, `${name}.${ext}`);
      if (fs.existsSync(file)) await objects.put(key, fs.readFileSync(file, 'utf-8'), `${type}; charset=utf-8`);
    }
    written.push(name);
  }
  return { written, kept };
}
