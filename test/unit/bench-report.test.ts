import { describe, expect, it } from 'vitest';
import { compare, figure, formatRatio, formatTable, markdownTable, suiteExitCode, tableRows, type BenchmarkOutcome, type Comparison } from '../../bench/report.ts';
import { BENCHMARKS } from '../../bench/suite.ts';

const suite = (name: string) => {
  const bench = BENCHMARKS.find((b) => b.name === name);
  if (bench === undefined) throw new Error(`no benchmark ${name}`);
  return bench;
};

describe('figures: ratio to the same run’s baseline and the aim', () => {
  it.each([
    { label: 'ratio is value over baseline', value: 30, baseline: 10, ratio: 3 },
    { label: 'no baseline, no ratio', value: 30, baseline: undefined, ratio: undefined },
    { label: 'a zero baseline gives no ratio rather than Infinity', value: 30, baseline: 0, ratio: undefined },
  ])('$label', ({ value, baseline, ratio }) => {
    const f = figure('x', { name: 'f', value, unit: 's', ...(baseline === undefined ? {} : { baseline: { label: 'b', value: baseline } }) });
    expect(f.ratio).toBe(ratio);
    expect(f.benchmark).toBe('x');
  });

  it.each([
    { label: 'ratio within the aim', value: 1.4, base: 1, on: 'ratio', op: '<=', target: 1.5, met: true },
    { label: 'ratio above the aim', value: 17, base: 1, on: 'ratio', op: '<=', target: 1.5, met: false },
    { label: 'throughput ratio at least a third', value: 1124, base: 3000, on: 'ratio', op: '>=', target: 1 / 3, met: true },
    { label: 'throughput ratio below a third', value: 1124, base: 430912, on: 'ratio', op: '>=', target: 1 / 3, met: false },
    { label: 'value strictly under a limit', value: 393, base: 110, on: 'value', op: '<', target: 512, met: true },
    { label: 'value at a strict limit', value: 512, base: 110, on: 'value', op: '<', target: 512, met: false },
    { label: 'value equal to the target', value: 0, base: undefined, on: 'value', op: '=', target: 0, met: true },
    { label: 'value not equal to the target', value: 3, base: undefined, on: 'value', op: '=', target: 0, met: false },
    { label: 'aim on a ratio without a baseline cannot be judged', value: 3, base: undefined, on: 'ratio', op: '<=', target: 1.5, met: undefined },
  ] as const)('$label → met $met', ({ value, base, on, op, target, met }) => {
    const f = figure('x', { name: 'f', value, unit: 's', aim: { on, op, target, text: 't' }, ...(base === undefined ? {} : { baseline: { label: 'b', value: base } }) });
    expect(f.met).toBe(met);
  });

  it.each([
    ['<', 1, 2, true],
    ['<', 2, 2, false],
    ['<=', 2, 2, true],
    ['>=', 2, 2, true],
    ['>=', 1, 2, false],
    ['=', (2020 * 1000) / 100000, 20.2, true],
    ['=', 20.3, 20.2, false],
  ] as [Comparison, number, number, boolean][])('%s: %d against %d → %s', (op, actual, target, expected) => {
    expect(compare(actual, op, target)).toBe(expected);
  });
});

