import { forecastTransitions, periodBoundaries } from '../../functions/core/models/transitions.ts';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { dynamoDocumentClient, s3Client } from '../../functions/adapters/aws-clients.ts';
import { scanPages } from '../../functions/adapters/dynamo-batch.ts';
import { s3ObjectStore } from '../../functions/adapters/object-store.ts';
import { loadCampaignCatalog } from '../../functions/commons/campaign-catalog.ts';
import { attribute, DEFAULT_ATTRIBUTION_DAYS, type LedgerFeedback, type LedgerOrder, type LedgerSend } from '../../functions/core/report/attribution.ts';
import { decideSending, type DailyCounts } from '../../functions/core/feedback/sending-guard.ts';
import type { FeedbackKind } from '../../functions/core/feedback/ses-event.ts';
import {
  rfmGrid,
  segmentFlows,
  segmentValue,
  sizesOverTime,
  snapshotsFromTransitions,
  type CustomerValue,
  type SizeSnapshot,
  type Transition,
} from '../../functions/core/report/segment-performance.ts';
import { renderReport, type ReportData } from '../../functions/core/report/render-report.ts';
import { segmentHealth } from '../../functions/core/segments/health.ts';
import { scoreRfm } from '../../functions/core/segments/rfm.ts';
import type { OrderAggregates } from '../../functions/core/profile.ts';
import { resolveEvaluationTime } from '../../functions/core/evaluation-time.ts';
import type { StackNames } from './target.ts';
import { DEFAULT_REPORT_FILE } from './defaults.ts';

export { DEFAULT_REPORT_FILE };

export interface ReportOptions {
  /** Where the HTML goes locally. Default out/report.html. */
  readonly out?: string;
  /** The report's date: the end of the guard's window, the key in reports/. Default the stack's as-of date, else now. */
  readonly asOf?: Date;
  readonly attributionDays?: number;
  /** Daily segment sizes; default the stored snapshots (SNAPSHOT items), else replayed from the transitions. */
  readonly snapshots?: readonly SizeSnapshot[];
  /** When the report was made (shown in it). */
  readonly now: Date;
}

export interface ReportResult {
  readonly file: string;
  readonly key: string;
  readonly bytes: number;
  readonly data: ReportData;
}

/** Builds the report from the stack's table, writes it to `out` and to reports/<date>.html in the bucket. */
export async function writeReport(stack: StackNames, options: ReportOptions): Promise<ReportResult> {
  const data = await reportData(stack, options);
  const html = renderReport(data, { chartLibrary: chartLibrary() });
  const file = path.resolve(options.out ?? DEFAULT_REPORT_FILE);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, html);
  const key = `reports/${data.asOf.slice(0, 10)}.html`;
  await s3ObjectStore(s3Client(), stack.bucketName).put(key, html, 'text/html; charset=utf-8');
  return { file, key, bytes: Buffer.byteLength(html), data };
}

