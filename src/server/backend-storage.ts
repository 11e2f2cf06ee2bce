import type {
  AfterSnapshotReplication,
  HoldRecord,
  HoldResult,
  ReplicateResult,
  ReplicationStatus,
  StatsReport,
} from '../services/index.js';
import type { Caller } from './backend.js';
import type { Identity } from './deps.js';

/**
 * The storage-at-scale use cases of the Backend: sizing, replication and legal holds, each answering
 * what `cairn stats|replicate|hold … --json` print. Lifting a hold is not here: it is an approval
 * request (`hold.remove`, Backend.requestApproval), performed once approved.
 */

/** `cairn stats` options; periods as typed (`12m`, `30d`), parsed by the backend. */
export interface StatsInput {
  readonly projection: string;
  readonly window: string;
  readonly items?: readonly string[];
  readonly tier?: string;
}

/** `cairn replicate` options. `to` absent: the policy's `replication.to`. */
export interface ReplicateInput {
  readonly to?: string;
  readonly syncLocks: boolean;
  readonly concurrency: number;
}

/**
 * What a snapshot request reports about the replication it ran after committing its snapshots (as
 * `cairn snapshot --json` does): present when the policy names a replica and a snapshotted item's
 * tier has `replicate: true`. A failed replication never undoes a snapshot.
 */
export type SnapshotReplication = AfterSnapshotReplication;

/** Per item, as the replication gauges of /metrics show it. */
export interface ReplicationMetrics {
  /** The replica, and when its status was last worked out (ISO time). */
  readonly to: string;
  readonly computedAt: string;
  readonly items: ReadonlyArray<{
    readonly item: string;
    readonly behind: number;
    /** Time of the oldest snapshot the replica lacks; null when it lacks none. */
    readonly oldestMissing: string | null;
  }>;
}

export interface StorageBackend<I extends Identity = Identity> {
  /** `cairn stats --json`. */
  stats(input: StatsInput): Promise<StatsReport>;
  /** `cairn replicate --status --json`. */
  replicationStatus(input: { to?: string }): Promise<ReplicationStatus>;
  /** `cairn replicate --json`. */
  replicate(input: ReplicateInput, caller: Caller<I>): Promise<ReplicateResult>;
  /**
   * The replication status /metrics shows, as last worked out (never computed during a scrape); null
   * when the policy names no replica or nothing is known yet.
   */
  replicationMetrics(): Promise<ReplicationMetrics | null>;
  /** `cairn hold list --json`, oldest first. */
  listHolds(): Promise<{ holds: readonly HoldRecord[] }>;
  /** `cairn hold add --json`; the hold's actor is the caller's subject. */
  addHold(input: { snapshot: string; reason?: string }, caller: Caller<I>): Promise<HoldResult>;
}
