import type {
  AlertRecord,
  AlertState,
  CanaryRun,
  DrillRecord,
  DrillSignoff,
  DrillStatus,
  GapRecord,
} from '../catalog/index.js';
import type { CoverageReport } from '../services/index.js';
import type { Caller } from './backend.js';
import type { Identity } from './deps.js';

/**
 * Recovery drills and their gaps (issue 6, C5.1–C5.6): what `cairn drill … --json` and
 * `cairn gaps --json` print. A drill that fails is an answer (status failed), not an error.
 */
export interface DrillsBackend<I extends Identity = Identity> {
  /** `cairn drill list --json`, newest first. */
  listDrills(input: {
    plan?: string;
    status?: DrillStatus;
    limit?: number;
  }): Promise<{ drills: readonly DrillRecord[] }>;
  /** `cairn drill show ID --json`: the drill with its sign-offs; CAIRN_E_NOT_FOUND for an unknown id. */
  showDrill(id: string): Promise<DrillRecord & { signoffs: readonly DrillSignoff[] }>;
  /** `cairn drill run PLAN --json`, to the end; CAIRN_E_REPO_LOCKED while that plan is running. The actor is the caller. */
  runDrill(input: { plan: string }, caller: Caller<I>): Promise<DrillRecord>;
  /**
   * `cairn drill signoff ID --team T --code C`: the caller signs for a team access.teams lists them in,
   * with a TOTP code of their own MFA enrolment (used up, as approvals use theirs).
   */
  signOffDrill(id: string, input: { team: string; code: string }, caller: Caller<I>): Promise<DrillRecord>;
  /** `cairn gaps --json`: open gaps (all with `all`), optionally of one item. */
  listGaps(input: { item?: string; all?: boolean }): Promise<{ gaps: readonly GapRecord[] }>;
}

/** Alerts, coverage against RPO and the canary (C8.1, C8.2, C8.6). */
export interface MonitoringBackend<I extends Identity = Identity> {
  /** `cairn alerts --json`, newest first. */
  listAlerts(input: { state?: AlertState }): Promise<{ alerts: readonly AlertRecord[] }>;
  /** `cairn alerts ack ID` (an id or a unique prefix): open → acknowledged; CAIRN_E_NOT_FOUND for an unknown id. */
  ackAlert(id: string, caller: Caller<I>): Promise<AlertRecord>;
  /**
   * `cairn alerts resolve ID [--reason R]`: open or acknowledged → resolved; CAIRN_E_NOT_FOUND for an
   * unknown id, CAIRN_E_EXISTS when it is resolved already.
   */
  resolveAlert(id: string, input: { reason?: string }, caller: Caller<I>): Promise<AlertRecord>;
  /** `cairn coverage --json` (optionally one environment's rows). */
  coverage(input: { environment?: string }): Promise<CoverageReport>;
  /** The canary's latest rounds, newest first. */
  canaryRuns(input: { limit?: number }): Promise<{ runs: readonly CanaryRun[] }>;
}

/** The monitoring gauges of /metrics (CatalogMetrics.monitoring), read on each scrape. */
export interface MonitoringMetrics {
  readonly coverage: ReadonlyArray<{
    readonly item: string;
    readonly environment: string | null;
    readonly status: string;
    /** Age of the newest capture; null when never captured. */
    readonly ageMs: number | null;
  }>;
  readonly outOfRpo: number;
  /** Alerts in state open (raised, not acknowledged nor resolved) per category. */
  readonly alertsOpen: ReadonlyArray<{ readonly category: string; readonly count: number }>;
  /** The newest drill of each plan. */
  readonly drills: ReadonlyArray<{ readonly plan: string; readonly status: string; readonly rtoMs: number | null }>;
  /** The newest canary round; null when none ran. */
  readonly canary: { readonly ok: boolean; readonly latencyMs: number; readonly finishedAt: string } | null;
}
