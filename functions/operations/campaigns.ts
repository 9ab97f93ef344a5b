import Handlebars from 'handlebars';
import * as z from 'zod';
import { campaignKeys, parseCampaign, type Campaign } from '../core/campaign.ts';
import { templateData } from '../core/campaign-content.ts';
import { InputError } from '../core/errors.ts';
import type { LedgerEntry } from '../core/send-decision.ts';
import type { CampaignDecisionReader, SkipRecord } from '../adapters/ports/campaigns.ts';
import type { EmailTemplateContent } from '../adapters/ports/email-templates.ts';
import type { SingleMailer } from '../adapters/ports/mailer.ts';
import type { ObjectRemover, ObjectStore } from '../adapters/ports/objects.ts';
import { loadCampaignCatalog, templateContent, type CampaignCatalog } from '../commons/campaign-catalog.ts';
import { loadSegmentDefinitions } from '../segmentation/segment-definitions.ts';

/**
 * The operations behind `strata campaigns ...`, as plain functions over ports: the CLI calls them
 * against any stack, and a web API can call the same ones.
 */
export type CampaignObjects = Pick<ObjectStore, 'list' | 'readText' | 'put'> & ObjectRemover;

export interface CampaignListing {
  readonly name: string;
  /** active, paused, or refused: a definition in the bucket that fails its checks (see reason). */
  readonly status: 'active' | 'paused' | 'refused';
  readonly paused: boolean;
  readonly description: string;
  readonly channel?: Campaign['channel'];
  readonly segments: readonly string[];
  readonly trigger?: Campaign['trigger'];
  readonly priority?: number;
  readonly reason?: string;
}

function listingsOf(catalog: CampaignCatalog): CampaignListing[] {
  return [
    ...catalog.entries.map(({ campaign: c, paused }) => ({
      name: c.name, status: paused ? ('paused' as const) : ('active' as const), paused, description: c.description,
      channel: c.channel, segments: c.segments, trigger: c.trigger, priority: c.priority,
    })),
    ...catalog.refused.map((r) => ({ name: r.name, status: 'refused' as const, paused: false, description: '', segments: [], reason: r.reason })),
  ].sort((a, b) => a.name.localeCompare(b.name));
}

/** `campaigns list`: every campaign in the bucket with its status, segments, trigger and whether it is paused. */
export async function listCampaigns(objects: Pick<ObjectStore, 'list' | 'readText'>): Promise<CampaignListing[]> {
  return listingsOf(await loadCampaignCatalog(objects));
}

async function findCampaign(objects: Pick<ObjectStore, 'list' | 'readText'>, name: string): Promise<{ campaign: Campaign; paused: boolean }> {
  const catalog = await loadCampaignCatalog(objects);
  const found = catalog.entries.find((e) => e.campaign.name === name);
  if (found !== undefined) return found;
  const refused = catalog.refused.find((r) => r.name === name);
  if (refused !== undefined) throw new InputError(`campaign ${name} is refused: ${refused.reason}`);
  throw new InputError(`no campaign ${name}; known: ${listingsOf(catalog).map((c) => c.name).join(', ') || 'none'}`);
}

/** The data a preview and a test send render: the campaign's defaults, no customer's data. */
function sampleData(campaign: Campaign): string {
  return JSON.stringify(templateData(campaign, { customerId: 'preview' }, campaign.segments[0], 'https://unsubscribe.invalid/preview'));
}

export interface CampaignShow {
  readonly campaign: Campaign;
  readonly paused: boolean;
  readonly keys: ReturnType<typeof campaignKeys>;
  readonly mjml: string | undefined;
  /** The template's parts and how they render with the campaign's defaults (SES templates are Handlebars). */
  readonly template: EmailTemplateContent | undefined;
  readonly preview: EmailTemplateContent | undefined;
}

/** `campaigns show NAME`: the definition in force, its MJML and template, and a rendered preview. */
export async function showCampaign(objects: Pick<ObjectStore, 'list' | 'readText'>, name: string): Promise<CampaignShow> {
  const { campaign, paused } = await findCampaign(objects, name);
  const keys = campaignKeys(name);
  const content = campaign.content === undefined ? undefined : await templateContent(objects, campaign);
  const template = typeof content === 'string' ? undefined : content;
  const data = JSON.parse(sampleData(campaign)) as unknown;
  const render = (source: string) => Handlebars.compile(source)(data);
  return {
    campaign,
    paused,
    keys,
    mjml: await objects.readText(keys.mjml),
    template,
    preview: template === undefined ? undefined : { subject: render(template.subject), html: render(template.html), text: render(template.text) },
  };
}

