import type { RefitResult } from '../../functions/model-refit/handler.ts';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../lib/project-root.ts';
import { s3Client } from '../../functions/adapters/aws-clients.ts';
import { s3ObjectStore } from '../../functions/adapters/object-store.ts';
import { loadCampaignCatalog } from '../../functions/commons/campaign-catalog.ts';
import { RECORD_KINDS } from '../../functions/core/fields.ts';
import { countProfiles } from './count-profiles.ts';
import { uploadAndAwaitReport } from './ingest.ts';
import type { CampaignRunSummary, DispatchEvent } from '../../functions/campaign-dispatch/run-campaigns.ts';
import type { IngestReport } from '../../functions/ingest-pipeline/ingest-object.ts';
import { BUILTIN_SEGMENTS } from '../../functions/core/segments/builtin.ts';
import { DEFAULT_STATE_DIR, runningOwner, startLocalStack, type LocalStack } from '../../functions/local/local-stack.ts';
import { count, createProgress } from './progress.ts';
import { deliverSesEvents, type DeliveryReport } from '../../functions/local/ses-events.ts';
import { writeReport } from './report.ts';
import { DEMO_AS_OF } from './defaults.ts';

export const DEMO_DATA_DIR = path.join(PROJECT_ROOT, 'examples');
/** CDNOW's purchases end on 1998-06-30; the demo looks at them from the next day. */
export { DEMO_AS_OF };
/** The demo sends at 16:00 UTC of the as-of day: afternoon in the Americas, evening in Europe, night in Asia (deferred). */
const DEMO_SEND_HOUR_UTC = 16;

export interface DemoOptions {
  readonly dataDir?: string;
  readonly asOf?: string;
  readonly stateDir?: string;
  /** Keep the state of earlier runs instead of starting from an empty stack. */
  readonly keepState?: boolean;
  readonly quiet?: boolean;
  /** Where the HTML report goes. Default out/report.html. */
  readonly reportFile?: string;
  /** The handlers' log level (Powertools); default WARN. */
  readonly logLevel?: string;
}

export interface DemoResult {
  readonly customers: number;
  readonly orders: number;
  readonly rows: { readonly accepted: number; readonly rejected: number };
  readonly files: readonly IngestReport[];
  readonly segments: Readonly<Record<string, number>>;
  readonly campaigns: readonly DemoCampaign[];
  /** SES events of the demo's mail, from the local stand-in through the feedback handler. */
  readonly feedback: DeliveryReport;
  readonly report: string | null;
  readonly mailbox: string;
  readonly durationMs: number;
}

export interface DemoCampaign {
  readonly name: string;
  readonly segment: string;
  readonly sent: number;
  /** No consent, no address or on the suppression list. */
  readonly suppressed: number;
  readonly holdout: number;
  /** Outside the customer's local send window: waiting in the ledger for the next run. */
  readonly deferred: number;
  readonly capped: number;
  readonly outranked: number;
  readonly failed: number;
  readonly alreadySent: number;
  readonly bulkCalls: number;
}

