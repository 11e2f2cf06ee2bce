/**
 * The records of issue 6 (drills, alerts, backup health, the canary, coverage): what the catalog
 * stores for them and the stores' interfaces. Times are ISO-8601 UTC text with milliseconds, as
 * everywhere in the catalog; the stores normalise what they are given.
 */

export type DrillStatus = 'running' | 'failed' | 'awaiting-signoff' | 'passed';

export type GapCategory =
  | 'missing-dependency'
  | 'expired-certificate'
  | 'expired-credential'
  | 'schema-failure'
  | 'baseline-deviation'
  | 'missing-baseline'
  | 'validator-failed'
  | 'validator-timeout'
  | 'restore-failed'
  | 'sandbox-violation'
  | 'rto-breach'
  | 'rpo-breach';

export interface DrillRecord {
  readonly id: string; // "dr-" + 20 lowercase hex (random), chosen by the caller
  readonly plan: string; // plan name ("staging:<env>" for staging restores)
  readonly kind: 'drill' | 'staging';
  readonly environment: string | null;
  readonly trigger: 'manual' | 'scheduled';
  readonly actor: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly status: DrillStatus;
  readonly rtoMs: number | null;
  readonly restoreMs: number | null;
  readonly validateMs: number | null;
  readonly rpoMs: number | null; // worst item
  readonly rtoSlaMs: number | null; // strictest tier SLA among the items
  readonly rpoSlaMs: number | null;
  readonly withinSla: boolean | null;
  readonly signoffRequired: readonly string[];
  readonly result: DrillResult | null; // null while running
}

export interface DrillResult {
  readonly items: ReadonlyArray<{
    item: string;
    tier: string | null;
    snapshotId: string | null;
    stateAt: string | null;
    rpoMs: number | null;
    rpoSlaMs: number | null;
    rtoSlaMs: number | null;
    restoreMs: number;
    files: number;
    bytes: number;
    ok: boolean;
    error?: string;
  }>;
  readonly validators: ReadonlyArray<{
    index: number;
    kind: 'run' | 'jsonSchema' | 'baseline';
    item: string;
    label: string;
    ok: boolean;
    durationMs: number;
    output: string; // last 16 KiB
    exitCode?: number | null;
    timedOut?: boolean;
    error?: string;
  }>;
  readonly gaps: readonly DrillGapFound[];
  readonly sandbox: { readonly path: string; readonly isolated: boolean; readonly cleaned: boolean };
  readonly error?: string; // what stopped the drill, if anything
}

export interface DrillGapFound {
  readonly item: string;
  readonly category: GapCategory;
  readonly key: string;
  readonly message: string;
}

export interface GapRecord extends DrillGapFound {
  readonly id: number;
  readonly firstDrill: string;
  readonly lastDrill: string;
  readonly openedAt: string;
  readonly closedAt: string | null;
  readonly closedByDrill: string | null;
}

export interface DrillSignoff {
  readonly drillId: string;
  readonly team: string;
  readonly subject: string;
  readonly at: string;
}

export type DrillFinish = Pick<
  DrillRecord,
  | 'finishedAt'
  | 'status'
  | 'rtoMs'
  | 'restoreMs'
  | 'validateMs'
  | 'rpoMs'
  | 'rtoSlaMs'
  | 'rpoSlaMs'
  | 'withinSla'
  | 'result'
>;

export interface DrillFilter {
  plan?: string;
  status?: DrillStatus;
  since?: Date; // startedAt >= since
  until?: Date; // startedAt < until
  limit?: number; // absent: all
}

export interface DrillRecords {
  /** CAIRN_E_EXISTS when the id is taken. */
  insert(r: DrillRecord): Promise<void>;
  /** Sets the finished fields; only from status 'running'. Returns false if it was not running. */
  finish(id: string, f: DrillFinish): Promise<boolean>;
  /** By id or unique prefix (≥ 6 chars); CAIRN_E_AMBIGUOUS when several, CAIRN_E_USAGE when too short. */
  get(idOrPrefix: string): Promise<DrillRecord | undefined>;
  /** Newest first (startedAt, then id). */
  list(f?: DrillFilter): Promise<DrillRecord[]>;
  /** The newest drill of each plan, by plan name. */
  latestPerPlan(): Promise<DrillRecord[]>;
  /** Compare-and-set. */
  setStatus(id: string, from: DrillStatus, to: DrillStatus): Promise<boolean>;
  /** 'team-signed': that team already signed this drill; 'subject-signed': this subject already signed it (any team). */
  addSignoff(s: DrillSignoff): Promise<'ok' | 'team-signed' | 'subject-signed'>;
  /** Oldest first. */
  signoffs(drillId: string): Promise<DrillSignoff[]>;
  /** After a drill of `items`: opens (or refreshes lastDrill of) each found gap keyed (item, category, key); closes the open gaps of these items not found again whose lastDrill was a drill of the same plan (only that plan's checks can find them). */
  recordGaps(
    drillId: string,
    items: readonly string[],
    found: readonly DrillGapFound[],
    at: string,
  ): Promise<{ opened: GapRecord[]; closed: GapRecord[] }>;
  /** open=true: closedAt null; open=false: closed ones; absent: all. By item, then openedAt. */
  gaps(f?: { item?: string; open?: boolean }): Promise<GapRecord[]>;
}

