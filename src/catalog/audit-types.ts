/**
 * What the audit layer stores in the catalog (see audit-store.ts). The catalog keeps the rows and
 * serialises appends; what a hash is and what makes an event valid belong to audit/.
 */

export type AuditResult = 'allowed' | 'denied' | 'ok' | 'failed' | 'requested';

/** One audit event as stored. docs/AUDIT.md describes every field. */
export interface AuditEventRecord {
  readonly seq: number;
  readonly id: string;
  readonly time: string; // ISO-8601 UTC with milliseconds
  readonly identity: string;
  readonly roles: readonly string[];
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly action: string;
  readonly target: string | null;
  readonly result: AuditResult;
  readonly changeId: string | null;
  readonly approvalId: string | null;
  readonly details: Readonly<Record<string, unknown>>;
  readonly prevHash: string;
  readonly hash: string;
}

/** The last event's seq and hash; seq 0 and 64 zeros before the first event. */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

export interface AuditEventFilter {
  readonly since?: string | undefined; // inclusive
  readonly until?: string | undefined; // exclusive
  readonly identity?: string | undefined;
  /** An exact action, or a family with a trailing `*` (`snapshot.*`). */
  readonly action?: string | undefined;
  readonly result?: AuditResult | undefined;
  readonly target?: string | undefined;
  /** Only events after this seq (paging in seq order). */
  readonly afterSeq?: number | undefined;
  readonly limit?: number | undefined;
  /** `seq` (default): oldest first; `newest`: newest first. */
  readonly order?: 'seq' | 'newest' | undefined;
}

export interface AuditCheckpointRow {
  readonly objectKey: string;
  readonly seq: number;
  readonly hash: string;
  readonly time: string;
}

export interface AuditStore {
  /**
   * Appends one event. In one transaction: locks the head row, hands the head to `build`, which
   * returns the next event (seq = head.seq + 1, prevHash = head.hash), inserts it and moves the head.
   * Safe across processes and across servers sharing one PostgreSQL.
   */
  append(build: (head: AuditHead) => AuditEventRecord): Promise<AuditEventRecord>;
  head(): Promise<AuditHead>;
  /** Events with seq > afterSeq, oldest first, at most limit. */
  range(afterSeq: number, limit: number): Promise<AuditEventRecord[]>;
  find(filter: AuditEventFilter): Promise<AuditEventRecord[]>;
  count(filter: AuditEventFilter): Promise<number>;
  lastEventSeq(): Promise<number>;

  getCursor(name: string): Promise<number>; // 0 when never set
  setCursor(name: string, seq: number): Promise<void>;

  putCheckpoint(row: AuditCheckpointRow): Promise<void>;
  checkpoints(): Promise<AuditCheckpointRow[]>; // by seq, then time
  lastCheckpoint(): Promise<AuditCheckpointRow | undefined>;

  /** Records an alert's dedup key; false when it was already there (raised before, here or elsewhere). */
  claimAlert(dedupKey: string, time: string): Promise<boolean>;
}
