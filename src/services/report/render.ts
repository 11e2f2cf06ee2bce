import { renderCsv } from './render-csv.js';
import { renderHtml } from './render-html.js';
import { renderJson } from './render-json.js';
import { renderPdf } from './render-pdf.js';
import type { ReportFormat, SignedReport } from './types.js';

export async function renderReport(r: SignedReport, format: ReportFormat): Promise<Uint8Array> {
  switch (format) {
    case 'json':
      return renderJson(r);
    case 'csv':
      return renderCsv(r);
    case 'html':
      return renderHtml(r);
    case 'pdf':
      return renderPdf(r);
  }
}
