import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import { byPriority, templateName, type Campaign } from '../core/campaign.ts';
import { templateData } from '../core/campaign-content.ts';
import { InputError } from '../core/errors.ts';
import { decide, type LedgerEntry, type SendPolicy } from '../core/send-decision.ts';
import { blockingSuppression } from '../core/suppression.ts';
import { emailHash } from '../core/privacy.ts';
import { UNSUBSCRIBE_TOKEN_DAYS, unsubscribeHeaders, unsubscribeUrl } from '../core/unsubscribe-token.ts';
import { recipientHash } from '../adapters/campaign-store.ts';
import type { CampaignStore, ClaimRequest, Recipient, SkipRecord } from '../adapters/ports/campaigns.ts';
import type { Mailer } from '../adapters/ports/mailer.ts';
import { emptyCounts, sendOutgoing, type Outgoing, type SendCounts } from './bulk-sender.ts';
import type { Clock, RateLimiter } from './rate-limiter.ts';

const isoInstant = z.iso.datetime({ offset: true }).or(z.iso.date());

/**
 * What starts a dispatch run. `schedule`: a broadcast's EventBridge schedule (with its name in
 * `campaigns`), or the hourly sweep (no names) that only sends deferrals now due. `transitions`:
 * the re-segmentation workflow after a run, for the enter / exit campaigns; the customers are the
 * `transitions` given, else those whose membership began after `since` (default: this campaign's
 * previous run, else `lookbackDays` before `asOf`). Due deferrals and stale claims of the selected
 * campaigns are resumed on every run. `asOf` replays a date (default: now).
 */
export const dispatchEventSchema = z
  .object({
    // A definition in place of a name is what the re-segmentation workflow passed before names: taken by its name.
    campaigns: z.array(z.union([z.string().min(1), z.looseObject({ name: z.string().min(1) }).transform((c) => c.name)])).optional(),
    trigger: z.enum(['schedule', 'transitions']).default('transitions'),
    since: isoInstant.optional(),
    asOf: isoInstant.optional(),
    transitions: z
      .array(z.object({ customerId: z.string().min(1), segment: z.string().min(1), change: z.enum(['enter', 'exit']) }).strict())
      .optional(),
  })
  .strict();

export type DispatchEvent = z.infer<typeof dispatchEventSchema>;

export interface CampaignRunSummary extends SendCounts {
  readonly campaign: string;
  readonly segment: string;
  readonly channel: Campaign['channel'];
  candidates: number;
  suppressed: number;
  noAddress: number;
  holdout: number;
  deferred: number;
  capped: number;
  outranked: number;
  alreadySent: number;
  /** Deferred or stale claims taken over by this run. */
  resumed: number;
  /** Entries a dead run left SENDING, now recorded UNCERTAIN. */
  abandoned: number;
  /** True when the sending guard held the campaign back. */
  paused?: boolean;
  /** Why the campaign did not run at all: paused by an operator, its definition refused, its template unusable. */
  skipped?: string;
}

export interface DispatchDeps {
  /** The campaigns in force and not paused (read from the bucket at each run). */
  readonly catalog: readonly Campaign[];
  /** Campaigns known but not run, with why: paused, or a definition that failed its checks. */
  readonly held?: ReadonlyMap<string, string>;
  /** Readies an e-mail campaign before it sends (its SES template); a returned reason skips it. */
  readonly prepare?: (campaign: Campaign) => Promise<string | undefined>;
  readonly store: CampaignStore;
  readonly members: (segment: string) => AsyncGenerator<string[]>;
  readonly mailer: Mailer;
  readonly limiter: RateLimiter;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly from: string;
  readonly configurationSet: string | undefined;
  readonly policy: SendPolicy;
  /** Minutes after which a CLAIMED entry without a SES call belongs to a dead run (> the Lambda timeout). */
  readonly staleClaimMinutes: number;
  readonly unsubscribe: { readonly baseUrl: string; readonly key: string };
  /** Real time, for the expiry of unsubscribe links even when `now` replays history. */
  readonly issuedAt: Date;
  /** Audience campaigns: export the segment for ad platforms. */
  readonly exportAudience?: (campaign: Campaign, now: Date) => Promise<number>;
  /** Customers read per step. */
  readonly pageSize?: number;
  /** The sending guard (bounce or complaint rate too high, see feedback): while paused, no e-mail leaves. */
  readonly guard?: { sendingPaused(): Promise<boolean> };
}

