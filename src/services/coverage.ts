/**
 * Coverage (C8.2): for every item of the policy, in its environment, the age of its newest capture
 * (a snapshot, or a verification that the live state still matches one) against its tier's RPO.
 * Items named only in `exceptions` are rows too, so a risk acceptance is visible as such.
 *
 * Status: `never` (no capture), `out-of-rpo` (older than the RPO), `ok`, `no-rpo` (captured; the
 * tier sets no RPO). A row that is `never` or `out-of-rpo` while an exception for the item is active
 * is `excepted` (the gap stays visible, with its acceptance); when its exception has expired it is
 * `exception-expired`. An item named only in exceptions is `excepted` or `exception-expired`.
 * The exception's expiry date is its last valid day (UTC), as `policy check` counts it.
 */
import type { Catalog } from '../catalog/index.js';
import { CairnError } from '../errors/index.js';
import type { Policy, PolicyException } from '../policy/index.js';

export type CoverageStatus = 'ok' | 'out-of-rpo' | 'never' | 'no-rpo' | 'excepted' | 'exception-expired';

export interface CoverageRow {
  environment: string | null;
  item: string;
  tier: string | null;
  rpoMs: number | null;
  lastSnapshotId: string | null;
  lastCaptureAt: string | null;
  ageMs: number | null;
  status: CoverageStatus;
  exception?: { reason: string; ticket: string; expires: string; acceptedBy: readonly string[] };
  consecutiveFailures: number;
  /** The newest capture's id (a snapshot or verification id) and kind, when there is one. */
  lastCaptureId?: string;
  lastCaptureKind?: 'snapshot' | 'verification';
}

export interface CoverageReport {
  at: string;
  rows: CoverageRow[];
  /** Rows `out-of-rpo` or `never`. */
  outOfRpo: number;
  /** Rows `ok` or `no-rpo`: captured and not past an RPO. */
  covered: number;
  total: number;
  /** Rows that make `cairn coverage` exit 1: out-of-rpo, never, exception-expired. */
  failing: number;
}

/** The statuses `cairn coverage` exits 1 for. */
export const FAILING_COVERAGE: readonly CoverageStatus[] = Object.freeze(['out-of-rpo', 'never', 'exception-expired']);

export async function coverage(
  catalog: Catalog,
  policy: Policy,
  now: Date = new Date(),
  options: { environment?: string } = {},
): Promise<CoverageReport> {
  const env = options.environment;
  if (env !== undefined && !policy.environments[env] && !policy.items.some((i) => i.environment === env)) {
    const known = Object.keys(policy.environments);
    throw new CairnError(
      'CAIRN_E_USAGE',
      `unknown environment "${env}"; the policy defines: ${known.length > 0 ? known.join(', ') : 'none'}`,
      { environment: env },
    );
  }
  const [captures, health] = await Promise.all([catalog.coverage.latestCaptures(), catalog.health.list()]);
  const byKey = new Map(captures.map((c) => [key(c.item, c.environment), c]));
  const newestOfItem = new Map<string, (typeof captures)[number]>();
  for (const c of captures) {
    const seen = newestOfItem.get(c.item);
    if (!seen || seen.captureAt < c.captureAt) newestOfItem.set(c.item, c);
  }
  const failures = new Map(health.map((h) => [key(h.item, h.environment), h.consecutiveFailures]));
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const exceptionOf = exceptionsByItem(policy.exceptions, today);

  const rows: CoverageRow[] = [];
  const named = new Set<string>();
  for (const item of policy.items) {
    named.add(item.name);
    const environment = item.environment ?? null;
    if (env !== undefined && environment !== env) continue;
    const rpoMs = policy.tiers[item.tier]?.rpoMs ?? null;
    const capture = byKey.get(key(item.name, environment));
    const ageMs = capture ? Math.max(0, now.getTime() - Date.parse(capture.captureAt)) : null;
    let status: CoverageStatus = !capture ? 'never' : rpoMs === null ? 'no-rpo' : ageMs! > rpoMs ? 'out-of-rpo' : 'ok';
    const ex = exceptionOf.get(item.name);
    if (ex && (status === 'never' || status === 'out-of-rpo')) status = ex.active ? 'excepted' : 'exception-expired';
    rows.push({
      environment,
      item: item.name,
      tier: item.tier,
      rpoMs,
      lastSnapshotId: capture?.snapshotId ?? null,
      lastCaptureAt: capture?.captureAt ?? null,
      ageMs,
      status,
      ...(ex ? { exception: ex.exception } : {}),
      consecutiveFailures: failures.get(key(item.name, environment)) ?? 0,
      ...(capture ? { lastCaptureId: capture.captureId, lastCaptureKind: capture.captureKind } : {}),
    });
  }
  if (env === undefined) {
    for (const [item, ex] of exceptionOf) {
      if (named.has(item)) continue;
      const capture = newestOfItem.get(item);
      rows.push({
        environment: null,
        item,
        tier: null,
        rpoMs: null,
        lastSnapshotId: capture?.snapshotId ?? null,
        lastCaptureAt: capture?.captureAt ?? null,
        ageMs: capture ? Math.max(0, now.getTime() - Date.parse(capture.captureAt)) : null,
        status: ex.active ? 'excepted' : 'exception-expired',
        exception: ex.exception,
        consecutiveFailures: failures.get(key(item, null)) ?? 0,
        ...(capture ? { lastCaptureId: capture.captureId, lastCaptureKind: capture.captureKind } : {}),
      });
    }
  }
  rows.sort((a, b) => cmp(a.environment ?? '\uffff', b.environment ?? '\uffff') || cmp(a.item, b.item));
  const count = (...s: CoverageStatus[]) => rows.filter((r) => s.includes(r.status)).length;
  return {
    at: now.toISOString(),
    rows,
    outOfRpo: count('out-of-rpo', 'never'),
    covered: count('ok', 'no-rpo'),
    total: rows.length,
    failing: count(...FAILING_COVERAGE),
  };
}

interface ItemException {
  readonly active: boolean;
  readonly exception: NonNullable<CoverageRow['exception']>;
}

/** Per item, its exception: the active one that lasts longest, else the one that expired last. */
function exceptionsByItem(exceptions: readonly PolicyException[], today: number): Map<string, ItemException> {
  const out = new Map<string, ItemException>();
  for (const ex of exceptions) {
    const expires = Date.parse(`${ex.expires}T00:00:00Z`);
    const active = !Number.isNaN(expires) && expires >= today;
    const candidate: ItemException = {
      active,
      exception: { reason: ex.reason, ticket: ex.ticket, expires: ex.expires, acceptedBy: [...ex.acceptedBy] },
    };
    const seen = out.get(ex.item);
    if (
      !seen ||
      (candidate.active && !seen.active) ||
      (candidate.active === seen.active && seen.exception.expires < ex.expires)
    )
      out.set(ex.item, candidate);
  }
  return out;
}

function key(item: string, environment: string | null): string {
  return `${item}\u0000${environment ?? ''}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
