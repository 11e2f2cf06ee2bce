import { createHash } from 'node:crypto';
import type { AuditInput, AuditLog } from '../../audit/index.js';
import type { Policy } from '../../policy/index.js';
import { RepositoryCheckpointStore } from '../audit-checkpoints.js';
import type { Session } from '../session.js';
import { type BuildReportOptions, buildMonthlyReport } from './collect.js';
import { renderReport } from './render.js';
import { signReport } from './sign.js';
import type { ReportFormat, SignedReport } from './types.js';

export interface GeneratedReport {
  readonly signed: SignedReport;
  readonly bytes: Uint8Array;
  readonly sha256: string; // of the file's bytes
}

/** Built, signed with the repository's audit key, rendered. Recording it is the caller's, once written. */
export async function generateReport(
  session: Pick<Session, 'repo' | 'catalog'>,
  policy: Policy,
  log: Pick<AuditLog, 'checkpoint' | 'store'>,
  o: BuildReportOptions & { readonly format: ReportFormat },
): Promise<GeneratedReport> {
  const report = await buildMonthlyReport(session, policy, log, o);
  const signed = signReport(report, await new RepositoryCheckpointStore(session.repo).signingKey());
  const bytes = await renderReport(signed, o.format);
  return { signed, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** `report.generated`: the month, the format and the hashes of the file and of the signed body. */
export async function recordReportGenerated(
  log: Pick<AuditLog, 'record'>,
  who: Pick<AuditInput, 'identity' | 'roles' | 'ip' | 'userAgent'>,
  g: GeneratedReport & { readonly format: ReportFormat; readonly file?: string },
): Promise<void> {
  await log.record({
    ...who,
    action: 'report.generated',
    target: g.signed.report.month,
    result: 'ok',
    details: {
      month: g.signed.report.month,
      format: g.format,
      sha256: g.sha256,
      bodySha256: g.signed.signature.bodySha256,
      figures: g.signed.report.figures.length,
      ...(g.file ? { file: g.file } : {}),
    },
  });
}
