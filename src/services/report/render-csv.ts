import { canonicalJson } from '../../audit/index.js';
import { isTable } from './figure-kit.js';
import type { Figure, SignedReport } from './types.js';

export const CSV_SIGNATURE_PREFIX = '# cairn-report-signature ';
export const CSV_HEADER = 'figure,section,label,row,column,value';

/**
 * One line per value (long format: a table cell is a line with its row number and column name), the
 * evidence counted per figure, then `# cairn-report-signature <base64 of the signed report's canonical
 * JSON>` as the last line: verify reads the body from there and re-renders the rows to compare.
 */
export function renderCsv(r: SignedReport): Uint8Array {
  const lines = [CSV_HEADER, ...r.report.figures.flatMap(figureLines)];
  lines.push(`${CSV_SIGNATURE_PREFIX}${Buffer.from(canonicalJson(r)).toString('base64')}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n`);
}

export function figureLines(f: Figure): string[] {
  const line = (row: string | number, column: string, value: unknown) =>
    [f.id, f.section, f.label, String(row), column, value].map(csvCell).join(',');
  const out: string[] = [];
  if (isTable(f.value)) {
    const { columns, rows } = f.value;
    if (rows.length === 0) out.push(line('', 'rows', 0));
    rows.forEach((cells, i) => {
      columns.forEach((c, j) => {
        out.push(line(i + 1, c, cells[j]));
      });
    });
  } else if (typeof f.value === 'object' && f.value !== null) {
    for (const [k, v] of Object.entries(f.value).sort(([a], [b]) => (a < b ? -1 : 1))) out.push(line('', k, v));
  } else out.push(line('', 'value', f.value));
  out.push(line('', 'evidence.snapshots', f.evidence.snapshots.length));
  out.push(line('', 'evidence.events', f.evidence.events.length));
  if (f.note) out.push(line('', 'note', f.note));
  return out;
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? canonicalJson(v) : String(v);
  // A cell a spreadsheet would run as a formula is quoted with a leading apostrophe.
  const safe = /^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) || safe !== s ? `"${safe.replaceAll('"', '""')}"` : safe;
}
