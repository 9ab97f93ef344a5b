import { expectedPurchases, expectedRepeatPurchases } from './bgnbd.ts';
import type { Models } from './clv.ts';
import { DAYS_PER_WEEK, dayOf, holdoutPurchases, isoDay, summarizeHistory, type PurchaseHistory } from './prepare.ts';

export interface FrequencyRow {
  /** Calibration repeat purchases: "0".."6", then "7+" for seven or more. */
  readonly x: string;
  readonly customers: number;
  /** Mean holdout purchase days per customer, observed and predicted (E[Y(holdout) | x, t_x, T]). */
  readonly actual: number;
  readonly predicted: number;
}

export interface TrackingRow {
  /** Weeks since the first purchase in the data. */
  readonly week: number;
  /** Last day of that week (UTC). */
  readonly date: string;
  /** Cumulative repeat purchase days of the calibration cohort, observed and predicted (Σ E[X(t)]). */
  readonly actual: number;
  readonly predicted: number;
  readonly holdout: boolean;
}

export interface ValidationReport {
  readonly calibrationEnd: string;
  readonly holdoutEnd: string;
  readonly holdoutWeeks: number;
  readonly customers: number;
  readonly byFrequency: readonly FrequencyRow[];
  readonly tracking: readonly TrackingRow[];
  /** Holdout repeat purchase days in total, observed and predicted, and the relative error. */
  readonly holdout: { readonly actual: number; readonly predicted: number; readonly error: number };
}

const TOP_BUCKET = 7;

/**
 * Checks a fit on a calibration/holdout split the way Fader, Hardie & Lee (2005) do: conditional
 * expectations by calibration frequency (their Figure 4) and weekly cumulative repeat purchases
 * of the cohort (their Figure 3). Pure: the data the report's chart and the HTML report plot.
 */
export function validateModel(models: Models, histories: readonly PurchaseHistory[], calibrationEnd: string, holdoutEnd: string): ValidationReport {
  const calDay = dayOf(calibrationEnd);
  const endDay = dayOf(holdoutEnd);
  const holdoutWeeks = (endDay - calDay) / DAYS_PER_WEEK;
  const buckets = Array.from({ length: TOP_BUCKET + 1 }, () => ({ customers: 0, actual: 0, predicted: 0 }));
  const cohort: PurchaseHistory[] = [];
  let startDay = Number.POSITIVE_INFINITY;
  let totalActual = 0;
  let totalPredicted = 0;
  for (const h of histories) {
    const summary = summarizeHistory(h, calDay);
    if (summary === undefined) continue;
    cohort.push(h);
    startDay = Math.min(startDay, summary.firstDay);
    const bucket = buckets[Math.min(summary.x, TOP_BUCKET)] as (typeof buckets)[number];
    const actual = holdoutPurchases(h, calDay, endDay);
    const predicted = expectedPurchases(models.bgnbd, summary, holdoutWeeks);
    bucket.customers++;
    bucket.actual += actual;
    bucket.predicted += predicted;
    totalActual += actual;
    totalPredicted += predicted;
  }
  const byFrequency = buckets.map((b, x) => ({
    x: x === TOP_BUCKET ? `${TOP_BUCKET}+` : String(x),
    customers: b.customers,
    actual: b.customers === 0 ? 0 : b.actual / b.customers,
    predicted: b.customers === 0 ? 0 : b.predicted / b.customers,
  }));
  return {
    calibrationEnd,
    holdoutEnd,
    holdoutWeeks,
    customers: cohort.length,
    byFrequency,
    tracking: cohort.length === 0 ? [] : tracking(models, cohort, startDay, calDay, endDay),
    holdout: { actual: totalActual, predicted: totalPredicted, error: totalActual === 0 ? 0 : (totalPredicted - totalActual) / totalActual },
  };
}

function tracking(models: Models, cohort: readonly PurchaseHistory[], startDay: number, calDay: number, endDay: number): TrackingRow[] {
  // Customers who started the same day share E[X(t)]: one evaluation per start day and week.
  const startCounts = new Map<number, number>();
  const repeatDays: number[] = [];
  for (const h of cohort) {
    const first = h.days[0] as number;
    startCounts.set(first, (startCounts.get(first) ?? 0) + 1);
    for (let i = 1; i < h.days.length; i++) repeatDays.push(h.days[i] as number);
  }
  repeatDays.sort((p, q) => p - q);
  const rows: TrackingRow[] = [];
  let seen = 0;
  const weeks = Math.ceil((endDay - startDay + 1) / DAYS_PER_WEEK);
  for (let week = 1; week <= weeks; week++) {
    const lastDay = Math.min(startDay + week * DAYS_PER_WEEK - 1, endDay);
    while (seen < repeatDays.length && (repeatDays[seen] as number) <= lastDay) seen++;
    let predicted = 0;
    for (const [first, count] of startCounts) {
      if (first < lastDay) predicted += count * expectedRepeatPurchases(models.bgnbd, (lastDay - first) / DAYS_PER_WEEK);
    }
    rows.push({ week, date: isoDay(lastDay), actual: seen, predicted, holdout: lastDay > calDay });
  }
  return rows;
}

export function formatValidation(report: ValidationReport): string {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  const lines = [
    `BG/NBD validation: calibration to ${report.calibrationEnd}, holdout to ${report.holdoutEnd} (${report.holdoutWeeks.toFixed(1)} weeks), ${report.customers} customers`,
    '',
    'Holdout purchases per customer by calibration repeat purchases',
    '   x  customers    actual  predicted',
    ...report.byFrequency.map((r) => `${r.x.padStart(4)}  ${String(r.customers).padStart(9)}  ${r.actual.toFixed(3).padStart(8)}  ${r.predicted.toFixed(3).padStart(9)}`),
    '',
    `Holdout repeat purchases: actual ${report.holdout.actual}, predicted ${report.holdout.predicted.toFixed(1)} (${pct(report.holdout.error)})`,
    '',
    'Cumulative repeat purchases by week',
    'week  date          actual  predicted',
    ...report.tracking.map((r) => `${String(r.week).padStart(4)}  ${r.date}  ${String(r.actual).padStart(6)}  ${r.predicted.toFixed(1).padStart(9)}${r.holdout ? '  holdout' : ''}`),
  ];
  return lines.join('\n');
}