describe('the suite reads each benchmark’s results into figures with the issues’ aims', () => {
  it('ingest: end to end within 3× of parsing the same rows, and peak RSS under 512 MB', () => {
    const phase = (rows: number, seconds: number, peakRssMb: number) => ({ rows, seconds, peakRssMb, rowsPerSecond: Math.round(rows / seconds) });
    const figures = suite('ingest')
      .figures({
        parse: phase(3_000_000, 7, 110),
        pipeline: { ...phase(3_000_000, 90, 393), writesPerOrder: 1.3 },
        parseStack: phase(100_000, 0.3, 100),
        stack: { ...phase(100_000, 89, 1244), dynamoItemsPerOrder: 1.67 },
      })
      .map((f) => figure('ingest', f));
    const byName = (prefix: string) => figures.find((f) => f.name.startsWith(prefix))!;
    expect(byName('embedded stack end to end').met).toBe(false);
    expect(byName('embedded stack end to end').ratio).toBeCloseTo(1124 / 333333, 4);
    expect(byName('ingest logic, peak').met).toBe(true);
    expect(byName('embedded stack, peak').met).toBe(false);
    expect(byName('DynamoDB items').value).toBe(1.67);
  });

  it('segments: the ratio to DuckDB and zero writes on a re-run', () => {
    const figures = suite('segments')
      .figures({ profiles: 1_000_000, segments: 45, duckdbRfmSeconds: 1, strataAllSegmentsSeconds: 1.2, rfmScoresDifferingFromDuckdb: 0, rerunCustomers: 23570, rerunWrites: 2 })
      .map((f) => figure('segments', f));
    expect(figures.map((f) => [f.ratio, f.met])).toEqual([
      [1.2, true],
      [undefined, false],
    ]);
  });

  it('dispatch: SES calls per 1,000 recipients must be ceil(n/50) plus the retried calls', () => {
    const results = (sesCalls: number) => ({
      configuredRate: 250,
      baseline: { perSecond: 4918 },
      dispatch: { recipients: 100_000, sesCalls, expectedCalls: { value: 2020 }, throttledCallsRetried: 20, perSecond: 217 },
      withDynamoDB: { recipients: 2000, perSecond: 45 },
    });
    const [calls, throughput] = suite('dispatch').figures(results(2020)).map((f) => figure('dispatch', f));
    expect(calls!.value).toBeCloseTo(20.2, 10);
    expect(calls!.baseline?.value).toBe(20);
    expect(calls!.met).toBe(true);
    expect(figure('dispatch', suite('dispatch').figures(results(2021))[0]!).met).toBe(false);
    expect(throughput!.ratio).toBeCloseTo(0.868, 3);
  });

  it('models: the scoring aim of 10 s per million scales to a quick run’s size', () => {
    const fit = (customers: number, fitSeconds: number) => ({ customers, fitSeconds, logLikelihoodSeconds: 0.002 });
    const figures = suite('models')
      .figures({ fitSample: fit(2357, 0.4), fitMaster: fit(23570, 3.2), score: { customers: 50_000, scoreSeconds: 0.6, readSeconds: 0.01 } })
      .map((f) => figure('models', f));
    expect(figures.map((f) => f.met)).toEqual([true, false, false]);
    expect(figures[2]!.aim?.target).toBe(0.5);
  });

  it('a results file of another shape is refused', () => {
    expect(() => suite('segments').figures({ profiles: '1000000' })).toThrow();
  });

  it('every benchmark has a unique name and a quick size', () => {
    expect(new Set(BENCHMARKS.map((b) => b.name)).size).toBe(BENCHMARKS.length);
    for (const b of BENCHMARKS) expect(b.quickArgs.length).toBeGreaterThan(0);
  });
});

describe('the table and the exit code', () => {
  const ok: BenchmarkOutcome = {
    name: 'segments',
    status: 'ok',
    seconds: 12,
    figures: [figure('segments', { name: 'all segments', value: 2.315, unit: 's', baseline: { label: 'DuckDB', value: 0.134 }, aim: { on: 'ratio', op: '<=', target: 1.5, text: '≤ 1.5× DuckDB' } })],
  };
  const failed: BenchmarkOutcome = { name: 'dispatch', status: 'failed', seconds: 3, error: 'exit code 1', figures: [] };

  it('shows value, baseline, ratio, aim and verdict; a failed benchmark as FAILED with its reason', () => {
    const rows = tableRows([ok, failed]);
    expect(rows[1]).toEqual(['segments', 'all segments', '2.315 s', 'DuckDB: 0.134 s', '17.3×', '≤ 1.5× DuckDB', 'NO', '']);
    expect(rows[2]).toEqual(['dispatch', 'FAILED', '', '', '', '', 'NO', 'exit code 1']);
  });

  it.each([
    [undefined, '—'],
    [255.4, '255×'],
    [17.255, '17.3×'],
    [1.01, '1.01×'],
    [0.33, '0.33×'],
    [0.002878, '0.0029×'],
  ])('ratio %s reads %s', (ratio, text) => {
    expect(formatRatio(ratio)).toBe(text);
  });

  it('aligns columns in text and escapes pipes in Markdown', () => {
    const text = formatTable([
      ['a', 'b', 'value'],
      ['long name', 'x', '1 s'],
    ]).split('\n');
    expect(text).toEqual(['a          b  value', 'long name  x    1 s']);
    expect(markdownTable([['a', 'b', 'value'], ['x|y', 'z', '1']])).toBe('| a | b | value |\n|---|---|---:|\n| x\\|y | z | 1 |');
  });

  it('exits 1 when a benchmark failed, 0 when all ran even with aims not met', () => {
    expect(suiteExitCode([ok, failed])).toBe(1);
    expect(suiteExitCode([ok])).toBe(0);
  });
});
