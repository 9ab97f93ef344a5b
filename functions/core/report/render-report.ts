import { MIN_CONCLUSIVE_GROUP, type CampaignPerformance } from './attribution.ts';
import type { Interval } from './stats.ts';
import type { GuardDecision } from '../feedback/sending-guard.ts';
import type { Flow, RfmGrid, SegmentValue, SizeSeries } from './segment-performance.ts';
import type { TransitionForecast } from '../models/transitions.ts';
import { jaccardText, type HealthReport } from '../segments/health.ts';

/** Everything the report shows, computed beforehand from the ledgers. */
export interface ReportData {
  readonly generatedAt: string;
  readonly asOf: string;
  readonly attributionDays: number;
  readonly campaigns: readonly CampaignPerformance[];
  readonly sending: { readonly decision: GuardDecision; readonly paused: boolean; readonly feedback: Readonly<Record<string, number>> };
  readonly sizes: SizeSeries;
  readonly flows: readonly Flow[];
  readonly segmentValue: readonly SegmentValue[];
  readonly rfm: RfmGrid;
  /** Lifecycle transition matrix estimated from the recorded history, with next period's sizes. */
  readonly forecast: TransitionForecast & { readonly periodDays: number };
  /** Share, overlap, revenue index, trend and warnings of every segment (segments/health.ts). */
  readonly health: HealthReport;
}

export interface RenderOptions {
  /** The charting library's browser build (Apache ECharts), inlined so the file needs no network. */
  readonly chartLibrary: string;
}

interface Chart {
  readonly id: string;
  readonly label: string;
  readonly option: unknown;
}

interface Table {
  readonly caption: string;
  readonly columns: readonly string[];
  /** The first cell of each row heads the row. */
  readonly rows: readonly (readonly (string | number)[])[];
}

interface Section {
  readonly id: string;
  readonly title: string;
  readonly intro: string;
  readonly chart: Chart;
  readonly table: Table;
}

