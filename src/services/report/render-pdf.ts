import { inflateSync } from 'node:zlib';
import { chartData } from './charts.js';
import { isTable } from './figure-kit.js';
import { alertsChart, coverageChart, type Pdf, slaChart } from './pdf-charts.js';
import { cellText, columnTitle } from './render-html.js';
import { type Figure, SECTIONS, type SignedReport } from './types.js';

export const PDF_ATTACHMENT = 'cairn-report.json';
const MAX_ROWS = 200;

type Doc = Pdf & {
  addPage(): Doc;
  moveDown(n?: number): Doc;
  widthOfString(s: string): number;
  page: Pdf['page'] & { height: number; margins: { top: number; bottom: number; left: number; right: number } };
  file(src: Buffer, o: Record<string, unknown>): Doc;
  on(ev: string, fn: (chunk?: Buffer) => void): Doc;
  end(): void;
};

/**
 * The same sections as the HTML, charts drawn with pdfkit's vector calls, and the signed report
 * attached as `cairn-report.json` (an embedded file: `pdfdetach` lists it, verify reads it back).
 * Dated with the report's generation time, so the same report gives the same bytes.
 */
export async function renderPdf(s: SignedReport): Promise<Uint8Array> {
  // pdfkit reads its font metrics from its own package at run time: scripts/build.mjs keeps it
  // external, so it loads from node_modules, and only when a PDF is asked for.
  const { default: PDFDocument } = await import('pdfkit');
  const r = s.report;
  const date = new Date(r.generatedAt);
  const doc = new PDFDocument({
    size: 'A4',
    margin: 48,
    info: {
      Title: `Cairn monthly report ${r.month}`,
      Author: r.generator,
      Subject: 'monthly evidence report',
      CreationDate: date,
      ModDate: date,
    },
  }) as unknown as Doc;
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve) => doc.on('end', () => resolve()));
  doc.on('data', (c) => chunks.push(c!));
  doc.file(Buffer.from(JSON.stringify(s)), {
    name: PDF_ATTACHMENT,
    type: 'application/json',
    description: 'the signed report: cairn report verify reads it',
    creationDate: date,
    modifiedDate: date,
  });
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  const room = (h: number) => {
    if (doc.y + h > doc.page.height - doc.page.margins.bottom) doc.addPage();
  };
  doc.font('Helvetica-Bold').fontSize(18).fillColor('#1d2430').text(`Monthly evidence report: ${r.month}`);
  doc.font('Helvetica').fontSize(8).fillColor('#4b5563');
  doc.text(
    `${r.organisation ? `${r.organisation} - ` : ''}repository ${r.repository.slice(0, 16)} - from ${r.from} until ${r.until}${r.complete ? '' : ' (month not over)'}`,
  );
  doc.text(`generated ${r.generatedAt} by ${r.generator}; policy ${r.policy.file} sha256 ${r.policy.sha256}`);
  doc.text(`signed (Ed25519) by audit key ${s.signature.keyFingerprint}; body sha256 ${s.signature.bodySha256}`);
  doc.text('Check with: cairn report verify FILE (the signed report is attached to this PDF).');
  const d = chartData(r);
  const chart = (title: string, draw: (y: number) => number, h: number) => {
    room(h + 20);
    doc.moveDown(0.6).font('Helvetica-Bold').fontSize(10).fillColor('#1d2430').text(title, left);
    doc.font('Helvetica');
    doc.y = draw(doc.y + 4);
  };
  heading(doc, 'At a glance', left);
  chart('Coverage over the month (% of items within RPO, per day)', (y) => coverageChart(doc, d, left, y, width), 130);
  chart('RTO against the SLA', (y) => slaChart(doc, d, 'rto', left, y, width), 16 * d.drills.length + 10);
  chart('RPO against the SLA', (y) => slaChart(doc, d, 'rpo', left, y, width), 16 * d.drills.length + 10);
  chart('Alerts per category', (y) => alertsChart(doc, d, left, y, width), 15 * d.alerts.length + 10);
  for (const sec of SECTIONS) {
    room(80);
    heading(doc, sec.title, left);
    for (const f of r.figures.filter((x) => x.section === sec.id)) figurePdf(doc, f, left, width, room);
  }
  doc.end();
  await done;
  return Buffer.concat(chunks);
}