export type AlertState = 'open' | 'acknowledged' | 'resolved';
export type AlertRecordSeverity = 'info' | 'warning' | 'critical';

export interface AlertRecord {
  readonly id: string; // "al-" + 16 hex
  readonly dedupKey: string;
  readonly kind: string;
  readonly category: string;
  readonly severity: AlertRecordSeverity;
  readonly summary: string;
  readonly details: Record<string, unknown>;
  readonly state: AlertState;
  readonly count: number;
  readonly raisedAt: string;
  readonly lastRaisedAt: string;
  readonly ackedAt: string | null;
  readonly ackedBy: string | null;
  readonly escalatedAt: string | null;
  readonly resolvedAt: string | null;
}

export type DeliveryEvent = 'trigger' | 'acknowledge' | 'resolve' | 'escalate';

export interface AlertDelivery {
  readonly id: number;
  readonly alertId: string;
  readonly sink: string; // sink name
  readonly event: DeliveryEvent;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastError: string | null;
  readonly deliveredAt: string | null;
}

export interface AlertRaise {
  id: string;
  dedupKey: string;
  kind: string;
  category: string;
  severity: AlertRecordSeverity;
  summary: string;
  details: Record<string, unknown>;
  at: string;
}

/** `waited`: the row was not tried (it waits behind an earlier delivery of its alert): no attempt is counted. */
export type DeliveryOutcome =
  | { ok: true; at: string }
  | { ok: false; error: string; nextAttemptAt: string | null; waited?: boolean };

export interface AlertRecords {
  /**
   * Upsert on dedupKey among non-resolved alerts: new → created true; existing → count+1, lastRaisedAt,
   * severity max (summary and details become the newest raise's). Race-safe across replicas.
   */
  raise(a: AlertRaise): Promise<{ alert: AlertRecord; created: boolean }>;
  /** By id or unique prefix (≥ 6 chars); CAIRN_E_AMBIGUOUS when several. */
  get(idOrPrefix: string): Promise<AlertRecord | undefined>;
  /** The non-resolved alert of this key. */
  byDedupKey(dedupKey: string): Promise<AlertRecord | undefined>;
  /** Newest first (raisedAt, then id); since/until on raisedAt (until exclusive); no limit: all. */
  list(f?: {
    state?: AlertState | readonly AlertState[];
    since?: Date;
    until?: Date;
    limit?: number;
  }): Promise<AlertRecord[]>;
  /** CAS open → acknowledged; undefined if not open. */
  ack(id: string, by: string, at: string): Promise<AlertRecord | undefined>;
  /** CAS open|acknowledged → resolved; undefined if already resolved or missing. */
  resolve(id: string, at: string): Promise<AlertRecord | undefined>;
  /** CAS escalatedAt null (and the alert still open): true for the one caller that should escalate. */
  markEscalated(id: string, at: string): Promise<boolean>;
  /** Open, not acked, not escalated, raisedAt <= arg; oldest first. */
  dueForEscalation(raisedBefore: string): Promise<AlertRecord[]>;
  enqueue(d: ReadonlyArray<{ alertId: string; sink: string; event: DeliveryEvent; at: string }>): Promise<void>;
  /** Pending deliveries with nextAttemptAt <= now, oldest first; claimed (nextAttemptAt pushed by leaseMs) so two replicas never send one twice at once. */
  claimDue(now: string, limit: number, leaseMs: number): Promise<AlertDelivery[]>;
  /** Counts the attempt; ok → delivered; failed with nextAttemptAt → retried then; null → failed for good. Only a pending delivery changes. */
  deliveryDone(id: number, r: DeliveryOutcome): Promise<void>;
  /** By id (enqueue order). */
  deliveries(alertId: string): Promise<AlertDelivery[]>;
}

export interface ItemHealthRow {
  item: string;
  environment: string | null;
  consecutiveFailures: number;
  lastFailureAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
}

export interface ItemHealth {
  /** Records one backup outcome of (item, environment); returns the streak after it. */
  recordOutcome(o: {
    item: string;
    environment: string | null;
    ok: boolean;
    at: string;
    error?: string;
  }): Promise<{ consecutiveFailures: number; lastSuccessAt: string | null }>;
  /** By item, then environment (null first). */
  list(): Promise<ItemHealthRow[]>;
}

export interface CanaryRun {
  readonly id: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly phases: Record<string, number>; // change, snapshot, restore, verify ms
  readonly snapshotId: string | null;
  readonly error: string | null;
}

export interface CanaryRuns {
  /** CAIRN_E_EXISTS when the id is taken. */
  insert(r: CanaryRun): Promise<void>;
  /** Newest first; default 100. */
  list(limit?: number): Promise<CanaryRun[]>;
}

export interface LatestCapture {
  item: string;
  environment: string | null;
  snapshotId: string;
  snapshotAt: string;
  captureId: string;
  captureAt: string;
  captureKind: 'snapshot' | 'verification';
}

export interface CoverageQueries {
  /** Per (item, environment): the newest complete snapshot and the newest capture (snapshot or verification) with their ids and times. */
  latestCaptures(): Promise<LatestCapture[]>;
}
