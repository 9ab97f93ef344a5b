import type { PartResult } from './run.ts';

export interface SegmentSummary {
  /** Customers who entered or left the segment in this run. */
  readonly changed: number;
  readonly entered: number;
  readonly exited: number;
  /** Transition items written for the segment (one per entry or exit). */
  readonly transitions: number;
  /** Members after the run. */
  readonly size: number;
}

export interface ScanSegmentSummary {
  readonly segment: number;
  readonly customers: number;
  /** Customers with at least one membership change. */
  readonly changed: number;
  readonly transitions: number;
  /** Time spent by the worker invocations of this scan segment. */
  readonly durationMs: number;
  readonly invocations: number;
}

export interface RunSummary {
  readonly segments: Readonly<Record<string, SegmentSummary>>;
  readonly scanSegments: readonly ScanSegmentSummary[];
  readonly totals: { readonly customers: number; readonly changed: number; readonly entered: number; readonly exited: number; readonly transitions: number };
}

/** Folds the workers' per-invocation counts and the segment sizes into the run's summary. */
export function summarizeRun(parts: readonly PartResult[], sizes: Readonly<Record<string, number>>): RunSummary {
  const entered: Record<string, number> = {};
  const exited: Record<string, number> = {};
  const bySegment = new Map<number, ScanSegmentSummary>();
  for (const p of parts) {
    for (const [name, n] of Object.entries(p.entered)) entered[name] = (entered[name] ?? 0) + n;
    for (const [name, n] of Object.entries(p.exited)) exited[name] = (exited[name] ?? 0) + n;
    const transitions = sum(Object.values(p.entered)) + sum(Object.values(p.exited));
    const previous = bySegment.get(p.segment) ?? { segment: p.segment, customers: 0, changed: 0, transitions: 0, durationMs: 0, invocations: 0 };
    bySegment.set(p.segment, {
      segment: p.segment,
      customers: previous.customers + p.customers,
      changed: previous.changed + p.changedCustomers,
      transitions: previous.transitions + transitions,
      durationMs: previous.durationMs + p.durationMs,
      invocations: previous.invocations + 1,
    });
  }
  const names = [...new Set([...Object.keys(sizes), ...Object.keys(entered), ...Object.keys(exited)])].sort();
  const segments = Object.fromEntries(
    names.map((name) => {
      const e = entered[name] ?? 0;
      const x = exited[name] ?? 0;
      return [name, { changed: e + x, entered: e, exited: x, transitions: e + x, size: sizes[name] ?? 0 }];
    }),
  );
  const scanSegments = [...bySegment.values()].sort((a, b) => a.segment - b.segment);
  const totalEntered = sum(Object.values(entered));
  const totalExited = sum(Object.values(exited));
  return {
    segments,
    scanSegments,
    totals: {
      customers: sum(scanSegments.map((s) => s.customers)),
      changed: sum(scanSegments.map((s) => s.changed)),
      entered: totalEntered,
      exited: totalExited,
      transitions: totalEntered + totalExited,
    },
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
