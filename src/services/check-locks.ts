import type { ObjectLocks } from '../catalog/index.js';
import { isCairnError } from '../errors/index.js';
import type { LockMode, Policy } from '../policy/index.js';
import { mapLimit, type Repository, type SnapshotObject } from '../repo/index.js';
import type { ObjectInfo } from '../storage/index.js';
import { holdKey, readHolds } from './hold.js';
import { noProgress, type ProgressSink } from './progress.js';
import { NeededPacks, strongerMode, tierLockMode } from './worm.js';

/** A lock as demanded by the policy or as the storage reports it. */
export interface LockState {
  readonly retainUntil: string | null;
  readonly mode: LockMode | null;
  readonly legalHold: boolean;
}

/** missing: the object is gone; no-lock: no retention in force; shorter / weaker: date or mode below demand. */
export type LockProblem = 'missing' | 'no-lock' | 'shorter' | 'weaker' | 'no-hold';

export interface LockFinding {
  readonly object: string;
  readonly problems: readonly LockProblem[];
  readonly message: string;
  readonly demanded: LockState;
  readonly actual: LockState | null;
  /** Snapshots whose retention or hold demands this lock (at most 10 listed). */
  readonly snapshots: readonly string[];
  readonly neededBy: number;
}

export interface LockReport {
  readonly ok: boolean;
  readonly snapshots: number;
  readonly held: number;
  /** Objects whose lock was demanded and read from the storage. */
  readonly objects: number;
  readonly findings: readonly LockFinding[];
  readonly warnings: readonly string[];
}

interface Demand {
  until: number | undefined;
  mode: LockMode | undefined;
  hold: boolean;
  readonly snapshots: Set<string>;
}

/** Servers keep retain-until dates to the second; a lock within this of the demand is not "shorter". */
const TOLERANCE_MS = 1000;
const PARALLEL = 8;
const LISTED_PREFIXES = ['snapshots/', 'verifications/', 'packs/', 'holds/'];

/**
 * `cairn check --locks`: for every snapshot, the lock the policy demands now (its retain-until, or
 * that of a later verification leaning on it, in its tier's mode, and its legal hold) against what
 * the storage reports for the snapshot object, its verifications and every pack it needs. A
 * control: each lock is read from the storage (stat, or list where it carries locks), never assumed.
 */
export async function checkLocks(
  repo: Repository,
  policy: Policy | undefined,
  opts: { now?: Date; progress?: ProgressSink; locks?: ObjectLocks } = {},
): Promise<LockReport> {
  const now = (opts.now ?? new Date()).getTime();
  const progress = opts.progress ?? noProgress;
  const warnings: string[] = [];
  if (!policy) warnings.push('no policy file: lock modes are not checked, only dates and holds');
  await repo.loadIndex();
  const holds = await readHolds(repo);
  const snapshotIds = await repo.listIds('snapshots');
  const snapshots = new Map<string, SnapshotObject>();
  await mapLimit(snapshotIds, PARALLEL, async (id) => {
    try {
      snapshots.set(id, await repo.loadSnapshot(id));
    } catch (err) {
      if (!isCairnError(err)) throw err;
      warnings.push(`snapshot ${id.slice(0, 12)} cannot be read (${err.message}): its locks are not checked`);
    }
  });
  const leaning = new Map<string, Array<{ id: string; time: number }>>(); // snapshot -> its verifications
  await mapLimit(await repo.listIds('verifications'), PARALLEL, async (id) => {
    try {
      const v = await repo.loadVerification(id);
      leaning.set(v.snapshot, [...(leaning.get(v.snapshot) ?? []), { id, time: Date.parse(v.meta.time) }]);
    } catch (err) {
      if (!isCairnError(err)) throw err;
      warnings.push(`verification ${id.slice(0, 12)} cannot be read (${err.message}): its lock is not checked`);
    }
  });

  const demands = new Map<string, Demand>();
  const demand = (key: string, until: number | undefined, mode: LockMode | undefined, hold: boolean, by: string) => {
    const live = until !== undefined && until > now ? until : undefined;
    if (live === undefined && !hold) return;
    const d = demands.get(key) ?? { until: undefined, mode: undefined, hold: false, snapshots: new Set<string>() };
    if (live !== undefined) {
      d.until = Math.max(d.until ?? 0, live);
      d.mode = strongerMode(d.mode, mode ?? 'governance');
    }
    d.hold ||= hold;
    d.snapshots.add(by);
    demands.set(key, d);
  };
  const needed = new NeededPacks(repo);
  const unknownTiers = new Set<string>();
  for (const [id, s] of snapshots) {
    const tier = s.meta.tier;
    if (policy && tier !== null && !policy.tiers[tier]) unknownTiers.add(tier);
    const mode = policy ? tierLockMode(policy, tier) : undefined;
    const held = holds.has(id);
    const own = s.retainUntil ? Date.parse(s.retainUntil) : undefined;
    const span = own === undefined ? undefined : own - Date.parse(s.meta.time);
    let until = own;
    for (const v of leaning.get(id) ?? []) {
      const vUntil = span === undefined ? undefined : v.time + span;
      demand(`verifications/${v.id}`, vUntil, mode, false, id);
      if (vUntil !== undefined) until = Math.max(until ?? 0, vUntil);
    }
    demand(`snapshots/${id}`, until, mode, held, id);
    if (held) demand(holdKey(id), undefined, undefined, true, id);
    if (!held && (until === undefined || until <= now)) continue;
    try {
      for (const key of await needed.ofTree(s.tree)) demand(key, until, mode, held, id);
    } catch (err) {
      if (!isCairnError(err)) throw err;
      warnings.push(`snapshot ${id.slice(0, 12)}: its trees cannot be read (${err.message}): pack locks not checked`);
    }
  }
  for (const tier of unknownTiers)
    warnings.push(`tier ${tier} is not in the policy: its snapshots are checked for governance`);
  for (const id of holds.keys()) {
    if (!snapshots.has(id) && !snapshotIds.includes(id))
      warnings.push(`a legal hold names snapshot ${id.slice(0, 12)}, which is not in the repository`);
  }

  const keys = [...demands.keys()];
  const actual = await readLocks(repo, keys, (done) =>
    progress({ phase: 'check locks', files: done, totalFiles: keys.length, bytes: 0 }),
  );
  // What was read replaces the catalog's record of locks, lowering it where a lock was weakened
  // behind Cairn's back: the next snapshot then looks at those objects again and extends them.
  await opts.locks?.observe(
    repo.storage.location,
    keys.map((key) => {
      const info = actual.get(key);
      return info?.retainUntil
        ? { key, retainUntil: info.retainUntil, mode: info.mode ?? 'governance' }
        : { key, retainUntil: null, mode: null };
    }),
  );
  const findings: LockFinding[] = [];
  for (const key of keys.sort()) {
    const finding = compare(key, demands.get(key)!, actual.get(key), now);
    if (finding) findings.push(finding);
  }
  return {
    ok: findings.length === 0,
    snapshots: snapshotIds.length,
    held: holds.size,
    objects: keys.length,
    findings,
    warnings,
  };
}

