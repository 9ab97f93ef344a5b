/**
 * The suite's figures and their table: each figure with its baseline from the same run, the
 * ratio between them and the aim from the issues where one exists. Pure, so it is unit-tested.
 */

export type Comparison = '<' | '<=' | '>=' | '=';

/** An aim from the issues, on the figure's value or on its ratio to the baseline. */
export interface Aim {
  readonly on: 'value' | 'ratio';
  readonly op: Comparison;
  readonly target: number;
  /** How the issue states it, e.g. "< 512 MB" or "≤ 1.5× DuckDB". */
  readonly text: string;
}

export interface Baseline {
  readonly label: string;
  readonly value: number;
}

export interface FigureInput {
  readonly name: string;
  readonly value: number;
  readonly unit: Unit;
  readonly baseline?: Baseline;
  readonly aim?: Aim;
  readonly note?: string;
}

export type Unit = 'rows/s' | 'MB' | 's' | 'ms' | 'KB' | 'calls' | 'writes' | 'per s' | 'customers/s';

export interface Figure extends FigureInput {
  readonly benchmark: string;
  /** value / baseline.value, when there is a baseline. */
  readonly ratio?: number;
  /** Whether the aim holds; absent when the issues set none. */
  readonly met?: boolean;
}

export interface BenchmarkOutcome {
  readonly name: string;
  readonly status: 'ok' | 'failed';
  readonly seconds: number;
  readonly error?: string;
  readonly figures: readonly Figure[];
}

export function compare(actual: number, op: Comparison, target: number): boolean {
  switch (op) {
    case '<':
      return actual < target;
    case '<=':
      return actual <= target;
    case '>=':
      return actual >= target;
    case '=':
      // Figures derived the same way from the same counts; a relative epsilon absorbs float division.
      return Math.abs(actual - target) <= 1e-9 * Math.max(1, Math.abs(target));
  }
}

/** A figure of one benchmark with its ratio and the verdict on its aim. */
export function figure(benchmark: string, input: FigureInput): Figure {
  const ratio = input.baseline === undefined || input.baseline.value === 0 ? undefined : input.value / input.baseline.value;
  const subject = input.aim?.on === 'ratio' ? ratio : input.value;
  const met = input.aim === undefined || subject === undefined || !Number.isFinite(subject) ? undefined : compare(subject, input.aim.op, input.aim.target);
  return { benchmark, ...input, ...(ratio === undefined ? {} : { ratio }), ...(met === undefined ? {} : { met }) };
}

export function formatValue(value: number, unit: Unit): string {
  const grouped = (v: number, digits = 0) => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  switch (unit) {
    case 'rows/s':
    case 'customers/s':
    case 'per s':
    case 'KB':
      return `${grouped(value)} ${unit}`;
    case 'MB':
      return `${grouped(value)} MB`;
    case 's':
      return `${grouped(value, value < 10 ? 3 : 1)} s`;
    case 'ms':
      return `${grouped(value, 1)} ms`;
    case 'calls':
    case 'writes':
      return `${grouped(value, Number.isInteger(value) ? 0 : 2)} ${unit}`;
  }
}

export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined) return '—';
  // Small ratios keep two significant digits, so 0.0029× does not read as 0.00×.
  return `${ratio >= 100 ? ratio.toFixed(0) : ratio >= 10 ? ratio.toFixed(1) : ratio >= 0.1 ? ratio.toFixed(2) : Number(ratio.toPrecision(2)).toString()}×`;
}

const verdict = (met: boolean | undefined) => (met === undefined ? '—' : met ? 'yes' : 'NO');

/** The rows of the printed table, header first; a failed benchmark is one FAILED row with its reason. */
export function tableRows(outcomes: readonly BenchmarkOutcome[]): string[][] {
  const rows = [['benchmark', 'figure', 'value', 'baseline (same run)', 'ratio', 'aim', 'met', 'note']];
  for (const outcome of outcomes) {
    if (outcome.status === 'failed') {
      rows.push([outcome.name, 'FAILED', '', '', '', '', 'NO', outcome.error ?? '']);
      continue;
    }
    for (const f of outcome.figures) {
      rows.push([
        outcome.name,
        f.name,
        formatValue(f.value, f.unit),
        f.baseline === undefined ? '—' : `${f.baseline.label}: ${formatValue(f.baseline.value, f.unit)}`,
        formatRatio(f.ratio),
        f.aim?.text ?? '—',
        verdict(f.met),
        f.note ?? '',
      ]);
    }
  }
  return rows;
}

/** Plain text, columns padded, numbers right-aligned. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const right = new Set([2, 4]);
  return rows
    .map((r) => r.map((cell, c) => (right.has(c) ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0))).join('  ').trimEnd())
    .join('\n');
}

/** A Markdown table of the same rows, for the README. */
export function markdownTable(rows: readonly (readonly string[])[]): string {
  const [header = [], ...body] = rows;
  const line = (r: readonly string[]) => `| ${r.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), `|${header.map((_, c) => ([2, 4].includes(c) ? '---:' : '---')).join('|')}|`, ...body.map(line)].join('\n');
}

/** The suite fails when any benchmark failed; an aim not met is reported, not a failure. */
export function suiteExitCode(outcomes: readonly BenchmarkOutcome[]): number {
  return outcomes.some((o) => o.status === 'failed') ? 1 : 0;
}