/** One self-contained HTML page: charts (ECharts, SVG) and, next to each, the table of its figures. */
export function renderReport(data: ReportData, options: RenderOptions): string {
  const sections = [
    campaignSection(data),
    upliftSection(data),
    sendingSection(data),
    sizesSection(data),
    flowsSection(data),
    forecastSection(data),
    valueSection(data),
    healthSection(data),
    rfmSection(data),
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>strata performance report, ${escapeHtml(data.asOf.slice(0, 10))}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1rem 2rem; color: #1f2328; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.5rem; border-bottom: 1px solid #d0d7de; }
.pair { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1.5rem; align-items: start; }
.chart { height: 360px; width: 100%; }
table { border-collapse: collapse; font-size: 0.85rem; width: 100%; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.3rem; }
th, td { border: 1px solid #d0d7de; padding: 0.2rem 0.4rem; text-align: right; }
th[scope=row], thead th { background: #f6f8fa; text-align: left; }
.table-wrap { max-height: 360px; overflow: auto; }
.status { padding: 0.5rem 1rem; border-radius: 6px; background: #dafbe1; }
.status.paused { background: #ffebe9; }
@media (max-width: 800px) { .pair { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<header>
<h1>strata performance report</h1>
<p>As of ${escapeHtml(data.asOf)}, generated ${escapeHtml(data.generatedAt)}. Orders within ${data.attributionDays} days after a send are credited to its campaign; held-out customers are measured the same way. Intervals are 95%: normal approximation for conversion rates, Welch's t for revenue per recipient.</p>
<p class="status${data.sending.paused ? ' paused' : ''}" role="status">Sending is ${data.sending.paused ? `<strong>paused</strong>: ${escapeHtml(data.sending.decision.reasons.join('; ') || 'by the guard')}` : 'active'}.</p>
<nav aria-label="Sections"><ul>${sections.map((s) => `<li><a href="#${s.id}">${escapeHtml(s.title)}</a></li>`).join('')}</ul></nav>
</header>
<main>
${sections.map(renderSection).join('\n')}
</main>
<script>${options.chartLibrary.replace(/<\/script/gi, '<\\/script')}</script>
<script>
for (const element of document.querySelectorAll('[data-chart]')) {
  const option = JSON.parse(document.getElementById(element.id + '-option').textContent);
  echarts.init(element, null, { renderer: 'svg' }).setOption(option);
}
</script>
</body>
</html>
`;
}

function renderSection(s: Section): string {
  return `<section id="${s.id}" aria-labelledby="${s.id}-title">
<h2 id="${s.id}-title">${escapeHtml(s.title)}</h2>
<p>${escapeHtml(s.intro)}</p>
<div class="pair">
<div id="${s.chart.id}" class="chart" data-chart role="img" aria-label="${escapeHtml(s.chart.label)}"></div>
<script type="application/json" id="${s.chart.id}-option">${jsonForScript(s.chart.option)}</script>
<div class="table-wrap">${renderTable(s.table)}</div>
</div>
</section>`;
}

function renderTable(t: Table): string {
  const head = t.columns.map((c) => `<th scope="col">${escapeHtml(c)}</th>`).join('');
  const body = t.rows
    .map((row) => `<tr>${row.map((cell, i) => (i === 0 ? `<th scope="row">${escapeHtml(String(cell))}</th>` : `<td>${escapeHtml(String(cell))}</td>`)).join('')}</tr>`)
    .join('\n');
  const empty = t.rows.length === 0 ? `<tr><td colspan="${t.columns.length}">no data yet</td></tr>` : '';
  return `<table>\n<caption>${escapeHtml(t.caption)}</caption>\n<thead><tr>${head}</tr></thead>\n<tbody>${body}${empty}</tbody>\n</table>`;
}

const BASE = { animation: false, tooltip: {}, grid: { containLabel: true, left: 8, right: 16, bottom: 8, top: 40 } };
const label = (c: CampaignPerformance) => `${c.campaign} · ${c.segment}`;

function campaignSection(data: ReportData): Section {
  const stages = ['sent', 'delivered', 'opened', 'clicked', 'converted'] as const;
  return {
    id: 'campaigns',
    title: 'Campaigns: from send to order',
    intro: 'Mailed customers of each campaign and segment, and how many were delivered, opened, clicked and ordered within the window.',
    chart: {
      id: 'chart-campaigns',
      label: 'Bar chart of sent, delivered, opened, clicked and converted customers per campaign and segment',
      option: {
        ...BASE,
        legend: { top: 0 },
        xAxis: { type: 'category', data: stages },
        yAxis: { type: 'value', name: 'customers' },
        series: data.campaigns.map((c) => ({ type: 'bar', name: label(c), data: stages.map((s) => c.treatment[s]) })),
      },
    },
    table: {
      caption: 'Mailed customers per campaign and segment',
      columns: ['campaign · segment', 'sent', 'delivered', 'opened', 'clicked', 'converted', 'revenue', 'revenue per recipient'],
      rows: data.campaigns.map((c) => [
        label(c), c.treatment.sent, c.treatment.delivered, c.treatment.opened, c.treatment.clicked, c.treatment.converted,
        money(c.treatment.revenue), money(c.treatment.revenuePerRecipient),
      ]),
    },
  };
}

function upliftSection(data: ReportData): Section {
  return {
    id: 'uplift',
    title: 'Uplift over the holdout',
    intro: `Conversion rate of mailed and held-out customers; the table gives the difference with its 95% interval. An interval that spans zero means the campaign has not shown an effect yet; "too few to conclude" marks groups under ${MIN_CONCLUSIVE_GROUP} customers.`,
    chart: {
      id: 'chart-uplift',
      label: 'Bar chart comparing the conversion rate of mailed and held-out customers per campaign and segment',
      option: {
        ...BASE,
        legend: { top: 0 },
        xAxis: { type: 'category', data: data.campaigns.map(label) },
        yAxis: { type: 'value', name: 'conversion %' },
        series: [
          { type: 'bar', name: 'mailed', data: data.campaigns.map((c) => pct(c.treatment.conversionRate)) },
          { type: 'bar', name: 'holdout', data: data.campaigns.map((c) => pct(c.holdout.conversionRate)) },
        ],
      },
    },
    table: {
      caption: 'Uplift of mailed over held-out customers (95% intervals)',
      columns: ['campaign · segment', 'mailed', 'held out', 'conversion mailed', 'conversion held out', 'uplift in conversion (points)', 'revenue per recipient held out', 'uplift in revenue per recipient'],
      rows: data.campaigns.map((c) => [
        label(c), c.treatment.recipients, c.holdout.recipients, `${pct(c.treatment.conversionRate)}%`, `${pct(c.holdout.conversionRate)}%`,
        concluding(c, interval(c.uplift.conversionRate, (v) => `${pct(v)}`)), money(c.holdout.revenuePerRecipient), concluding(c, interval(c.uplift.revenuePerRecipient, money)),
      ]),
    },
  };
}

function sendingSection(data: ReportData): Section {
  const d = data.sending.decision;
  const kinds = Object.keys(data.sending.feedback).sort();
  return {
    id: 'sending',
    title: 'Sending health',
    intro: `SES feedback received, and the bounce and complaint rates over the guard's window (${d.window.from} to ${d.window.to}) that pause sending when they pass their limits.`,
    chart: {
      id: 'chart-sending',
      label: 'Bar chart of SES feedback events by kind',
      option: {
        ...BASE,
        xAxis: { type: 'category', data: kinds, axisLabel: { rotate: 30 } },
        yAxis: { type: 'value', name: 'events' },
        series: [{ type: 'bar', name: 'events', data: kinds.map((k) => data.sending.feedback[k] ?? 0) }],
      },
    },
    table: {
      caption: 'Sending guard over its window',
      columns: ['measure', 'value'],
      rows: [
        ['sends', d.sends], ['hard bounces', d.hardBounces], ['complaints', d.complaints],
        ['bounce rate', `${(d.bounceRate * 100).toFixed(2)}%`], ['complaint rate', `${(d.complaintRate * 100).toFixed(3)}%`],
        ['sending', data.sending.paused ? 'paused' : 'active'],
        ...kinds.map((k) => [`${k} events`, data.sending.feedback[k] ?? 0]),
      ],
    },
  };
}

function sizesSection(data: ReportData): Section {
  const { dates, series } = data.sizes;
  return {
    id: 'sizes',
    title: 'Segment sizes over time',
    intro: 'Members of each segment per day.',
    chart: {
      id: 'chart-sizes',
      label: 'Line chart of segment sizes per day',
      option: {
        ...BASE,
        tooltip: { trigger: 'axis' },
        legend: { type: 'scroll', top: 0 },
        xAxis: { type: 'category', data: dates },
        yAxis: { type: 'value', name: 'members' },
        series: series.map((s) => ({ type: 'line', name: s.segment, data: s.sizes, showSymbol: dates.length < 40, connectNulls: true })),
      },
    },
    table: {
      caption: 'Segment size on the latest day, and on the first',
      columns: ['segment', `first (${dates[0] ?? '-'})`, `latest (${dates[dates.length - 1] ?? '-'})`],
      rows: series.map((s) => [s.segment, s.sizes.find((v) => v !== null) ?? 0, [...s.sizes].reverse().find((v) => v !== null) ?? 0]),
    },
  };
}

function flowsSection(data: ReportData): Section {
  const names = [...new Set(data.flows.flatMap((f) => [f.from, f.to]))].sort();
  return {
    id: 'flows',
    title: 'Flows between segments',
    intro: 'Customers who left one segment and entered another in the same evaluation; "(none)" is outside every segment.',
    chart: {
      id: 'chart-flows',
      label: 'Heat map of customers moving from one segment (rows) to another (columns)',
      option: {
        ...BASE,
        grid: { ...BASE.grid, bottom: 60 },
        xAxis: { type: 'category', data: names, name: 'to', axisLabel: { rotate: 45 } },
        yAxis: { type: 'category', data: names, name: 'from' },
        visualMap: { min: 0, max: Math.max(1, ...data.flows.map((f) => f.customers)), calculable: true, orient: 'horizontal', left: 'center', bottom: 0, show: false },
        series: [{ type: 'heatmap', name: 'customers', data: data.flows.map((f) => [names.indexOf(f.to), names.indexOf(f.from), f.customers]), label: { show: names.length <= 12 } }],
      },
    },
    table: {
      caption: 'Customers moving between segments',
      columns: ['from', 'to', 'customers'],
      rows: data.flows.map((f) => [f.from, f.to, f.customers]),
    },
  };
}

function forecastSection(data: ReportData): Section {
  const { states, probabilities, current, forecast, periodDays, boundaries } = data.forecast;
  const lifecycle = states.filter((s) => s !== 'none');
  return {
    id: 'forecast',
    title: 'Predicted lifecycle transitions',
    intro:
      `Each customer's lifecycle segment read every ${periodDays} days from ${boundaries[0]?.slice(0, 10) ?? '-'} to ${boundaries[boundaries.length - 1]?.slice(0, 10) ?? '-'} ` +
      'gives the share moving from one segment to another per period (a first-order transition matrix); applied to today\'s sizes, ' +
      'with the average number of new arrivals, it forecasts the sizes one period ahead.',
    chart: {
      id: 'chart-forecast',
      label: 'Bar chart of lifecycle segment sizes today and forecast for the next period',
      option: {
        ...BASE,
        tooltip: { trigger: 'axis' },
        legend: { top: 0 },
        xAxis: { type: 'category', data: lifecycle },
        yAxis: { type: 'value', name: 'customers' },
        series: [
          { type: 'bar', name: 'today', data: lifecycle.map((s) => current[s] ?? 0) },
          { type: 'bar', name: `in ${periodDays} days (forecast)`, data: lifecycle.map((s) => Math.round(forecast[s] ?? 0)) },
        ],
      },
    },
    table: {
      caption: `Share of each segment's customers in each segment ${periodDays} days later, today's size and the forecast`,
      columns: ['from', ...states.map((s) => `to ${s}`), 'today', 'forecast'],
      rows: lifecycle.map((from) => {
        const row = probabilities[states.indexOf(from)] ?? [];
        return [from, ...states.map((_, j) => `${pct(row[j] ?? 0)}%`), current[from] ?? 0, Math.round(forecast[from] ?? 0)];
      }),
    },
  };
}

function healthSection(data: ReportData): Section {
  const rows = data.health.segments;
  const warned = rows.filter((r) => r.warnings.length > 0).length;
  return {
    id: 'health',
    title: 'Segment health',
    intro:
      `Does each segment single out a group? Share of all ${data.health.customers.toLocaleString('en-US')} customers, revenue per member against the average customer's ` +
      `(${data.health.averageRevenue.toFixed(2)}), the largest overlap with another segment (Jaccard), and the size over the last runs. ` +
      `${warned} segment(s) are flagged: more than half of all customers, no one, or almost the same members as another.`,
    chart: {
      id: 'chart-health',
      label: 'Bar chart of the share of all customers each segment holds, with the 50% line',
      option: {
        ...BASE,
        xAxis: { type: 'category', data: rows.map((r) => r.name), axisLabel: { rotate: 45 } },
        yAxis: { type: 'value', name: '% of customers', max: 100 },
        series: [
          {
            type: 'bar',
            name: 'share of customers (%)',
            data: rows.map((r) => Math.round(r.share * 1000) / 10),
            markLine: { silent: true, symbol: 'none', data: [{ yAxis: 50, name: 'half of all customers' }] },
          },
        ],
      },
    },
    table: {
      caption: 'Health of every segment',
      columns: ['segment', 'members', 'share', 'revenue index', 'largest overlap', 'last runs', 'warnings'],
      rows: rows.map((r) => [
        r.name,
        r.size,
        `${(r.share * 100).toFixed(1)}%`,
        r.revenueIndex === null ? '–' : r.revenueIndex.toFixed(2),
        r.overlaps[0] === undefined ? '–' : `${r.overlaps[0].segment} ${jaccardText(r.overlaps[0].jaccard)}`,
        r.trend.map((t) => t.size).join(' → ') || '–',
        r.warnings.join('; ') || '–',
      ]),
    },
  };
}

function valueSection(data: ReportData): Section {
  const rows = data.segmentValue;
  return {
    id: 'value',
    title: 'Revenue and customer lifetime value per segment',
    intro: 'Revenue so far per member of each segment, and the predicted 12-month value per member where the model has scored the customers.',
    chart: {
      id: 'chart-value',
      label: 'Bar chart of revenue per member and predicted 12-month value per member for each segment',
      option: {
        ...BASE,
        legend: { top: 0 },
        xAxis: { type: 'category', data: rows.map((r) => r.segment), axisLabel: { rotate: 30 } },
        yAxis: { type: 'value', name: 'per member' },
        series: [
          { type: 'bar', name: 'revenue per member', data: rows.map((r) => r.revenuePerMember) },
          { type: 'bar', name: 'predicted 12-month value per member', data: rows.map((r) => r.clvPerMember ?? null) },
        ],
      },
    },
    table: {
      caption: 'Revenue and predicted value per segment',
      columns: ['segment', 'members', 'revenue', 'revenue per member', 'predicted 12-month value', 'per member'],
      rows: rows.map((r) => [r.segment, r.members, money(r.revenue), money(r.revenuePerMember), r.clv12m === undefined ? '-' : money(r.clv12m), r.clvPerMember === undefined ? '-' : money(r.clvPerMember)]),
    },
  };
}

function rfmSection(data: ReportData): Section {
  const scores = ['1', '2', '3', '4', '5'];
  const cells = data.rfm.customers.flatMap((row, r) => row.map((n, f) => [f, r, n]));
  return {
    id: 'rfm',
    title: 'RFM grid',
    intro: 'Customers in each recency (R) × frequency (F) cell; 5 is best. The table adds each cell\'s revenue.',
    chart: {
      id: 'chart-rfm',
      label: 'Heat map of customers by recency score (rows) and frequency score (columns)',
      option: {
        ...BASE,
        grid: { ...BASE.grid, bottom: 60 },
        xAxis: { type: 'category', data: scores, name: 'F' },
        yAxis: { type: 'category', data: scores, name: 'R' },
        visualMap: { min: 0, max: Math.max(1, ...data.rfm.customers.flat()), calculable: true, orient: 'horizontal', left: 'center', bottom: 0 },
        series: [{ type: 'heatmap', name: 'customers', data: cells, label: { show: true } }],
      },
    },
    table: {
      caption: 'Customers and revenue per RFM cell',
      columns: ['R \\ F', ...scores.map((f) => `F${f} customers (revenue)`)],
      rows: [...scores].reverse().map((r) => {
        const i = Number(r) - 1;
        return [`R${r}`, ...scores.map((_, j) => `${data.rfm.customers[i]?.[j] ?? 0} (${money(data.rfm.revenue[i]?.[j] ?? 0)})`)];
      }),
    },
  };
}

/** An uplift cell, marked when a group is too small to conclude from. */
function concluding(c: { readonly tooSmall: boolean }, text: string): string {
  return c.tooSmall && text !== 'no holdout' ? `${text} (too few to conclude)` : text;
}

function interval(i: Interval | undefined, format: (v: number) => string): string {
  return i === undefined ? 'no holdout' : `${format(i.difference)} [${format(i.low)}, ${format(i.high)}]`;
}

function pct(rate: number): number {
  return Math.round(rate * 10_000) / 100;
}

function money(n: number): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** JSON that cannot close its script element. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}
