import { describe, expect, it } from 'vitest';
import { awaitOwnReport, type StoredReport } from '../../bin/commands/ingest.ts';

/** A fake clock that sleeping moves on, and reads answered in turn (the last one repeats). */
function harness(answers: readonly (StoredReport | undefined)[]) {
  let now = 0;
  let reads = 0;
  const read = () => Promise.resolve(answers[Math.min(reads++, answers.length - 1)]);
  const options = { what: 'incoming/customers/c.csv (ETag abc)', clock: () => now, sleep: (ms: number) => Promise.resolve(void (now += ms)) };
  return { read, options, reads: () => reads, now: () => now };
}

const applied: StoredReport = { file: 'incoming/customers/c.csv', etag: 'abc', status: 'applied', accepted: 3 };
const failed: StoredReport = { file: 'incoming/customers/c.csv', etag: 'abc', status: 'failed', error: 'Error: dynamo down' };

describe("waiting for one's own upload's report", () => {
  it('returns the report as soon as it is there', async () => {
    const h = harness([undefined, undefined, applied]);
    expect(await awaitOwnReport(h.read, { ...h.options, timeoutMs: 60_000 })).toEqual(applied);
    expect(h.reads()).toBe(3);
  });

  it('keeps waiting past a failed attempt, which the handler retries', async () => {
    const h = harness([failed, undefined, applied]);
    expect(await awaitOwnReport(h.read, { ...h.options, timeoutMs: 60_000 })).toEqual(applied);
  });

  it('reads again after a read that failed (the stack may be rewriting the report as it is read)', async () => {
    let reads = 0;
    const read = () => (reads++ === 0 ? Promise.reject(new Error('aborted')) : Promise.resolve(applied));
    const h = harness([]);
    expect(await awaitOwnReport(read, { ...h.options, timeoutMs: 60_000 })).toEqual(applied);
  });

  it('answers with the failed attempt when nothing better came in time', async () => {
    const h = harness([undefined, failed]);
    expect(await awaitOwnReport(h.read, { ...h.options, timeoutMs: 5_000 })).toEqual(failed);
    expect(h.now()).toBe(5_000);
  });

  it('gives up at the timeout saying what it waited for and how to wait longer', async () => {
    const h = harness([undefined]);
    await expect(awaitOwnReport(h.read, { ...h.options, timeoutMs: 2_000 })).rejects.toThrow(
      /^no report for incoming\/customers\/c\.csv \(ETag abc\) within 2 s: .*--timeout SECONDS$/,
    );
    expect(h.now()).toBe(2_000);
  });
});
