import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
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
  /** The definition file's text and the MJML source, as the seed writes them to the bucket. */
  readonly definitionText: string;
  readonly mjml: string | undefined;
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
  // readCampaignDir keeps the file name order: the i-th campaign is the i-th file.
  const texts = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => fs.readFileSync(path.join(dir, f), 'utf-8'));
  return campaigns.map((campaign, i) => {
    const mjmlFile = campaign.content === undefined ? undefined : path.join(dir, campaign.content.mjml);
    return {
      campaign,
      html: mjmlFile === undefined ? undefined : html.get(mjmlFile),
      definitionText: texts[i] ?? '',
      mjml: mjmlFile === undefined ? undefined : fs.readFileSync(mjmlFile, 'utf-8'),
    };
  });
}

/**
 * The bundled campaigns as the seed function carries them (<name>.json, .mjml, .html), in a folder
 * named by their content's hash, so the seed custom resource changes, and runs, only when they do.
 */
export function stageCampaignSeed(compiled: readonly CompiledCampaign[]): { dir: string; hash: string } {
  const files = compiled.flatMap((c) => [
    [`${c.campaign.name}.json`, c.definitionText],
    ...(c.mjml === undefined ? [] : [[`${c.campaign.name}.mjml`, c.mjml]]),
    ...(c.html === undefined ? [] : [[`${c.campaign.name}.html`, c.html]]),
  ] as [string, string][]);
  const hash = createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 16);
  const dir = path.join(os.tmpdir(), 'strata-campaign-seed', hash);
  if (!fs.existsSync(dir)) {
    const partial = `${dir}.${process.pid}.partial`;
    fs.mkdirSync(partial, { recursive: true });
    for (const [name, text] of files) fs.writeFileSync(path.join(partial, name), text);
    try {
      fs.renameSync(partial, dir);
    } catch {
      fs.rmSync(partial, { recursive: true, force: true }); // another synth staged the same content first
    }
  }
  return { dir, hash };
}