/** Each object's lock as the storage reports it: one list per prefix where lists carry locks, else a stat each. */
async function readLocks(
  repo: Repository,
  keys: readonly string[],
  tick: (done: number) => void,
): Promise<Map<string, ObjectInfo | undefined>> {
  const out = new Map<string, ObjectInfo | undefined>();
  if (repo.storage.listsRetention) {
    const wanted = new Set(keys);
    for (const prefix of LISTED_PREFIXES) {
      for (const o of await repo.storage.list(prefix)) if (wanted.has(o.key)) out.set(o.key, o);
    }
    tick(keys.length);
    return out;
  }
  let done = 0;
  await mapLimit(keys, PARALLEL, async (key) => {
    out.set(key, await repo.storage.stat(key));
    tick(++done);
  });
  return out;
}

function compare(key: string, d: Demand, info: ObjectInfo | undefined, now: number): LockFinding | undefined {
  const demanded: LockState = {
    retainUntil: d.until === undefined ? null : new Date(d.until).toISOString(),
    mode: d.mode ?? null,
    legalHold: d.hold,
  };
  const problems: LockProblem[] = [];
  const said: string[] = [];
  const state: LockState | null = info
    ? {
        retainUntil: info.retainUntil?.toISOString() ?? null,
        mode: info.retainUntil ? (info.mode ?? 'governance') : null,
        legalHold: info.legalHold === true,
      }
    : null;
  if (!state) {
    problems.push('missing');
    said.push('the object is missing from the storage');
  } else {
    const until = info?.retainUntil?.getTime();
    if (d.until !== undefined) {
      if (until === undefined || until <= now) {
        problems.push('no-lock');
        said.push(`it has no retention in force; the policy demands ${demanded.mode} until ${demanded.retainUntil}`);
      } else {
        if (until < d.until - TOLERANCE_MS) {
          problems.push('shorter');
          said.push(`it is locked until ${state.retainUntil}, the policy demands ${demanded.retainUntil}`);
        }
        if (d.mode === 'compliance' && state.mode !== 'compliance') {
          problems.push('weaker');
          said.push(`its lock is ${state.mode}, the policy demands compliance`);
        }
      }
    }
    if (d.hold && !state.legalHold) {
      problems.push('no-hold');
      said.push('it has no legal hold, but a held snapshot needs it');
    }
  }
  if (problems.length === 0) return undefined;
  const snapshots = [...d.snapshots];
  const by = `needed by snapshot ${snapshots[0]!.slice(0, 12)}${snapshots.length > 1 ? ` and ${snapshots.length - 1} more` : ''}`;
  return {
    object: key,
    problems,
    message: `${key}: ${said.join('; ')} (${by})`,
    demanded,
    actual: state,
    snapshots: snapshots.slice(0, 10),
    neededBy: snapshots.length,
  };
}