/** Compiles MJML to HTML; heavy (mjml), so the caller brings it and no Lambda bundle carries it. */
export type MjmlCompiler = (mjml: string) => Promise<{ readonly html: string; readonly errors: readonly string[] }>;

export interface CampaignSubmission {
  /** The definition as written by its author (defaults stay implicit, so a later default applies). */
  readonly json: unknown;
  /** The MJML source its content.mjml names; undefined for an audience campaign. */
  readonly mjml: string | undefined;
  /** Where it came from, for messages (a file name). */
  readonly source: string;
}

/**
 * `campaigns add FILE`: validates the definition with the campaign schema, its segments against
 * the ones in force and its MJML by compiling it, then writes the MJML, the HTML and last the
 * definition. Anything refused throws an InputError with the reason before a byte is written, so
 * the campaign in force (if any) stays in force.
 */
export async function addCampaign(deps: { objects: CampaignObjects; compile: MjmlCompiler }, submission: CampaignSubmission): Promise<{ name: string; replaced: boolean; keys: ReturnType<typeof campaignKeys> }> {
  const campaign = parseCampaign(submission.json, submission.source);
  const known = new Set((await loadSegmentDefinitions(deps.objects)).map((d) => d.name));
  const unknown = campaign.segments.filter((s) => !known.has(s));
  if (unknown.length > 0) throw new InputError(`campaign ${campaign.name} targets unknown segment(s) ${unknown.join(', ')}; segments in force: ${[...known].sort().join(', ')}`);
  let html: string | undefined;
  if (campaign.content !== undefined) {
    if (submission.mjml === undefined) throw new InputError(`campaign ${campaign.name} names ${campaign.content.mjml} as its MJML, which was not given`);
    const compiled = await deps.compile(submission.mjml);
    if (compiled.errors.length > 0) throw new InputError(`the MJML of campaign ${campaign.name} does not compile: ${compiled.errors.join('; ')}`);
    html = compiled.html;
  }
  const keys = campaignKeys(campaign.name);
  const replaced = (await deps.objects.readText(keys.definition)) !== undefined;
  if (submission.mjml !== undefined && html !== undefined) {
    await deps.objects.put(keys.mjml, submission.mjml, 'text/plain; charset=utf-8');
    await deps.objects.put(keys.html, html, 'text/html; charset=utf-8');
  }
  await deps.objects.put(keys.definition, `${JSON.stringify(submission.json, null, 2)}\n`, 'application/json');
  return { name: campaign.name, replaced, keys };
}

/** `campaigns pause NAME`: a marker object beside the definition; the next run skips the campaign, the definition is untouched. */
export async function pauseCampaign(objects: CampaignObjects, name: string, now: Date): Promise<{ name: string; paused: true; alreadyPaused: boolean }> {
  const { paused } = await findCampaign(objects, name);
  if (!paused) await objects.put(campaignKeys(name).paused, `${JSON.stringify({ pausedAt: now.toISOString() })}\n`, 'application/json');
  return { name, paused: true, alreadyPaused: paused };
}

/** `campaigns resume NAME`: removes the marker; the next run sends the campaign again. */
export async function resumeCampaign(objects: CampaignObjects, name: string): Promise<{ name: string; paused: false; wasPaused: boolean }> {
  const { paused } = await findCampaign(objects, name);
  if (paused) await objects.delete(campaignKeys(name).paused);
  return { name, paused: false, wasPaused: paused };
}

const address = z.email();

/**
 * `campaigns test NAME --to ADDRESS`: the campaign's stored template rendered by SES with its
 * defaults and sent once to that address, the subject marked [TEST] and an X-Strata-Test header;
 * no configuration set (so no events, no metrics) and nothing in the ledger.
 */
export async function testCampaign(deps: { objects: Pick<ObjectStore, 'list' | 'readText'>; mailer: SingleMailer; from: string }, name: string, to: string): Promise<{ name: string; to: string; messageId: string | undefined }> {
  if (!address.safeParse(to).success) throw new InputError(`${to} is not an e-mail address`);
  const { campaign } = await findCampaign(deps.objects, name);
  const content = await templateContent(deps.objects, campaign);
  if (typeof content === 'string') throw new InputError(`campaign ${name} cannot be tested: ${content}`);
  const sent = await deps.mailer.sendOne({
    from: deps.from,
    to,
    content: { ...content, subject: `[TEST] ${content.subject}` },
    templateData: sampleData(campaign),
    headers: [{ name: 'X-Strata-Test', value: 'true' }],
  });
  return { name, to, messageId: sent.messageId };
}

/** The dispatch event a broadcast's schedule sends (functions/campaign-dispatch/run-campaigns.ts). */
export interface BroadcastNow {
  readonly trigger: 'schedule';
  readonly campaigns: readonly string[];
  readonly asOf?: string;
}

