import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCampaignDir } from '../functions/commons/campaign-catalog.ts';
import type { Campaign } from '../functions/core/campaign.ts';
import { PROJECT_ROOT } from './project-root.ts';

export const DEFAULT_CAMPAIGN_DIR = path.join(PROJECT_ROOT, 'examples', 'campaigns');

/** A campaign with its e-mail's HTML compiled from MJML: what the stack turns into an SES template. */
export interface CompiledCampaign {
  readonly campaign: Campaign;
  /** Undefined for channels that send no e-mail. */
  readonly html: string | undefined;
}

// mjml 5 compiles asynchronously while a CDK app is built synchronously: compile in a child
// process, all templates in one call, remembered per process.
const compiled = new Map<string, string>();
const COMPILE = `
import mjml2html from 'mjml';
let input = '';
for await (const chunk of process.stdin) input += chunk;
const out = [];
for (const { source, file } of JSON.parse(input)) {
  const { html, errors } = await mjml2html(source, { validationLevel: 'strict', filePath: file });
  if (errors.length > 0) { console.error(file + ': ' + errors.map((e) => e.formattedMessage).join('; ')); process.exit(2); }
  out.push(html);
}
process.stdout.write(JSON.stringify(out));
`;

function compileMjml(files: readonly string[]): string[] {
  const missing = files.filter((f) => !compiled.has(f));
  if (missing.length > 0) {
    const input = JSON.stringify(missing.map((file) => ({ file, source: fs.readFileSync(file, 'utf-8') })));
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', COMPILE], { cwd: PROJECT_ROOT, input, encoding: 'utf-8', stdio: ['pipe', 'pipe', 'pipe'] });
    (JSON.parse(output) as string[]).forEach((html, i) => compiled.set(missing[i] ?? '', html));
  }
  return files.map((f) => compiled.get(f) ?? '');
}

/** Reads, validates and compiles every campaign in a folder (invalid definitions or MJML fail the synth). */
export function loadCampaigns(dir: string = DEFAULT_CAMPAIGN_DIR): CompiledCampaign[] {
  const campaigns = readCampaignDir(dir);
  const files = campaigns.flatMap((c) => (c.content === undefined ? [] : [path.join(dir, c.content.mjml)]));
  const html = new Map(compileMjml(files).map((h, i) => [files[i], h]));
  return campaigns.map((campaign) => ({ campaign, html: campaign.content === undefined ? undefined : html.get(path.join(dir, campaign.content.mjml)) }));
}
