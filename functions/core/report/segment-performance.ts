/** A segment's size on a day, as the daily snapshots record it. */
export interface SizeSnapshot {
  readonly date: string;
  readonly segment: string;
  readonly size: number;
}

/** A customer entering or leaving a segment (the T# items of the table). */
export interface Transition {
  readonly customerId: string;
  readonly segment: string;
  readonly change: 'enter' | 'exit';
  readonly at: string;
}

export interface SizeSeries {
  readonly dates: readonly string[];
  /** Per segment, its size on each date (null before it was first seen). */
  readonly series: readonly { readonly segment: string; readonly sizes: readonly (number | null)[] }[];
}

/** Snapshots as one series per segment over the union of dates. */
export function sizesOverTime(snapshots: readonly SizeSnapshot[]): SizeSeries {
  const dates = [...new Set(snapshots.map((s) => s.date))].sort();
  const index = new Map(dates.map((d, i) => [d, i]));
  const bySegment = new Map<string, (number | null)[]>();
  for (const s of snapshots) {
    const sizes = bySegment.get(s.segment) ?? dates.map(() => null);
    sizes[index.get(s.date) ?? 0] = s.size;
    bySegment.set(s.segment, sizes);
  }
  return { dates, series: [...bySegment].sort((a, b) => a[0].localeCompare(b[0])).map(([segment, sizes]) => ({ segment, sizes })) };
}

/**
 * Daily sizes replayed from the transitions, for stacks without snapshots: the size at the end of
 * each day on which any segment changed.
 */
export function snapshotsFromTransitions(transitions: readonly Transition[]): SizeSnapshot[] {
  const sorted = [...transitions].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const sizes = new Map<string, number>();
  const snapshots = new Map<string, SizeSnapshot>();
  for (const t of sorted) {
    sizes.set(t.segment, (sizes.get(t.segment) ?? 0) + (t.change === 'enter' ? 1 : -1));
    const date = t.at.slice(0, 10);
    for (const [segment, size] of sizes) snapshots.set(`${date}\u001f${segment}`, { date, segment, size });
  }
  return [...snapshots.values()];
}

const OUTSIDE = '(none)';

export interface Flow {
  readonly from: string;
  readonly to: string;
  readonly customers: number;
}

/**
 * Moves between segments: a customer who leaves A and enters B in the same evaluation (same
 * transition time) flowed A → B; entering with no exit comes from "(none)", leaving with no entry
 * goes to it.
 */
export function segmentFlows(transitions: readonly Transition[]): Flow[] {
  const byEvaluation = new Map<string, { exits: string[]; enters: string[] }>();
  for (const t of transitions) {
    const key = `${t.customerId}\u001f${t.at}`;
    const e = byEvaluation.get(key) ?? { exits: [], enters: [] };
    (t.change === 'enter' ? e.enters : e.exits).push(t.segment);
    byEvaluation.set(key, e);
  }
  const counts = new Map<string, number>();
  const add = (from: string, to: string) => counts.set(`${from}\u001f${to}`, (counts.get(`${from}\u001f${to}`) ?? 0) + 1);
  for (const { exits, enters } of byEvaluation.values()) {
    if (exits.length === 0) for (const to of enters) add(OUTSIDE, to);
    else if (enters.length === 0) for (const from of exits) add(from, OUTSIDE);
    else for (const from of exits) for (const to of enters) add(from, to);
  }
  return [...counts]
    .map(([key, customers]) => {
      const [from = '', to = ''] = key.split('\u001f');
      return { from, to, customers };
    })
    .sort((a, b) => b.customers - a.customers || a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
}

export interface CustomerValue {
  readonly customerId: string;
  readonly revenue: number;
  /** Predicted 12-month value (model.clv12m), when the model has scored the customer. */
  readonly clv12m?: number;
}

export interface SegmentValue {
  readonly segment: string;
  readonly members: number;
  readonly revenue: number;
  readonly revenuePerMember: number;
  /** Sum and mean of clv12m over the members that have one; undefined when none has. */
  readonly clv12m?: number;
  readonly clvPerMember?: number;
}

/** Revenue and predicted CLV of each segment's current members. */
export function segmentValue(members: ReadonlyMap<string, readonly string[]>, customers: ReadonlyMap<string, CustomerValue>): SegmentValue[] {
  return [...members]
    .map(([segment, ids]) => {
      let revenue = 0, clv = 0, scored = 0;
      for (const id of ids) {
        const c = customers.get(id);
        revenue += c?.revenue ?? 0;
        if (c?.clv12m !== undefined) {
          clv += c.clv12m;
          scored++;
        }
      }
      return {
        segment,
        members: ids.length,
        revenue: round2(revenue),
        revenuePerMember: ids.length === 0 ? 0 : round2(revenue / ids.length),
        ...(scored > 0 ? { clv12m: round2(clv), clvPerMember: round2(clv / scored) } : {}),
      };
    })
    .sort((a, b) => b.revenue - a.revenue || a.segment.localeCompare(b.segment));
}

export interface RfmRow {
  readonly r: number;
  readonly f: number;
  readonly revenue: number;
}

export interface RfmGrid {
  /** cells[r-1][f-1] */
  readonly customers: readonly (readonly number[])[];
  readonly revenue: readonly (readonly number[])[];
}

/** Customers and revenue in each recency × frequency cell (scores 1–5, 5 best). */
export function rfmGrid(rows: readonly RfmRow[]): RfmGrid {
  const customers = Array.from({ length: 5 }, () => [0, 0, 0, 0, 0]);
  const revenue = Array.from({ length: 5 }, () => [0, 0, 0, 0, 0]);
  for (const { r, f, revenue: value } of rows) {
    if (!(r >= 1 && r <= 5 && f >= 1 && f <= 5)) continue;
    const counts = customers[r - 1] as number[];
    const sums = revenue[r - 1] as number[];
    counts[f - 1] = (counts[f - 1] ?? 0) + 1;
    sums[f - 1] = (sums[f - 1] ?? 0) + value;
  }
  return { customers, revenue: revenue.map((row) => row.map(round2)) };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