/** `campaigns send NAME`: a broadcast run now, through the dispatch function, exactly as its schedule would start it. */
export async function sendCampaign<R>(deps: { objects: Pick<ObjectStore, 'list' | 'readText'>; invokeDispatch: (event: BroadcastNow) => Promise<R> }, name: string, asOf?: string): Promise<R> {
  const { campaign, paused } = await findCampaign(deps.objects, name);
  if (paused) throw new InputError(`campaign ${name} is paused; resume it first`);
  if (campaign.trigger.type !== 'broadcast') throw new InputError(`campaign ${name} is sent when customers ${campaign.trigger.type} its segments, not on demand; only a broadcast is sent now`);
  return deps.invokeDispatch({ trigger: 'schedule', campaigns: [name], ...(asOf === undefined ? {} : { asOf }) });
}

export type RecipientDecision = 'sent' | 'sending' | 'failed' | 'uncertain' | 'held out' | 'deferred' | 'suppressed' | 'capped' | 'no address' | 'outranked';

export interface CampaignRecipient {
  readonly customerId: string;
  readonly decision: RecipientDecision;
  readonly why: string;
  /** When it was decided (claimed, sent or skipped). */
  readonly at: string;
  readonly segment?: string;
  readonly messageId?: string;
}

const SKIP_WHY: Readonly<Record<SkipRecord['decision'], { decision: RecipientDecision; why: string }>> = {
  suppressed: { decision: 'suppressed', why: 'no consent, or on the suppression list (unsubscribed, bounced, complained or erased)' },
  capped: { decision: 'capped', why: 'over the frequency cap of marketing e-mails' },
  'no-address': { decision: 'no address', why: 'no e-mail address on file' },
  outranked: { decision: 'outranked', why: 'a campaign of higher priority took the customer in the same run' },
};

function fromLedger(e: LedgerEntry, holdout: number): CampaignRecipient {
  const base = { customerId: e.customerId, at: e.sentAt ?? e.claimedAt, ...(e.segment === undefined ? {} : { segment: e.segment }) };
  switch (e.status) {
    case 'SENT': return { ...base, decision: 'sent', why: 'sent', ...(e.messageId === undefined ? {} : { messageId: e.messageId }) };
    case 'CLAIMED':
    case 'SENDING': return { ...base, decision: 'sending', why: 'a run is sending it' };
    case 'FAILED': return { ...base, decision: 'failed', why: `SES refused it${e.error === undefined ? '' : `: ${e.error}`}` };
    case 'UNCERTAIN': return { ...base, decision: 'uncertain', why: e.reason ?? 'SES may or may not have accepted it; never resent automatically' };
    case 'HOLDOUT': return { ...base, decision: 'held out', why: `in the control group (${Math.round(holdout * 100)}% held out)` };
    case 'DEFERRED': return { ...base, decision: 'deferred', why: `${e.reason === 'best-hour' ? 'waiting for the hour they open mail' : 'outside the local send window'}; not before ${e.notBefore ?? '?'}` };
    case 'DROPPED': {
      const skip = SKIP_WHY[e.reason === 'capped' ? 'capped' : 'suppressed'];
      return { ...base, decision: skip.decision, why: `${skip.why} by the time its deferred send was due` };
    }
  }
}

/**
 * `campaigns recipients NAME`: every customer the campaign decided about, with the decision and
 * why. A ledger entry (what the customer got) wins over a skip record of an earlier run.
 */
export async function campaignRecipients(deps: { objects: Pick<ObjectStore, 'list' | 'readText'>; decisions: CampaignDecisionReader }, name: string): Promise<CampaignRecipient[]> {
  const { campaign } = await findCampaign(deps.objects, name);
  const byCustomer = new Map<string, CampaignRecipient>();
  const fromSkips = new Set<string>();
  for await (const page of deps.decisions.decisions(name)) {
    for (const e of page.ledger) {
      byCustomer.set(e.customerId, fromLedger(e, campaign.holdout));
      fromSkips.delete(e.customerId);
    }
    for (const s of page.skips) {
      const current = byCustomer.get(s.customerId);
      if (current !== undefined && (!fromSkips.has(s.customerId) || current.at >= s.at)) continue;
      byCustomer.set(s.customerId, { customerId: s.customerId, ...SKIP_WHY[s.decision], at: s.at, ...(s.segment === undefined ? {} : { segment: s.segment }) });
      fromSkips.add(s.customerId);
    }
  }
  return [...byCustomer.values()].sort((a, b) => a.customerId.localeCompare(b.customerId));
}
