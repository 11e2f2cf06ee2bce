import { fmtMs, isTable } from './figure-kit.js';
import type { Figure, MonthlyReport, ReportTable } from './types.js';

/** Chart data read from the figures, shared by the HTML (SVG) and PDF (pdfkit) renderers. */
export interface ChartData {
  readonly coverage: ReadonlyArray<{ day: string; percent: number | null }>;
  readonly drills: ReadonlyArray<{
    label: string;
    rtoMs: number | null;
    rtoSlaMs: number | null;
    rpoMs: number | null;
    rpoSlaMs: number | null;
  }>;
  readonly alerts: ReadonlyArray<{ category: string; raised: number }>;
}

function tableOf(r: MonthlyReport, id: string): ReportTable {
  const f: Figure | undefined = r.figures.find((x) => x.id === id);
  return f && isTable(f.value) ? f.value : { columns: [], rows: [] };
}

function col(t: ReportTable, name: string): number {
  return t.columns.indexOf(name);
}

export function chartData(r: MonthlyReport): ChartData {
  const daily = tableOf(r, 'coverage.daily');
  const runs = tableOf(r, 'drills.runs');
  const alerts = tableOf(r, 'failures.alerts-by-category');
  const n = (v: unknown) => (typeof v === 'number' ? v : null);
  return {
    coverage: daily.rows.map((row) => ({
      day: String(row[col(daily, 'day')]),
      percent: n(row[col(daily, 'percent')]),
    })),
    drills: runs.rows.map((row) => ({
      label: `${row[col(runs, 'plan')]} ${String(row[col(runs, 'finishedAt')]).slice(5, 10)}`,
      rtoMs: n(row[col(runs, 'rtoMs')]),
      rtoSlaMs: n(row[col(runs, 'rtoSlaMs')]),
      rpoMs: n(row[col(runs, 'rpoMs')]),
      rpoSlaMs: n(row[col(runs, 'rpoSlaMs')]),
    })),
    alerts: alerts.rows.map((row) => ({ category: String(row[0]), raised: n(row[col(alerts, 'raised')]) ?? 0 })),
  };
}

export function esc(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

const W = 640;

function empty(title: string, message: string): string {
  return `<svg class="chart" viewBox="0 0 ${W} 60" role="img" aria-label="${esc(title)}"><text x="${W / 2}" y="35" text-anchor="middle" class="muted">${esc(message)}</text></svg>`;
}

/** Daily share of items within their RPO: an area under a line, 0-100 %. */
export function coverageSvg(d: ChartData): string {
  const title = 'Items within RPO, per day (%)';
  const pts = d.coverage.filter((p) => p.percent !== null);
  if (pts.length === 0) return empty(title, 'no items with an RPO to measure');
  const H = 220;
  const [l, r, t, b] = [40, 10, 10, 30];
  const x = (i: number) =>
    l + (d.coverage.length === 1 ? (W - l - r) / 2 : (i * (W - l - r)) / (d.coverage.length - 1));
  const y = (p: number) => t + ((100 - p) * (H - t - b)) / 100;
  const line = d.coverage
    .map((p, i) => (p.percent === null ? '' : `${x(i).toFixed(1)},${y(p.percent).toFixed(1)}`))
    .filter(Boolean);
  const area = `M${x(0).toFixed(1)},${y(0)} L${line.join(' L')} L${x(d.coverage.length - 1).toFixed(1)},${y(0)} Z`;
  const grid = [0, 50, 100]
    .map(
      (p) =>
        `<line x1="${l}" x2="${W - r}" y1="${y(p)}" y2="${y(p)}" class="grid"/><text x="${l - 6}" y="${y(p) + 4}" text-anchor="end">${p}</text>`,
    )
    .join('');
  const ticks = d.coverage
    .map((p, i) =>
      i % 5 === 0 || i === d.coverage.length - 1
        ? `<text x="${x(i).toFixed(1)}" y="${H - 10}" text-anchor="middle">${esc(p.day.slice(8))}</text>`
        : '',
    )
    .join('');
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title>${grid}<path d="${area}" class="area"/><polyline points="${line.join(' ')}" class="line"/>${ticks}</svg>`;
}

/** One bar per drill with its SLA as a tick: green within, red over, grey without an SLA. */
export function slaSvg(d: ChartData, which: 'rto' | 'rpo'): string {
  const title = `${which.toUpperCase()} per drill against the SLA`;
  const bars = d.drills.map((x) => ({
    label: x.label,
    value: which === 'rto' ? x.rtoMs : x.rpoMs,
    sla: which === 'rto' ? x.rtoSlaMs : x.rpoSlaMs,
  }));
  if (bars.length === 0) return empty(title, 'no drill finished this month');
  const rowH = 26;
  const H = 20 + bars.length * rowH;
  const [l, r] = [170, 130];
  const max = Math.max(1, ...bars.flatMap((b) => [b.value ?? 0, b.sla ?? 0]));
  const sx = (v: number) => l + (v * (W - l - r)) / max;
  const rows = bars
    .map((b, i) => {
      const yy = 10 + i * rowH;
      const cls = b.sla === null || b.value === null ? 'bar-none' : b.value <= b.sla ? 'bar-ok' : 'bar-over';
      const bar =
        b.value === null
          ? ''
          : `<rect x="${l}" y="${yy}" width="${(sx(b.value) - l).toFixed(1)}" height="${rowH - 8}" class="${cls}"/>`;
      const sla =
        b.sla === null
          ? ''
          : `<line x1="${sx(b.sla).toFixed(1)}" x2="${sx(b.sla).toFixed(1)}" y1="${yy - 3}" y2="${yy + rowH - 5}" class="sla"/>`;
      const text = b.value === null ? 'n/a' : `${fmtMs(b.value)}${b.sla === null ? '' : ` (SLA ${fmtMs(b.sla)})`}`;
      return `<text x="${l - 6}" y="${yy + 13}" text-anchor="end">${esc(b.label)}</text>${bar}${sla}<text x="${(b.value === null ? l : sx(Math.max(b.value, b.sla ?? 0))) + 6}" y="${yy + 13}">${esc(text)}</text>`;
    })
    .join('');
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title>${rows}</svg>`;
}

export function alertsSvg(d: ChartData): string {
  const title = 'Alerts raised per category';
  const bars = d.alerts.filter((a) => a.raised > 0);
  if (bars.length === 0) return empty(title, 'no alert was raised this month');
  const rowH = 24;
  const H = 16 + bars.length * rowH;
  const [l, r] = [120, 50];
  const max = Math.max(...bars.map((b) => b.raised));
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title>${bars
    .map((b, i) => {
      const yy = 8 + i * rowH;
      const w = (b.raised * (W - l - r)) / max;
      return `<text x="${l - 6}" y="${yy + 12}" text-anchor="end">${esc(b.category)}</text><rect x="${l}" y="${yy}" width="${w.toFixed(1)}" height="${rowH - 8}" class="bar-alert"/><text x="${(l + w + 6).toFixed(1)}" y="${yy + 12}">${b.raised}</text>`;
    })
    .join('')}</svg>`;
}
