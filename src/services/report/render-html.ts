import { alertsSvg, chartData, coverageSvg, esc, slaSvg } from './charts.js';
import { fmtMs, isTable } from './figure-kit.js';
import { type Figure, SECTIONS, type SignedReport } from './types.js';

export const HTML_SCRIPT_ID = 'cairn-report';
const FIGURE_END = '<!--/figure-->';
const MAX_ROWS = 1000;

/** A cell for people: durations (columns ending in Ms) readable, yes/no, a dash for nothing. */
export function cellText(column: string, v: unknown): string {
  if ((v === null || v === undefined) && column === 'withinSla') return 'not measured';
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number' && column.endsWith('Ms')) return fmtMs(v);
  if (typeof v === 'number' && column.endsWith('Percent')) return `${v} %`;
  if (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)) return v.slice(0, 12);
  return String(v);
}

export function columnTitle(c: string): string {
  const words = c
    .replace(/Ms$/, '')
    .replace(/([A-Z])/g, ' $1')
    .toLowerCase();
  return c === 'rtoMs' || c === 'rtoSlaMs' || c === 'rpoMs' || c === 'rpoSlaMs'
    ? words.replace(/^(rto|rpo)/, (m) => m.toUpperCase()).replace('sla', 'SLA')
    : words;
}

function valueHtml(f: Figure): string {
  const v = f.value;
  if (isTable(v)) {
    if (v.rows.length === 0) return '<p class="muted">none</p>';
    const head = v.columns.map((c) => `<th>${esc(columnTitle(c))}</th>`).join('');
    const body = v.rows
      .slice(0, MAX_ROWS)
      .map(
        (r) =>
          `<tr>${r.map((x, i) => `<td class="${esc(cellClass(v.columns[i] ?? '', x))}">${esc(cellText(v.columns[i] ?? '', x))}</td>`).join('')}</tr>`,
      )
      .join('');
    const more =
      v.rows.length > MAX_ROWS
        ? `<p class="note">… and ${v.rows.length - MAX_ROWS} more rows (all in the embedded signed JSON)</p>`
        : '';
    return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>${more}`;
  }
  if (typeof v === 'object' && v !== null) {
    return `<dl>${Object.entries(v)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, x]) => `<dt>${esc(k)}</dt><dd>${esc(cellText(k, x))}</dd>`)
      .join('')}</dl>`;
  }
  return `<p class="big">${esc(cellText('', v))}</p>`;
}

function cellClass(column: string, v: unknown): string {
  if (column === 'status' || column === 'outcome' || column === 'state' || column === 'withinSla') {
    const s = String(v);
    if (['ok', 'passed', 'executed', 'active', 'true'].includes(s)) return 'good';
    if (['out-of-rpo', 'never', 'failed', 'false', 'exception-expired', 'expired this month'].includes(s)) return 'bad';
  }
  return '';
}

function idsHtml(kind: string, ids: readonly (string | number)[]): string {
  if (ids.length === 0) return '';
  const shown = ids
    .slice(0, 20)
    .map((x) => esc(String(x)))
    .join(' ');
  const more = ids.length > 20 ? ` … and ${ids.length - 20} more (all in the embedded signed JSON)` : '';
  return `<p><b>${esc(kind)}</b> (${ids.length}): <span class="ids">${shown}</span>${more}</p>`;
}

export function figureHtml(f: Figure): string {
  const e = f.evidence;
  const range = e.eventRange ? `<p><b>event range</b>: ${e.eventRange.from}…${e.eventRange.to}</p>` : '';
  const count = `${e.snapshots.length} snapshots, ${e.events.length} events${e.verifications ? `, ${e.verifications.length} verifications` : ''}`;
  return (
    `<div class="figure" data-figure="${esc(f.id)}"><h3>${esc(f.label)} <code>${esc(f.id)}</code></h3>${valueHtml(f)}` +
    `${f.note ? `<p class="note">${esc(f.note)}</p>` : ''}<details><summary>Evidence: ${count}</summary>` +
    `${idsHtml('snapshots', e.snapshots)}${idsHtml('verifications', e.verifications ?? [])}${idsHtml('audit events (seq)', e.events)}` +
    `${idsHtml('checkpoints', e.checkpoints ?? [])}${range}</details></div>${FIGURE_END}`
  );
}

/** The figure blocks of an HTML report by id (verify compares them with a re-rendering). */
export function figureBlocks(html: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of html.matchAll(/<div class="figure" data-figure="([^"]+)">[\s\S]*?<!--\/figure-->/g))
    out.set(m[1]!, m[0]);
  return out;
}

const CSS = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2430;max-width:960px;margin:2rem auto;padding:0 1rem}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{border-bottom:2px solid #dfe3ea;padding-bottom:.2rem;margin-top:2.2rem}h3{font-size:1rem;margin:.2rem 0}
h3 code{font-size:.75rem;color:#6b7280;font-weight:normal}.meta{color:#4b5563;font-size:.85rem}.meta code{word-break:break-all}
.cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}.card{flex:1 1 150px;border:1px solid #dfe3ea;border-radius:8px;padding:.6rem .8rem}
.card b{display:block;font-size:1.6rem}.card.bad b{color:#b42318}.card.good b{color:#067647}
.figure{margin:1rem 0;padding:.6rem .8rem;border-left:3px solid #dfe3ea}.big{font-size:1.5rem;font-weight:600;margin:.2rem 0}
table{border-collapse:collapse;width:100%;font-size:.85rem}th,td{border-bottom:1px solid #e5e7eb;padding:.25rem .4rem;text-align:left;vertical-align:top}
th{background:#f5f7fa}td.good{color:#067647;font-weight:600}td.bad{color:#b42318;font-weight:600}.note{color:#4b5563;font-size:.85rem}
.muted{color:#9ca3af;fill:#9ca3af}details{font-size:.8rem;color:#4b5563}.ids{font-family:monospace;word-break:break-all}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem}dt{font-weight:600}dd{margin:0}
.chart{width:100%;height:auto;font-size:11px;fill:#374151}.chart .grid{stroke:#e5e7eb}.chart .area{fill:#c7e0f4}.chart .line{fill:none;stroke:#1f6fb2;stroke-width:2}
.chart .bar-ok{fill:#32a852}.chart .bar-over{fill:#d64545}.chart .bar-none{fill:#9ca3af}.chart .bar-alert{fill:#e0903a}.chart .sla{stroke:#111827;stroke-width:3}
.charts h3{margin-top:1.2rem}@media print{body{margin:0;max-width:none;font-size:11px}details{display:none}.figure,svg,table{break-inside:avoid}h2{break-after:avoid}}`;