/** The whole pipeline on the embedded stack: upload → ingest → profiles → segments → e-mails. */
export async function runDemo(options: DemoOptions = {}): Promise<{ result: DemoResult; stack: LocalStack }> {
  const started = performance.now();
  const progress = createProgress(options.quiet);
  const dataDir = options.dataDir ?? DEMO_DATA_DIR;
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
  const uploads = findDataFiles(dataDir);
  if (uploads.length === 0) throw new Error(`no data files under ${dataDir}/{${RECORD_KINDS.join(',')}}/`);
  const owner = runningOwner(stateDir);
  if (owner !== undefined) {
    throw new Error(`another strata process (pid ${owner.pid}, e.g. \`strata local up\`) runs the local stack in ${stateDir}; stop it first`);
  }
  if (!options.keepState) fs.rmSync(stateDir, { recursive: true, force: true });

  const stack = await progress.step(
    'synthesizing the CDK app and starting the local stack (DynamoDB, S3, SES)',
    () => startLocalStack({ stateDir, asOf: options.asOf ?? DEMO_AS_OF, ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }) }),
  );
  try {
    const files: IngestReport[] = [];
    // Customers first, so orders find their contacts; a mapping file goes up before its data file.
    for (const upload of uploads) {
      const report = await progress.step(`ingesting ${upload.key}`, async () => {
        const body = fs.readFileSync(upload.file);
        if (upload.key.endsWith('.mapping.json')) return void (await stack.upload(upload.key, body));
        return uploadAndAwaitReport(stack, upload.key, body);
      }, (r) => (r === undefined ? 'mapping stored' : r.error !== undefined ? `rejected: ${r.error}` : `${count(r.accepted ?? 0)} rows accepted, ${count(r.rejected ?? 0)} rejected`));
      if (report !== undefined && report.error === undefined) files.push(report as IngestReport);
    }

    // The refit the schedule runs: churn risk, high value and likely-to-lapse then read P(alive),
    // CLV and expected purchases instead of their rule-based fallbacks.
    await progress.step(
      'fitting BG/NBD and Gamma-Gamma on the order ledger (models/latest.json)',
      () => stack.invoke<RefitResult>('functions/model-refit/handler.ts', {}),
      (r) => `${count(r.customers)} customers, ${r.converged ? 'converged' : 'NOT converged'}`,
    );

    // Time-based segments (RFM quintiles, percentiles, lifecycle) need the whole population:
    // the same re-segmentation the daily schedule runs.
    const resegmented = await progress.step(
      'evaluating every customer\'s segments (population statistics, then compute → assign → diff)',
      () => stack.invoke<{ customers: number; writes: number; sizes: Record<string, number> }>('functions/resegment-workflow/evaluate/handler.ts', {}),
      (r) => `${count(r.customers)} customers, ${count(r.writes)} items written`,
    );
    const segments: Record<string, number> = resegmented.sizes;

    // Every campaign in force (the bundled set, seeded into the bucket) whose segment has members:
    // entry campaigns as after a re-segmentation, broadcasts as if their schedule fired now.
    const inForce = (await loadCampaignCatalog(s3ObjectStore(s3Client(), stack.bucketName))).entries.filter((e) => !e.paused).map((e) => e.campaign);
    const catalog = inForce.filter((c) => c.channel === 'email' && c.segments.some((s) => (segments[s] ?? 0) > 0));
    const sendAt = new Date(Date.parse((options.asOf ?? DEMO_AS_OF).slice(0, 10)) + DEMO_SEND_HOUR_UTC * 3_600_000).toISOString();
    const all: DispatchEvent[] = [
      { trigger: 'transitions', campaigns: catalog.filter((c) => c.trigger.type !== 'broadcast').map((c) => c.name), asOf: sendAt },
      { trigger: 'schedule', campaigns: catalog.filter((c) => c.trigger.type === 'broadcast').map((c) => c.name), asOf: sendAt },
    ];
    const runs = all.filter((run) => (run.campaigns ?? []).length > 0);
    const sent: CampaignRunSummary[] = [];
    for (const run of runs) {
      sent.push(...(await progress.step(
        `sending ${(run.campaigns ?? []).join(', ')} through SES SendBulkEmail (${run.trigger})`,
        () => stack.invoke<CampaignRunSummary[]>('functions/campaign-dispatch/send/handler.ts', run),
        (summaries) => summaries.map((s) => `${s.campaign}: ${count(s.sent)} sent in ${count(s.bulkCalls)} calls`).join(', '),
      )));
    }

    const asOf = new Date(options.asOf ?? DEMO_AS_OF);
    const feedback = await progress.step(
      'delivering SES events of the sent mail to the feedback handler (local stand-in)',
      () => deliverSesEvents(stack, { sentAt: asOf }),
      (r) => Object.entries(r.byKind).map(([kind, n]) => `${count(n)} ${kind}`).join(', ') || 'no new mail',
    );
    const report = await progress.step('writing the performance report', () => writeReport(stack, { asOf, now: new Date(), ...(options.reportFile === undefined ? {} : { out: options.reportFile }) }), (r) => `${path.relative(process.cwd(), r.file) || r.file} and s3://${stack.bucketName}/${r.key}`);

    const orders = files.filter((f) => f.kind === 'orders');
    const customers = await countProfiles(stack);
    const result: DemoResult = {
      customers,
      orders: orders.reduce((n, f) => n + f.accepted, 0),
      rows: { accepted: files.reduce((n, f) => n + f.accepted, 0), rejected: files.reduce((n, f) => n + f.rejected, 0) },
      files,
      segments,
      campaigns: sent.map((s) => ({
        name: s.campaign,
        segment: s.segment,
        sent: s.sent,
        suppressed: s.suppressed + s.noAddress,
        holdout: s.holdout,
        deferred: s.deferred,
        capped: s.capped,
        outranked: s.outranked,
        failed: s.failed,
        alreadySent: s.alreadySent,
        bulkCalls: s.bulkCalls,
      })),
      feedback,
      report: report.file,
      mailbox: `${stack.endpoints.ses}/`,
      durationMs: Math.round(performance.now() - started),
    };
    return { result, stack };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

interface Upload {
  readonly file: string;
  readonly key: string;
}

/** Files under DIR/{customers,orders,events}/, mapping files before their data, customers first. */
function findDataFiles(dataDir: string): Upload[] {
  return RECORD_KINDS.flatMap((kind) => {
    const dir = path.join(dataDir, kind);
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir)
      .filter((name) => /\.(csv|tsv|txt|jsonl|ndjson)(\.gz)?$|\.mapping\.json$/i.test(name))
      .sort((a, b) => Number(b.endsWith('.mapping.json')) - Number(a.endsWith('.mapping.json')) || a.localeCompare(b))
      .map((name) => ({ file: path.join(dir, name), key: `incoming/${kind}/${name}` }));
  });
}

