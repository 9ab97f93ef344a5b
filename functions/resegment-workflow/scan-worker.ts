import type { Context } from 'aws-lambda';
import type { ProfilePage, ScanKey } from '../adapters/resegment-store.ts';
import type { WorkerState } from '../core/resegment/run.ts';

/** Time kept free at the end of an invocation to write results and return, at least this much. */
const MIN_RESERVE_MS = 60_000;

export interface ScanProgress {
  readonly lastKey: ScanKey | null;
  readonly exhausted: boolean;
  readonly pages: number;
}

/**
 * Reads a worker's scan segment page by page from where the previous invocation stopped, and stops
 * early (for the workflow to loop it) when the Lambda nears its timeout or the page budget is spent.
 * The reserve grows with the slowest page seen, so a slow page never runs into the timeout.
 */
export async function workScanSegment(
  state: WorkerState,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
  scan: (startKey: ScanKey | null) => Promise<ProfilePage>,
  onPage: (items: Record<string, unknown>[]) => Promise<void>,
): Promise<ScanProgress> {
  let lastKey: ScanKey | null = state.lastKey;
  let pages = 0;
  let slowestMs = 0;
  for (;;) {
    const started = Date.now();
    const page = await scan(lastKey);
    await onPage(page.items);
    pages += 1;
    slowestMs = Math.max(slowestMs, Date.now() - started);
    if (page.lastKey === undefined) return { lastKey: null, exhausted: true, pages };
    lastKey = page.lastKey;
    const budgetSpent = state.run.maxPagesPerInvocation !== null && pages >= state.run.maxPagesPerInvocation;
    if (budgetSpent || context.getRemainingTimeInMillis() < Math.max(MIN_RESERVE_MS, 2 * slowestMs)) return { lastKey, exhausted: false, pages };
  }
}