function scalar(r: SignedReport, id: string): number | null {
  const v = r.report.figures.find((f) => f.id === id)?.value;
  return typeof v === 'number' ? v : null;
}

function card(label: string, value: number | null, tone: (v: number) => string): string {
  return `<div class="card ${value === null ? '' : tone(value)}"><b>${value ?? '—'}</b>${esc(label)}</div>`;
}

/** Self-contained HTML: no external asset; the signed report embedded as JSON for `cairn report verify`. */
export function renderHtml(s: SignedReport): Uint8Array {
  const r = s.report;
  const d = chartData(r);
  const zeroGood = (v: number) => (v === 0 ? 'good' : 'bad');
  const chain = r.figures.find((f) => f.id === 'audit.chain')?.value as { ok?: boolean } | undefined;
  const sections = SECTIONS.map((sec) => {
    const figs = r.figures.filter((f) => f.section === sec.id);
    return `<section id="${sec.id}"><h2>${esc(sec.title)}</h2>${figs.map(figureHtml).join('\n')}</section>`;
  }).join('\n');
  const json = JSON.stringify(s).replaceAll('<', '\\u003c');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Cairn monthly report ${esc(r.month)}</title><style>${CSS}</style></head>
<body><header><h1>Monthly evidence report: ${esc(r.month)}</h1>
<p class="meta">${r.organisation ? `${esc(r.organisation)} · ` : ''}repository <code>${esc(r.repository.slice(0, 16))}</code> · from ${esc(r.from)} until ${esc(r.until)}${r.complete ? '' : ' (month not over)'} · generated ${esc(r.generatedAt)} by ${esc(r.generator)}<br>
policy ${esc(r.policy.file)} sha256 <code>${esc(r.policy.sha256)}</code><br>
signed (Ed25519) by audit key <code>${esc(s.signature.keyFingerprint)}</code>; body sha256 <code>${esc(s.signature.bodySha256)}</code>. Check with <code>cairn report verify FILE</code>.</p></header>
<section class="cards">${card('items out of RPO', scalar(s, 'coverage.items-out-of-rpo'), zeroGood)}${card('items within RPO', scalar(s, 'coverage.items-in-rpo'), () => '')}${card('snapshots kept past retention', (r.figures.find((f) => f.id === 'retention.kept-past-retention')?.value as { rows?: unknown[] } | undefined)?.rows?.length ?? null, zeroGood)}${card('failed drills', scalar(s, 'drills.failed'), zeroGood)}${card('alerts raised', scalar(s, 'failures.alerts-raised'), () => '')}<div class="card ${chain?.ok ? 'good' : 'bad'}"><b>${chain?.ok ? 'verified' : 'NOT verified'}</b>audit chain</div></section>
<section class="charts"><h2>At a glance</h2><h3>Coverage over the month</h3>${coverageSvg(d)}<h3>RTO against the SLA</h3>${slaSvg(d, 'rto')}<h3>RPO against the SLA</h3>${slaSvg(d, 'rpo')}<h3>Alerts per category</h3>${alertsSvg(d)}</section>
${sections}
<footer class="meta"><p>Every figure lists the snapshots and audit events it was computed from. <code>cairn report verify</code> checks the signature with the repository's pinned audit key and recomputes every figure from the repository and the signed audit checkpoints.</p></footer>
<script type="application/json" id="${HTML_SCRIPT_ID}">${json}</script>
</body></html>
`;
  return Buffer.from(html);
}
