import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCampaigns, type Campaign } from '../core/campaign.ts';

/** Reads and validates every campaign definition (*.json) in a folder, in file name order. */
export function readCampaignDir(dir: string): Campaign[] {
  if (!fs.existsSync(dir)) throw new Error(`no campaign folder ${dir}`);
  const entries = fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const source = path.join(dir, name);
      return { json: JSON.parse(fs.readFileSync(source, 'utf-8')) as unknown, source };
    });
  return parseCampaigns(entries);
}