/** Segment sizes grouped by kind, one line per kind, so fifty segments stay readable. */
function segmentLines(sizes: Readonly<Record<string, number>>): string[] {
  const kindOf = new Map(BUILTIN_SEGMENTS.map((d) => [d.name, d.kind]));
  const groups = new Map<string, string[]>();
  for (const [name, size] of Object.entries(sizes)) {
    const kind = kindOf.get(name) ?? 'custom';
    groups.set(kind, [...(groups.get(kind) ?? []), `${name} ${count(size)}`]);
  }
  return [...groups].map(([kind, entries]) => `  ${`${kind}:`.padEnd(16)}  ${entries.join(', ')}`);
}

export function formatSummary(r: DemoResult, kept: boolean): string {
  const lines = [
    '',
    'strata demo: summary',
    `  rows ingested     ${count(r.rows.accepted)} accepted, ${count(r.rows.rejected)} rejected (${r.files.length} files)`,
    `  orders            ${count(r.orders)}`,
    `  customers         ${count(r.customers)} profiles in DynamoDB`,
    ...segmentLines(r.segments),
    ...r.campaigns.map(
      (c) =>
        `  e-mails sent      ${count(c.sent)} for campaign ${c.name} (segment ${c.segment}) in ${count(c.bulkCalls)} SendBulkEmail calls; ` +
        `${count(c.suppressed)} suppressed (no consent or address), ${count(c.holdout)} held out, ${count(c.deferred)} deferred to their local send window` +
        (c.capped > 0 ? `, ${count(c.capped)} over the frequency cap` : '') +
        (c.outranked > 0 ? `, ${count(c.outranked)} taken by a higher-priority campaign` : '') +
        (c.alreadySent > 0 ? `, ${count(c.alreadySent)} already sent before` : ''),
    ),
    `  SES feedback      ${Object.entries(r.feedback.byKind).map(([kind, n]) => `${count(n)} ${kind}`).join(', ') || 'none'}` +
      (r.feedback.suppressed > 0 ? `; ${count(r.feedback.suppressed)} addresses suppressed` : '') + (r.feedback.paused ? '; sending PAUSED by the guard' : ''),
    `  report            ${r.report ?? '-'}`,
    `  took              ${(r.durationMs / 1000).toFixed(1)}s`,
    kept
      ? `  see the e-mails   ${r.mailbox} (mailbox web UI; Ctrl-C stops the stack)`
      : '  see the e-mails   npm start -- --keep  (or npx strata local up) serves the mailbox web UI; ' +
        'the mail is also saved in .strata/ses/mailbox.json',
    '  explain one       npx strata explain 1',
    '',
  ];
  return lines.join('\n');
}