function selectCampaigns(catalog: readonly Campaign[], held: ReadonlyMap<string, string>, names: readonly string[] | undefined): { run: Campaign[]; held: [string, string][] } {
  if (names === undefined) return { run: [...catalog].sort(byPriority), held: [...held].sort((a, b) => a[0].localeCompare(b[0])) };
  const unknown = names.filter((n) => !catalog.some((c) => c.name === n) && !held.has(n));
  if (unknown.length > 0) throw new InputError(`unknown campaign(s) ${unknown.join(', ')}; known: ${[...catalog.map((c) => c.name), ...held.keys()].sort().join(', ')}`);
  return { run: catalog.filter((c) => names.includes(c.name)).sort(byPriority), held: [...held].filter(([n]) => names.includes(n)) };
}

function emptySummary(campaign: string, segment: string, channel: Campaign['channel']): CampaignRunSummary {
  return {
    campaign, segment, channel,
    candidates: 0, suppressed: 0, noAddress: 0, holdout: 0, deferred: 0, capped: 0, outranked: 0, alreadySent: 0, resumed: 0, abandoned: 0,
    ...emptyCounts(),
  };
}

/**
 * One dispatch run: campaigns in priority order, each customer taken by at most one marketing
 * campaign per run. Returns one summary per campaign.
 */
export async function runCampaigns(deps: DispatchDeps, event: DispatchEvent, now: Date): Promise<CampaignRunSummary[]> {
  const { run: campaigns, held } = selectCampaigns(deps.catalog, deps.held ?? new Map(), event.campaigns);
  const taken = new Set<string>();
  const summaries: CampaignRunSummary[] = [];
  // A definition is data, not code: one that is paused or unusable leaves the others to run.
  for (const [name, why] of held) {
    deps.logger.warn('campaign skipped', { campaign: name, reason: why });
    summaries.push({ ...emptySummary(name, '', 'email'), skipped: why });
  }
  let paused: boolean | undefined;
  for (const campaign of campaigns) {
    const summary = emptySummary(campaign.name, campaign.segments.join(','), campaign.channel);
    if (campaign.channel === 'audience') {
      if (event.trigger === 'schedule' && event.campaigns?.includes(campaign.name) && deps.exportAudience) summary.candidates = await deps.exportAudience(campaign, now);
      summaries.push(summary);
      continue;
    }
    paused ??= (await deps.guard?.sendingPaused()) === true;
    if (paused) {
      deps.logger.warn('campaign held back: the sending guard has paused sending', { campaign: campaign.name });
      summaries.push({ ...summary, paused: true });
      continue;
    }
    const unusable = await deps.prepare?.(campaign);
    if (unusable !== undefined) {
      deps.logger.warn('campaign skipped', { campaign: campaign.name, reason: unusable });
      summaries.push({ ...summary, skipped: unusable });
      continue;
    }
    await runEmailCampaign(deps, campaign, event, now, taken, summary);
    if (event.trigger === 'transitions' && campaign.trigger.type !== 'broadcast') await deps.store.setLastRun(campaign.name, now);
    deps.logger.info('campaign run', { ...summary });
    summaries.push(summary);
  }
  return summaries;
}