function heading(doc: Doc, title: string, left: number): void {
  doc.moveDown(0.8).font('Helvetica-Bold').fontSize(14).fillColor('#1d2430').text(title, left);
  doc.font('Helvetica');
}

function figurePdf(doc: Doc, f: Figure, left: number, width: number, room: (h: number) => void): void {
  room(40);
  doc.moveDown(0.4).font('Helvetica-Bold').fontSize(9).fillColor('#1d2430').text(`${f.label}  (${f.id})`, left);
  doc.font('Helvetica').fontSize(9);
  const v = f.value;
  if (isTable(v)) {
    if (v.rows.length === 0) doc.fillColor('#9ca3af').text('none', left);
    else tablePdf(doc, v.columns, v.rows, left, width, room);
  } else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      doc.fillColor('#1d2430').text(`${k}: ${cellText(k, x)}`, left);
  } else doc.fontSize(14).fillColor('#1d2430').text(cellText('', v), left);
  doc.fontSize(7).fillColor('#4b5563');
  if (f.note) doc.text(f.note, left, undefined, { width });
  const e = f.evidence;
  doc.text(
    `evidence: ${e.snapshots.length} snapshots, ${e.events.length} events${e.eventRange ? ` (seq ${e.eventRange.from}-${e.eventRange.to})` : ''} - ids in the attached signed report`,
    left,
  );
}

function tablePdf(
  doc: Doc,
  columns: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<unknown>>,
  left: number,
  width: number,
  room: (h: number) => void,
): void {
  const w = width / columns.length;
  const fit = (s: string) => {
    let t = s;
    while (t.length > 1 && doc.widthOfString(t) > w - 4) t = t.slice(0, -2);
    return t === s ? s : `${t}…`;
  };
  const line = (cells: readonly string[], bold: boolean) => {
    room(12);
    const y = doc.y;
    doc
      .font(bold ? 'Helvetica-Bold' : 'Helvetica')
      .fontSize(6.5)
      .fillColor('#1d2430');
    cells.forEach((c, i) => {
      doc.text(fit(c), left + i * w, y, { width: w - 2, lineBreak: false });
    });
    doc.y = y + 10;
  };
  line(columns.map(columnTitle), true);
  for (const row of rows.slice(0, MAX_ROWS))
    line(
      row.map((x, i) => cellText(columns[i] ?? '', x)),
      false,
    );
  doc.font('Helvetica');
  if (rows.length > MAX_ROWS)
    doc.fontSize(7).text(`… and ${rows.length - MAX_ROWS} more rows (all in the attached signed report)`, left);
}

/** The attached signed report's bytes, read from the PDF's embedded file stream. */
export function pdfAttachment(pdf: Uint8Array): Buffer | undefined {
  const text = Buffer.from(pdf).toString('latin1');
  const at = text.indexOf('/Type /EmbeddedFile');
  if (at === -1) return undefined;
  const objStart = text.lastIndexOf(' obj', at);
  const dictEnd = text.indexOf('stream', at);
  if (objStart === -1 || dictEnd === -1) return undefined;
  const dict = text.slice(objStart, dictEnd);
  const length = /\/Length (\d+)/.exec(dict);
  if (!length) return undefined;
  let start = dictEnd + 'stream'.length;
  if (text[start] === '\r') start += 1;
  if (text[start] === '\n') start += 1;
  const raw = Buffer.from(pdf).subarray(start, start + Number(length[1]));
  return dict.includes('/FlateDecode') ? inflateSync(raw) : raw;
}
