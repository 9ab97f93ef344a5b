import * as fs from 'node:fs';
import * as path from 'node:path';
import { CAMPAIGNS_PREFIX, campaignKeys, campaignOfKey, parseCampaign, parseCampaigns, templateName, type Campaign } from '../core/campaign.ts';
import type { EmailTemplateContent, EmailTemplates } from '../adapters/ports/email-templates.ts';
import type { ObjectStore } from '../adapters/ports/objects.ts';

/** Reads and validates every campaign definition (*.json) in a folder, in file name order (the bundled set). */
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

export interface CatalogEntry {
  readonly campaign: Campaign;
  readonly paused: boolean;
}

/** A definition in the bucket that cannot be used (a hand upload past the writer's checks), with why. */
export interface RefusedDefinition {
  readonly name: string;
  readonly key: string;
  readonly reason: string;
}

export interface CampaignCatalog {
  /** Usable definitions, paused or not, in name order. */
  readonly entries: readonly CatalogEntry[];
  readonly refused: readonly RefusedDefinition[];
}

/** Why a definition read from `key` cannot be used, or the campaign. */
export function checkStoredDefinition(key: string, name: string, text: string | undefined, hasHtml: boolean): Campaign | string {
  if (text === undefined) return 'the definition disappeared while it was read';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `not valid JSON: ${(error as Error).message}`;
  }
  let campaign: Campaign;
  try {
    campaign = parseCampaign(json, key);
  } catch (error) {
    return (error as Error).message;
  }
  if (campaign.name !== name) return `its name is ${campaign.name}, but the file is ${name}.json`;
  if (campaign.content !== undefined && !hasHtml) return `no compiled HTML ${campaignKeys(name).html}; write campaigns with strata campaigns add, which compiles the MJML`;
  return campaign;
}

/**
 * The campaigns in force, read from config/campaigns/ at each call (each dispatch run), so adding,
 * editing, pausing or resuming one needs no deploy. A definition that fails its checks is returned
 * among `refused` with the reason instead of failing the others.
 */
export async function loadCampaignCatalog(objects: Pick<ObjectStore, 'list' | 'readText'>): Promise<CampaignCatalog> {
  const keys = await objects.list(CAMPAIGNS_PREFIX);
  const parts = new Map<string, Set<string>>();
  for (const key of keys) {
    const of = campaignOfKey(key);
    if (of !== undefined) parts.set(of.name, (parts.get(of.name) ?? new Set()).add(of.part));
  }
  const names = [...parts].filter(([, p]) => p.has('definition')).map(([name]) => name).sort();
  const entries: CatalogEntry[] = [];
  const refused: RefusedDefinition[] = [];
  await Promise.all(
    names.map(async (name) => {
      const key = campaignKeys(name).definition;
      const own = parts.get(name) ?? new Set();
      const checked = checkStoredDefinition(key, name, await objects.readText(key), own.has('html'));
      if (typeof checked === 'string') refused.push({ name, key, reason: checked });
      else entries.push({ campaign: checked, paused: own.has('paused') });
    }),
  );
  return {
    entries: entries.sort((a, b) => a.campaign.name.localeCompare(b.campaign.name)),
    refused: refused.sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/** The SES template content of an e-mail campaign: its subject and text, and the HTML compiled when it was written. */
export async function templateContent(objects: Pick<ObjectStore, 'readText'>, campaign: Campaign): Promise<EmailTemplateContent | string> {
  if (campaign.content === undefined) return 'an audience campaign has no e-mail';
  const key = campaignKeys(campaign.name).html;
  const html = await objects.readText(key);
  if (html === undefined || html === '') return `no compiled HTML ${key}`;
  return { subject: campaign.content.subject, html, text: campaign.content.text };
}

export type TemplateSync = 'created' | 'updated' | 'unchanged';

/**
 * Makes the campaign's SES template hold `content`: created when missing, updated when any part
 * differs, left alone otherwise (one GetEmailTemplate per campaign and run).
 */
export async function syncTemplate(templates: EmailTemplates, campaign: Pick<Campaign, 'name'>, content: EmailTemplateContent): Promise<TemplateSync> {
  const name = templateName(campaign);
  const current = await templates.get(name);
  if (current === undefined) {
    await templates.create(name, content);
    return 'created';
  }
  if (current.subject === content.subject && current.html === content.html && current.text === content.text) return 'unchanged';
  await templates.update(name, content);
  return 'updated';
}
