import type { ValidationReport } from './validation.ts';

/**
 * A self-contained SVG of a validation report: weekly cumulative repeat purchases (observed and
 * predicted, calibration end marked) beside holdout purchases by calibration frequency. The HTML
 * report draws the same data (validateModel) with its charting library; this is the CLI's file.
 */
export function validationSvg(report: ValidationReport): string {
  const width = 960;
  const height = 420;
  const panel = { w: 400, h: 280, top: 60 };
  const left = { x: 70 };
  const right = { x: 540 };
  const parts: string[] = [];
  const text = (x: number, y: number, s: string, attrs = '') => `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${escapeXml(s)}</text>`;
  const axes = (x0: number, yMax: number, title: string, xLabel: string) => {
    parts.push(`<line x1="${x0}" y1="${panel.top + panel.h}" x2="${x0 + panel.w}" y2="${panel.top + panel.h}" stroke="#333"/>`);
    parts.push(`<line x1="${x0}" y1="${panel.top}" x2="${x0}" y2="${panel.top + panel.h}" stroke="#333"/>`);
    parts.push(text(x0, panel.top - 20, title, 'font-weight="bold"'));
    parts.push(text(x0 + panel.w / 2, panel.top + panel.h + 36, xLabel, 'text-anchor="middle"'));
    for (let i = 0; i <= 4; i++) {
      const v = (yMax * i) / 4;
      const y = panel.top + panel.h - (panel.h * i) / 4;
      parts.push(`<line x1="${x0 - 4}" y1="${y}" x2="${x0}" y2="${y}" stroke="#333"/>`);
      parts.push(text(x0 - 8, y + 4, Number.isInteger(v) ? String(v) : v.toFixed(2).replace(/0$/, ''), 'text-anchor="end"'));
    }
  };

  // Left: cumulative tracking.
  const tracking = report.tracking;
  const yMaxTrack = niceMax(Math.max(1, ...tracking.map((r) => Math.max(r.actual, r.predicted))));
  const weeks = Math.max(1, tracking.length);
  const px = (week: number) => left.x + (panel.w * week) / weeks;
  const py = (v: number, max: number) => panel.top + panel.h - (panel.h * v) / max;
  axes(left.x, yMaxTrack, 'Cumulative repeat purchases', 'week');
  const path = (values: readonly number[]) => values.map((v, i) => `${i === 0 ? 'M' : 'L'}${px(i + 1).toFixed(1)},${py(v, yMaxTrack).toFixed(1)}`).join(' ');
  parts.push(`<path d="${path(tracking.map((r) => r.actual))}" fill="none" stroke="#1f77b4" stroke-width="2"/>`);
  parts.push(`<path d="${path(tracking.map((r) => r.predicted))}" fill="none" stroke="#ff7f0e" stroke-width="2" stroke-dasharray="6 4"/>`);
  const calWeek = tracking.findIndex((r) => r.holdout);
  if (calWeek > 0) {
    parts.push(`<line x1="${px(calWeek)}" y1="${panel.top}" x2="${px(calWeek)}" y2="${panel.top + panel.h}" stroke="#999" stroke-dasharray="2 3"/>`);
    parts.push(text(px(calWeek) + 4, panel.top + 12, `calibration end ${report.calibrationEnd}`, 'font-size="11" fill="#666"'));
  }
  for (let w = 0; w <= weeks; w += Math.max(1, Math.ceil(weeks / 8 / 4) * 4)) parts.push(text(px(w), panel.top + panel.h + 16, String(w), 'text-anchor="middle"'));

  // Right: holdout purchases by calibration frequency.
  const rows = report.byFrequency;
  const yMaxFreq = niceMax(Math.max(0.1, ...rows.map((r) => Math.max(r.actual, r.predicted))));
  axes(right.x, yMaxFreq, `Holdout purchases per customer (${report.holdoutWeeks.toFixed(0)} weeks)`, 'repeat purchases in calibration');
  const slot = panel.w / Math.max(1, rows.length);
  rows.forEach((r, i) => {
    const x = right.x + i * slot;
    const bar = (v: number, offset: number, color: string) =>
      `<rect x="${(x + offset).toFixed(1)}" y="${py(v, yMaxFreq).toFixed(1)}" width="${(slot * 0.35).toFixed(1)}" height="${(panel.top + panel.h - py(v, yMaxFreq)).toFixed(1)}" fill="${color}"/>`;
    parts.push(bar(r.actual, slot * 0.12, '#1f77b4'), bar(r.predicted, slot * 0.5, '#ff7f0e'));
    parts.push(text(x + slot / 2, panel.top + panel.h + 16, r.x, 'text-anchor="middle"'));
  });

  const legendY = height - 10;
  parts.push(`<rect x="${left.x}" y="${legendY - 10}" width="12" height="12" fill="#1f77b4"/>`, text(left.x + 18, legendY, 'actual'));
  parts.push(`<rect x="${left.x + 90}" y="${legendY - 10}" width="12" height="12" fill="#ff7f0e"/>`, text(left.x + 108, legendY, 'BG/NBD prediction'));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...parts,
    '</svg>',
  ].join('\n');
}

function niceMax(v: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(v));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * magnitude >= v) ?? 10;
  return step * magnitude;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