/** Apache ECharts' minified browser build, inlined into the report. */
function chartLibrary(): string {
  return fs.readFileSync(createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js'), 'utf-8');
}

/** The transition matrix reads the lifecycle at six 30-day boundaries before the report date. */
const FORECAST_PERIODS = 6;
const FORECAST_PERIOD_DAYS = 30;

/** Everything the report shows, from one scan of the stack's table (a CLI read, paged; never in a Lambda). */
async function reportData(stack: StackNames, options: ReportOptions): Promise<ReportData> {
  const asOf = resolveEvaluationTime({ requested: options.asOf, configured: process.env.STRATA_AS_OF }, options.now);
  const { entries } = await loadCampaignCatalog(s3ObjectStore(s3Client(), stack.bucketName));
  const segmentOfCampaign = new Map(entries.map(({ campaign }) => [campaign.name, campaign.segments.join(',')]));
  const sends: LedgerSend[] = [];
  const orders: LedgerOrder[] = [];
  const feedback: LedgerFeedback[] = [];
  const transitions: Transition[] = [];
  const members = new Map<string, string[]>();
  const values = new Map<string, CustomerValue>();
  const profiles: { customerId: string; orders: OrderAggregates }[] = [];
  const snapshots: SizeSnapshot[] = [];
  const daily: DailyCounts[] = [];
  const feedbackTotals: Record<string, number> = {};
  let paused = false;

  for await (const item of scanTable(stack.tableName)) {
    const pk = String(item.pk);
    const sk = String(item.sk);
    const customerId = pk.startsWith('C#') ? pk.slice(2) : '';
    if (sk === 'PROFILE') {
      const orders = item.orders as OrderAggregates | undefined;
      const model = item.model as { clv12m?: number } | undefined;
      values.set(customerId, { customerId, revenue: orders?.revenue ?? 0, ...(model?.clv12m === undefined ? {} : { clv12m: model.clv12m }) });
      if (orders !== undefined) profiles.push({ customerId, orders });
    } else if (sk.startsWith('SEND#')) {
      const campaign = String(item.campaign);
      sends.push({
        customerId,
        campaign,
        segment: String(item.segment ?? segmentOfCampaign.get(campaign) ?? 'unknown'),
        status: String(item.status),
        at: String(item.sentAt ?? item.claimedAt),
      });
    } else if (sk.startsWith('O#')) {
      orders.push({ customerId, orderedAt: String(item.orderedAt), amount: Number(item.amount ?? 0) });
    } else if (sk.startsWith('FB#')) {
      feedback.push({ customerId, campaign: String(item.campaign), kind: item.kind as FeedbackKind });
    } else if (sk.startsWith('T#')) {
      transitions.push({ customerId, segment: String(item.segment), change: item.change === 'exit' ? 'exit' : 'enter', at: String(item.at) });
    } else if (sk.startsWith('SEG#')) {
      const segment = String(item.segment);
      members.set(segment, [...(members.get(segment) ?? []), customerId]);
    } else if (pk === 'METRICS#SENDING') {
      daily.push({ day: String(item.day), sends: Number(item.sends ?? 0), hardBounces: Number(item.hardBounces ?? 0), complaints: Number(item.complaints ?? 0) });
      for (const [k, v] of Object.entries(item)) if (typeof v === 'number') feedbackTotals[k] = (feedbackTotals[k] ?? 0) + v;
    } else if (pk === 'SNAPSHOT') {
      for (const [segment, size] of Object.entries((item.sizes ?? {}) as Record<string, number>)) snapshots.push({ date: sk, segment, size });
    } else if (pk === 'GUARD') {
      paused = item.paused === true;
    }
  }

  const attributionDays = options.attributionDays ?? DEFAULT_ATTRIBUTION_DAYS;
  return {
    generatedAt: options.now.toISOString(),
    asOf: asOf.toISOString(),
    attributionDays,
    campaigns: attribute(sends, orders, feedback, attributionDays),
    sending: { decision: decideSending(daily, asOf), paused, feedback: feedbackTotals },
    sizes: sizesOverTime(options.snapshots ?? (snapshots.length > 0 ? snapshots : snapshotsFromTransitions(transitions))),
    flows: segmentFlows(transitions),
    forecast: { ...forecastTransitions(transitions, periodBoundaries(asOf, FORECAST_PERIODS, FORECAST_PERIOD_DAYS)), periodDays: FORECAST_PERIOD_DAYS },
    segmentValue: segmentValue(members, values),
    health: segmentHealth({
      segments: [...new Set([...members.keys(), ...snapshots.map((s) => s.segment)])].sort(),
      members,
      revenue: new Map([...values].map(([id, v]) => [id, v.revenue])),
      snapshots: snapshotsByDate(snapshots),
    }),
    // Scored as `strata rfm` and the rfm-* segments score them, as of the report's date.
    rfm: rfmGrid(scoreRfm(profiles, asOf).map((row) => ({ r: row.r, f: row.f, revenue: row.monetary }))),
  };
}

/** The snapshot items, one per segment and day, as the day's sizes. */
function snapshotsByDate(snapshots: readonly SizeSnapshot[]): { date: string; sizes: Record<string, number> }[] {
  const byDate = new Map<string, Record<string, number>>();
  for (const s of snapshots) (byDate.get(s.date) ?? byDate.set(s.date, {}).get(s.date) ?? {})[s.segment] = s.size;
  return [...byDate].map(([date, sizes]) => ({ date, sizes }));
}

async function* scanTable(table: string): AsyncGenerator<Record<string, unknown>> {
  for await (const page of scanPages(dynamoDocumentClient(), { TableName: table })) yield* page.Items ?? [];
}