async function runEmailCampaign(deps: DispatchDeps, campaign: Campaign, event: DispatchEvent, now: Date, taken: Set<string>, summary: CampaignRunSummary) {
  const seen = new Set<string>();
  const pageSize = deps.pageSize ?? 500;
  const staleBefore = new Date(now.getTime() - deps.staleClaimMinutes * 60_000);
  const sender = {
    store: deps.store, mailer: deps.mailer, limiter: deps.limiter, clock: deps.clock, from: deps.from,
    configurationSet: deps.configurationSet, templateName: templateName(campaign), now,
  };

  async function process(ids: readonly string[], filter?: (r: Recipient) => boolean) {
    const fresh = ids.filter((id) => !seen.has(id));
    for (const id of fresh) seen.add(id);
    if (fresh.length === 0) return;
    const [recipients, ledgers] = await Promise.all([deps.store.recipients(fresh, campaign.segments), deps.store.ledgers(fresh)]);
    const hashes = [...recipients.values()].flatMap((r) => recipientHash(r) ?? []);
    const [suppressed, held] = await Promise.all([
      deps.store.suppressedHashes(hashes),
      // Entries of the customer rather than of this address: their id, merged ids and every address they had.
      deps.store.suppressions([...recipients.values()].map((r) => ({ customerId: r.customerId, currentHash: recipientHash(r) }))),
    ]);
    const outgoing: Outgoing[] = [];
    const settled: LedgerEntry[] = [];
    const skips: SkipRecord[] = [];
    for (const id of fresh) {
      const recipient = recipients.get(id);
      if (recipient === undefined || (filter !== undefined && !filter(recipient))) continue;
      summary.candidates++;
      const ledger = ledgers.get(id) ?? [];
      const own = ledger.find((e) => e.campaign === campaign.name);
      const hash = recipientHash(recipient);
      const decision = decide({
        campaign, customerId: id, email: recipient.contact?.email, consent: recipient.contact?.consent,
        suppressed: (hash !== undefined && suppressed.has(hash)) || blockingSuppression(held.get(id) ?? []) !== undefined, ledger, takenThisRun: taken.has(id),
        timeZone: recipient.contact?.timezone, lastOpenAt: recipient.lastOpenAt, now, staleBefore, policy: deps.policy,
      });
      const segment = campaign.segments.find((s) => recipient.memberSince[s] !== undefined) ?? own?.segment ?? campaign.segments[0];
      const base = { customerId: id, campaign: campaign.name, marketing: campaign.marketing, ...(segment === undefined ? {} : { segment }) };
      const skip = (kind: SkipRecord['decision']) => skips.push({ customerId: id, campaign: campaign.name, decision: kind, at: now.toISOString(), ...(segment === undefined ? {} : { segment }) });
      switch (decision.kind) {
        case 'no-address': summary.noAddress++; skip('no-address'); break;
        case 'already': summary.alreadySent++; break;
        case 'outranked': summary.outranked++; skip('outranked'); break;
        case 'suppressed':
        case 'capped':
          if (decision.kind === 'suppressed') summary.suppressed++;
          else summary.capped++;
          // A resumed entry that can no longer go is closed, so later runs stop looking at it.
          if (own !== undefined) settled.push({ ...own, status: 'DROPPED', reason: decision.kind });
          else skip(decision.kind);
          break;
        case 'holdout':
          if (await deps.store.claim({ ...base, status: 'HOLDOUT' }, now)) summary.holdout++;
          else summary.alreadySent++;
          break;
        case 'defer': {
          if (campaign.marketing) taken.add(id);
          const request: ClaimRequest = { ...base, status: 'DEFERRED', notBefore: decision.notBefore.toISOString(), reason: decision.reason };
          if (own !== undefined) {
            settled.push({ ...own, status: 'DEFERRED', notBefore: request.notBefore, reason: decision.reason });
            summary.deferred++;
          } else if (await deps.store.claim(request, now)) summary.deferred++;
          else summary.alreadySent++;
          break;
        }
        case 'send': {
          const owned = own === undefined ? await deps.store.claim({ ...base, status: 'CLAIMED' }, now) : await deps.store.reclaim(own, now);
          if (!owned) {
            summary.alreadySent++;
            break;
          }
          if (own !== undefined) summary.resumed++;
          if (campaign.marketing) taken.add(id);
          const email = recipient.contact?.email ?? '';
          // The link carries the hash of this address: the endpoint suppresses it without reading the contact.
          const url = unsubscribeUrl(deps.unsubscribe.baseUrl, {
            customerId: id, campaign: campaign.name, expiresAt: Math.floor(deps.issuedAt.getTime() / 1000) + UNSUBSCRIBE_TOKEN_DAYS * 86_400, emailHash: emailHash(email),
          }, deps.unsubscribe.key);
          outgoing.push({
            entry: { ...base, status: 'CLAIMED', claimedAt: now.toISOString() },
            message: {
              customerId: id,
              email,
              templateData: JSON.stringify(templateData(campaign, recipient, segment, url)),
              headers: campaign.marketing ? unsubscribeHeaders(url) : [],
            },
          });
          break;
        }
      }
    }
    if (settled.length > 0) await deps.store.write(settled);
    if (skips.length > 0) await deps.store.recordSkips(skips);
    await sendOutgoing(sender, outgoing, summary);
  }

  // Entries earlier runs left behind: SENDING past the stale time died mid-call (never resent).
  for await (const ids of deps.store.queued('PENDING', campaign.name)) {
    const ledgers = await deps.store.ledgers(ids);
    const abandoned = ids.flatMap((id) => ledgers.get(id)?.find((e) => e.campaign === campaign.name && e.status === 'SENDING' && Date.parse(e.claimedAt) < staleBefore.getTime()) ?? []);
    if (abandoned.length > 0) {
      await deps.store.write(abandoned.map((e) => ({ ...e, status: 'UNCERTAIN', reason: 'the run sending it stopped without SES answering' })));
      summary.abandoned += abandoned.length;
    }
    await process(ids.filter((id) => !abandoned.some((e) => e.customerId === id)));
  }
  for await (const ids of deps.store.queued('DEFER', campaign.name)) await process(ids);

  for await (const ids of freshCandidates(deps, campaign, event, now)) {
    for (let i = 0; i < ids.ids.length; i += pageSize) await process(ids.ids.slice(i, i + pageSize), ids.filter);
  }
}

