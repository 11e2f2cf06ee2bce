/**
 * services/report — the auditors' monthly evidence report (docs/REPORTS.md): figures computed from
 * the catalog's facts with the ids they came from, signed with the repository's audit key, rendered
 * as JSON, CSV, HTML or PDF; and `verify`, which recomputes every figure from repository objects and
 * signed audit checkpoints. It reads; the only thing it writes is a checkpoint (and the caller's
 * `report.generated` event).
 */
export { type BuildReportOptions, buildMonthlyReport } from './collect.js';
export { type GeneratedReport, generateReport, recordReportGenerated } from './generate.js';
export { parseMonth } from './month.js';
export { parseReportFile } from './parse-file.js';
export { renderReport } from './render.js';
export { checkSignature, signReport } from './sign.js';
export type {
  Evidence,
  Figure,
  FigureDifference,
  FigureValue,
  MonthlyReport,
  ReportFormat,
  ReportTable,
  ReportVerifyResult,
  SignedReport,
} from './types.js';
export { REPORT_FORMATS } from './types.js';
export { verifyReportFile } from './verify.js';
