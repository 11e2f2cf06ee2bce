import type { ChartData } from './charts.js';
import { fmtMs } from './figure-kit.js';

/** The pdfkit calls the charts use (a structural type: pdfkit stays behind render-pdf.ts). */
export interface Pdf {
  y: number;
  page: { width: number; margins: { left: number; right: number } };
  fontSize(n: number): Pdf;
  font(name: string): Pdf;
  fillColor(c: string): Pdf;
  strokeColor(c: string): Pdf;
  lineWidth(n: number): Pdf;
  text(s: string, x?: number, y?: number, o?: Record<string, unknown>): Pdf;
  rect(x: number, y: number, w: number, h: number): Pdf;
  moveTo(x: number, y: number): Pdf;
  lineTo(x: number, y: number): Pdf;
  closePath(): Pdf;
  fill(c?: string): Pdf;
  stroke(c?: string): Pdf;
}

const GREY = '#9ca3af';

function placeholder(doc: Pdf, x: number, y: number, w: number, message: string): number {
  doc
    .fontSize(9)
    .fillColor(GREY)
    .text(message, x, y + 8, { width: w, align: 'center' });
  return y + 30;
}

/** Daily share of items within RPO as a filled area; returns the y below it. */
export function coverageChart(doc: Pdf, d: ChartData, x: number, y: number, w: number): number {
  const pts = d.coverage.filter((p) => p.percent !== null);
  if (pts.length === 0) return placeholder(doc, x, y, w, 'no items with an RPO to measure');
  const h = 120;
  const [l, b] = [28, 14];
  const px = (i: number) => x + l + (d.coverage.length === 1 ? (w - l) / 2 : (i * (w - l)) / (d.coverage.length - 1));
  const py = (p: number) => y + ((100 - p) * (h - b)) / 100;
  doc.lineWidth(0.5).strokeColor('#e5e7eb');
  for (const p of [0, 50, 100]) {
    doc
      .moveTo(x + l, py(p))
      .lineTo(x + w, py(p))
      .stroke();
    doc
      .fontSize(7)
      .fillColor('#374151')
      .text(String(p), x, py(p) - 3, { width: l - 4, align: 'right', lineBreak: false });
  }
  const drawn = d.coverage
    .map((p, i) => ({ x: px(i), y: p.percent === null ? null : py(p.percent) }))
    .filter((p) => p.y !== null);
  doc.moveTo(drawn[0]!.x, py(0));
  for (const p of drawn) doc.lineTo(p.x, p.y!);
  doc.lineTo(drawn.at(-1)!.x, py(0)).closePath().fill('#c7e0f4');
  doc.lineWidth(1.5).strokeColor('#1f6fb2').moveTo(drawn[0]!.x, drawn[0]!.y!);
  for (const p of drawn.slice(1)) doc.lineTo(p.x, p.y!);
  doc.stroke();
  d.coverage.forEach((p, i) => {
    if (i % 5 === 0 || i === d.coverage.length - 1) {
      doc
        .fontSize(7)
        .fillColor('#374151')
        .text(p.day.slice(8), px(i) - 10, y + h - b + 3, { width: 20, align: 'center', lineBreak: false });
    }
  });
  return y + h + 6;
}

/** A bar per drill with the SLA as a black tick; green within, red over, grey without an SLA. */
export function slaChart(doc: Pdf, d: ChartData, which: 'rto' | 'rpo', x: number, y: number, w: number): number {
  const bars = d.drills.map((r) => ({
    label: r.label,
    value: which === 'rto' ? r.rtoMs : r.rpoMs,
    sla: which === 'rto' ? r.rtoSlaMs : r.rpoSlaMs,
  }));
  if (bars.length === 0) return placeholder(doc, x, y, w, 'no drill finished this month');
  const l = 130;
  const r = 110;
  const max = Math.max(1, ...bars.flatMap((b) => [b.value ?? 0, b.sla ?? 0]));
  const sx = (v: number) => x + l + (v * (w - l - r)) / max;
  bars.forEach((b, i) => {
    const yy = y + i * 16;
    doc
      .fontSize(7)
      .fillColor('#374151')
      .text(b.label, x, yy + 2, { width: l - 6, align: 'right', lineBreak: false });
    if (b.value !== null) {
      const color = b.sla === null ? GREY : b.value <= b.sla ? '#32a852' : '#d64545';
      doc.rect(x + l, yy, Math.max(0.5, sx(b.value) - x - l), 11).fill(color);
    }
    if (b.sla !== null)
      doc
        .lineWidth(2)
        .strokeColor('#111827')
        .moveTo(sx(b.sla), yy - 2)
        .lineTo(sx(b.sla), yy + 13)
        .stroke();
    const text = b.value === null ? 'n/a' : `${fmtMs(b.value)}${b.sla === null ? '' : ` (SLA ${fmtMs(b.sla)})`}`;
    doc
      .fontSize(7)
      .fillColor('#374151')
      .text(text, sx(Math.max(b.value ?? 0, b.sla ?? 0)) + 4, yy + 2, { lineBreak: false });
  });
  return y + bars.length * 16 + 6;
}

export function alertsChart(doc: Pdf, d: ChartData, x: number, y: number, w: number): number {
  const bars = d.alerts.filter((a) => a.raised > 0);
  if (bars.length === 0) return placeholder(doc, x, y, w, 'no alert was raised this month');
  const l = 90;
  const max = Math.max(...bars.map((b) => b.raised));
  bars.forEach((b, i) => {
    const yy = y + i * 15;
    const bw = (b.raised * (w - l - 40)) / max;
    doc
      .fontSize(7)
      .fillColor('#374151')
      .text(b.category, x, yy + 2, { width: l - 6, align: 'right', lineBreak: false });
    doc.rect(x + l, yy, bw, 10).fill('#e0903a');
    doc
      .fontSize(7)
      .fillColor('#374151')
      .text(String(b.raised), x + l + bw + 4, yy + 2, { lineBreak: false });
  });
  return y + bars.length * 15 + 6;
}
