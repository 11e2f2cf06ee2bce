import type { ReportFormat, ReportVerifyResult } from '../services/index.js';
import type { Caller } from './backend.js';
import type { Identity } from './deps.js';

/** A report file as the server made it: its bytes and what `cairn report --json` says of them. */
export interface ReportFile {
  readonly month: string;
  readonly format: ReportFormat;
  readonly bytes: Uint8Array;
  /** SHA-256 of the bytes (the `x-cairn-report-sha256` header, the `report.generated` event's sha256). */
  readonly sha256: string;
  /** SHA-256 of the signed body. */
  readonly bodySha256: string;
  readonly figures: number;
}

/**
 * The auditors' monthly evidence report (C8.3, docs/REPORTS.md) on the server: what `cairn report`
 * writes and `cairn report verify --json` prints.
 */
export interface ReportsBackend<I extends Identity = Identity> {
  /**
   * `cairn report --month M --format F`: built, signed with the repository's audit key and recorded
   * (`report.generated`, the caller its identity); CAIRN_E_USAGE for a month that has not begun.
   */
  generateReport(input: { month: string; format: ReportFormat }, caller: Caller<I>): Promise<ReportFile>;
  /**
   * `cairn report verify FILE --json` over the file's bytes, with the server's policy; `name` is how
   * the file is called in messages. CAIRN_E_USAGE when the bytes are no report.
   */
  verifyReport(input: { bytes: Uint8Array; name?: string }): Promise<ReportVerifyResult>;
}