interface CandidatePage {
  readonly ids: readonly string[];
  readonly filter?: (r: Recipient) => boolean;
}

/** The customers this trigger brings to a campaign, before any check. */
async function* freshCandidates(deps: DispatchDeps, campaign: Campaign, event: DispatchEvent, now: Date): AsyncGenerator<CandidatePage> {
  const t = campaign.trigger;
  if (event.trigger === 'schedule') {
    // A broadcast goes only when its own schedule names it; the sweep (no names) resumes deferrals only.
    if (t.type !== 'broadcast' || !event.campaigns?.includes(campaign.name)) return;
    for (const segment of campaign.segments) for await (const ids of deps.members(segment)) yield { ids };
    return;
  }
  if (t.type === 'broadcast') return;
  if (event.transitions !== undefined) {
    const ids = event.transitions.filter((x) => x.change === t.type && campaign.segments.includes(x.segment)).map((x) => x.customerId);
    yield { ids };
    return;
  }
  if (t.type === 'exit') {
    deps.logger.warn('an exit campaign needs the transitions in the event; none given', { campaign: campaign.name });
    return;
  }
  const since = Date.parse(event.since ?? (await deps.store.lastRun(campaign.name)) ?? new Date(now.getTime() - t.lookbackDays * 86_400_000).toISOString());
  // With a delay, a member is due once entering + delay falls in (since, now]: steps of a series.
  const delay = t.delayDays * 86_400_000;
  const entered = (r: Recipient) =>
    campaign.segments.some((s) => {
      const at = r.memberSince[s];
      if (at === undefined) return false;
      const due = Date.parse(at) + delay;
      return due > since && due <= now.getTime();
    });
  for (const segment of campaign.segments) for await (const ids of deps.members(segment)) yield { ids, filter: entered };
}
