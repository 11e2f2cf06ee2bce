import type { ReportVerifyResult } from '../services/index.js';
import type { ReportFile, ReportsBackend } from './backend-reports.js';
import { recorder } from './test-answer.js';

/** Sample answers of the monthly report's routes, every field filled (tests only). */

const csv = Buffer.from(
  'figure,label,value\r\ncoverage.snapshots,Snapshots taken,3\r\n# cairn-report-signature e30=\r\n',
);

export const reportFile: ReportFile = {
  month: '2026-11',
  format: 'csv',
  bytes: csv,
  sha256: 'a'.repeat(64),
  bodySha256: 'b'.repeat(64),
  figures: 1,
};

export const reportVerifyResult: ReportVerifyResult = {
  ok: false,
  file: { format: 'json', sha256: 'c'.repeat(64) },
  month: '2026-11',
  signature: { valid: false, keyFingerprint: 'd'.repeat(64), message: 'the signed body does not match its signature' },
  rendering: { checked: false, matches: true, figures: [] },
  policy: { sha256: 'e'.repeat(64), matches: true },
  figures: 24,
  differences: [
    {
      id: 'coverage.snapshots',
      label: 'Snapshots taken',
      problem: 'value',
      expected: '1',
      found: '7',
      note: '1 snapshots named in its evidence are no longer in the repository',
    },
  ],
  durationMs: 120,
};

/** The monthly report part of the fake Backend. */
export function fakeReports(calls: string[], results: unknown[]): ReportsBackend {
  const answer = recorder(calls, results);
  return {
    generateReport: answer('generateReport', reportFile),
    verifyReport: answer('verifyReport', reportVerifyResult),
  };
}
