import type { ReportEventRow, ReportSnapshotRow, ReportVerificationRow } from '../../catalog/index.js';

/** A table figure: column names and rows of plain values. */
export interface ReportTable {
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<ReadonlyArray<string | number | boolean | null>>;
}

export type FigureValue = number | string | boolean | ReportTable | Readonly<Record<string, unknown>>;

/** What a figure was computed from: snapshot ids, audit event seqs, and where relevant more. */
export interface Evidence {
  readonly snapshots: readonly string[];
  readonly events: readonly number[];
  readonly verifications?: readonly string[];
  /** Audit checkpoint object names (the audit-chain figure). */
  readonly checkpoints?: readonly string[];
  /** A seq range the figure covers when listing every seq would say nothing more. */
  readonly eventRange?: { readonly from: number; readonly to: number };
}

export interface Figure {
  /** Stable: `coverage.items-in-rpo`; verify names differing figures by it. */
  readonly id: string;
  readonly section: ReportSection;
  readonly label: string;
  readonly value: FigureValue;
  readonly evidence: Evidence;
  /** A sentence for people: what the figure means, or why it is empty. */
  readonly note?: string;
}

export type ReportSection = 'coverage' | 'retention' | 'drills' | 'exceptions' | 'failures' | 'approvals' | 'audit';

export const SECTIONS: ReadonlyArray<{ readonly id: ReportSection; readonly title: string }> = Object.freeze([
  { id: 'coverage', title: 'Coverage' },
  { id: 'retention', title: 'Retention adherence' },
  { id: 'drills', title: 'Recovery drills' },
  { id: 'exceptions', title: 'Exceptions' },
  { id: 'failures', title: 'Failures and alerts' },
  { id: 'approvals', title: 'Approvals of destructive actions' },
  { id: 'audit', title: 'Audit-chain verification' },
]);

/** The signed body (docs/REPORTS.md). */
export interface MonthlyReport {
  readonly kind: 'cairn-monthly-report';
  readonly version: 1;
  readonly month: string; // YYYY-MM
  readonly from: string; // ISO, the month's first instant (UTC)
  /** Exclusive end of what was read: the month's end, or the generation time for the current month. */
  readonly until: string;
  readonly complete: boolean; // until is the month's end
  readonly generatedAt: string;
  readonly generator: string; // "cairn <version>"
  readonly repository: string; // repository id
  readonly organisation: string | null;
  readonly policy: { readonly file: string; readonly sha256: string };
  readonly figures: readonly Figure[];
}

export interface ReportSignature {
  readonly algorithm: 'ed25519';
  /** Base64 SPKI DER of the audit public key (audit/public-key). */
  readonly publicKey: string;
  /** SHA-256 hex of the public key's DER. */
  readonly keyFingerprint: string;
  /** SHA-256 hex of the body's canonical JSON. */
  readonly bodySha256: string;
  /** Base64 Ed25519 signature over the body's canonical JSON. */
  readonly value: string;
}

export interface SignedReport {
  readonly report: MonthlyReport;
  readonly signature: ReportSignature;
}

export type ReportFormat = 'json' | 'csv' | 'html' | 'pdf';
export const REPORT_FORMATS: readonly ReportFormat[] = Object.freeze(['json', 'csv', 'html', 'pdf']);

/** A month as a half-open UTC range. */
export interface MonthRange {
  readonly month: string;
  readonly start: Date;
  readonly end: Date;
}

/** The result of the audit-chain check over the month's seq range (audit-range.ts). */
export interface ChainCheck {
  readonly ok: boolean;
  readonly events: number; // events of the range whose hash and links were checked
  readonly from: number | null; // first seq of the month
  readonly to: number | null; // last seq of the month
  readonly checkpoints: readonly string[];
  readonly problem?: { readonly seq: number; readonly message: string };
}

export interface HoldFact {
  readonly snapshot: string;
  readonly time: string;
}

/** Everything the figures are computed from; collected from the catalog (build) or the repository (verify). */
export interface ReportFacts {
  readonly range: MonthRange;
  readonly until: Date;
  /** Every snapshot taken before `until` still in the repository. */
  readonly snapshots: readonly ReportSnapshotRow[];
  /** Verifications in the month, and the newest before it per (item, environment), of existing snapshots. */
  readonly verifications: readonly ReportVerificationRow[];
  /** Per snapshot, its newest verification's time before `until`. */
  readonly latestVerification: ReadonlyMap<string, string>;
  /** The report's audit events of the month (isReportEvent), oldest first. */
  readonly events: readonly ReportEventRow[];
  /** Every event of the month by action and result. */
  readonly eventCounts: ReadonlyArray<{ readonly action: string; readonly result: string; readonly count: number }>;
  readonly holds: readonly HoldFact[];
  readonly chain: ChainCheck;
}

export interface FigureDifference {
  readonly id: string;
  readonly label: string;
  readonly problem: 'value' | 'evidence' | 'missing' | 'unexpected';
  readonly expected: string; // recomputed
  readonly found: string; // in the file
  readonly note?: string;
}

export interface ReportVerifyResult {
  readonly ok: boolean;
  readonly file: { readonly format: ReportFormat; readonly sha256: string };
  readonly month: string;
  readonly signature: { readonly valid: boolean; readonly keyFingerprint: string; readonly message: string };
  /** The rendered view (HTML, CSV) is what the signed body renders to. */
  readonly rendering: { readonly checked: boolean; readonly matches: boolean; readonly figures: readonly string[] };
  readonly policy: { readonly sha256: string; readonly matches: boolean };
  readonly figures: number;
  readonly differences: readonly FigureDifference[];
  readonly durationMs: number;
}
