import { CairnError } from '../../errors/index.js';
import { CSV_SIGNATURE_PREFIX } from './render-csv.js';
import { HTML_SCRIPT_ID } from './render-html.js';
import { pdfAttachment } from './render-pdf.js';
import type { ReportFormat, SignedReport } from './types.js';

/** The format of a report file and the signed report it carries; CAIRN_E_USAGE when it is not one. */
export function parseReportFile(bytes: Uint8Array, name = 'the file'): { format: ReportFormat; signed: SignedReport } {
  const buf = Buffer.from(bytes);
  const head = buf.subarray(0, 64).toString('latin1').trimStart();
  let format: ReportFormat;
  let json: string | undefined;
  if (head.startsWith('%PDF-')) {
    format = 'pdf';
    try {
      json = pdfAttachment(buf)?.toString('utf8');
    } catch (err) {
      // A changed byte in the compressed attachment: zlib's "incorrect data check" says nothing to people.
      throw new CairnError('CAIRN_E_USAGE', `the report attached to ${name} (a PDF) is damaged or unreadable`, {
        format,
        cause: (err as Error).message,
      });
    }
  } else {
    const text = buf.toString('utf8');
    if (/^<!doctype html/i.test(head)) {
      format = 'html';
      const m = new RegExp(`<script type="application/json" id="${HTML_SCRIPT_ID}">([\\s\\S]*?)</script>`).exec(text);
      json = m?.[1];
    } else if (head.startsWith('{')) {
      format = 'json';
      json = text;
    } else {
      format = 'csv';
      const line = text
        .split(/\r?\n/)
        .reverse()
        .find((l) => l.startsWith(CSV_SIGNATURE_PREFIX));
      json = line && Buffer.from(line.slice(CSV_SIGNATURE_PREFIX.length), 'base64').toString('utf8');
    }
  }
  let signed: SignedReport | undefined;
  try {
    signed = json === undefined ? undefined : (JSON.parse(json) as SignedReport);
  } catch {
    if (format === 'pdf') {
      throw new CairnError('CAIRN_E_USAGE', `the report attached to ${name} (a PDF) is damaged or unreadable`, {
        format,
      });
    }
    signed = undefined;
  }
  const r = signed?.report;
  if (!signed?.signature || r?.kind !== 'cairn-monthly-report' || !Array.isArray(r.figures)) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `${name} is not a Cairn monthly report (${format}): no signed report found in it`,
      {
        format,
      },
    );
  }
  return { format, signed };
}
