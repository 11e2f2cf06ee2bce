/**
 * The canary (C8.6): one synthetic round of the whole backup path. It changes a few files of its own
 * (a counter, a timestamp, random bytes), snapshots them as the reserved item `cairn-canary` with the
 * snapshot service, restores that snapshot into an empty folder with the restore service (which checks
 * every file's SHA-256) and compares every restored byte with what it wrote. Each phase is timed.
 *
 * The item is not in the policy: it is built here, with a tier of its own (no retention, no lock), so
 * it never counts in coverage, gates, drift or retention by policy (`forget --apply-policy` keeps what
 * is not in the policy); the canary forgets its own snapshots beyond `canary.keep`. `cairn snapshots`
 * does list them, as item cairn-canary.
 *
 * A round is recorded in the catalog (canary runs); the audit log gets `canary.run` only when a round
 * fails or the outcome changes (first round, failed → ok, ok → failed), not every quarter of an hour.
 * Alerts: `canary-failed` (critical) when a round fails, `canary-slow` (warning) when a good round took
 * longer than canary.slowAfter; each is resolved by the next good (and fast enough) round.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { AuditLog } from '../audit/index.js';
import type { CanaryRun } from '../catalog/index.js';
import { CairnError, isCairnError } from '../errors/index.js';
import { CANARY_ITEM, type Item, type Policy, type Tier } from '../policy/index.js';
import type { AlertCenter } from './alerts/index.js';
import { forgetSnapshots } from './forget.js';
import { restoreSnapshot } from './restore.js';
import type { Session } from './session.js';
import { takeSnapshots } from './snapshot.js';

/** The identity canary snapshots, audit events and alerts are recorded under. */
export const CANARY_IDENTITY = 'system:canary';

export interface CanaryOptions {
  /** The canary's own folder: `source/` holds the files it changes, `restore-<id>/` a round's restore. */
  readonly dir: string;
  /** canary-failed / canary-slow are raised and resolved through it (none when absent). */
  readonly alerts?: AlertCenter;
  /** Trouble that does not fail the round: old canary snapshots that could not be forgotten. */
  readonly onWarning?: (what: string, err: unknown) => void;
  /** A round not finished by then is abandoned and fails; default canaryTimeoutMs(policy). */
  readonly timeoutMs?: number;
}

/** How long a round may take before it is abandoned: 3 × canary.slowAfter, at least 5 minutes. */
export function canaryTimeoutMs(policy: Policy): number {
  return Math.max(3 * policy.canary.slowAfterMs, 5 * 60_000);
}

type Phase = 'change' | 'snapshot' | 'restore' | 'verify';

/**
 * One canary round. A failed round is an answer (`ok: false`); it throws only when the round could
 * not take place (CAIRN_E_REPO_LOCKED: the repository is locked exclusively, try again later) or
 * could not be recorded.
 */
export async function runCanary(session: Session, policy: Policy, log: AuditLog, o: CanaryOptions): Promise<CanaryRun> {
  const id = `cr-${randomBytes(8).toString('hex')}`;
  const startedAt = new Date();
  const phases: Record<string, number> = {};
  let phase = 'change' as Phase;
  let snapshotId: string | null = null;
  let error: string | null = null;
  const timed = async <T>(p: Phase, fn: () => Promise<T> | T): Promise<T> => {
    phase = p;
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      phases[p] = Math.round(performance.now() - t0);
    }
  };
  const source = join(o.dir, 'source');
  const target = join(o.dir, `restore-${id}`);
  const abort = new AbortController();
  const timeoutMs = o.timeoutMs ?? canaryTimeoutMs(policy);
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  try {
    const work = (async () => {
      clearStaleRestores(o.dir);
      const written = await timed('change', () => changeFiles(source, id, startedAt));
      snapshotId = await timed('snapshot', () => snapshot(session, policy, source, abort.signal));
      abort.signal.throwIfAborted();
      const restored = await timed('restore', () => restore(session, snapshotId!, target));
      abort.signal.throwIfAborted();
      await timed('verify', () => verify(written, restored, target));
    })();
    const expired = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    if ((await Promise.race([work, expired])) === 'timeout') {
      // A round that hangs (storage that never answers) is abandoned: it fails, and the alert says so.
      timedOut = true;
      abort.abort();
      work.catch(() => {});
      error = `${phase}: the round did not finish within ${Math.round(timeoutMs / 1000)} s and was abandoned`;
    }
  } catch (err) {
    // Another process holds the repository exclusively (prune, forget): not a canary failure, no round.
    if (phase === 'snapshot' && isCairnError(err, 'CAIRN_E_REPO_LOCKED')) throw err;
    error = `${phase}: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    clearTimeout(timer);
    rmSync(target, { recursive: true, force: true });
  }
  const failedPhase = phase;
  const finishedAt = new Date();
  const run: CanaryRun = {
    id,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    ok: error === null,
    latencyMs: timedOut ? finishedAt.getTime() - startedAt.getTime() : sumOf(phases),
    phases: timedOut
      ? { ...phases, [failedPhase]: finishedAt.getTime() - startedAt.getTime() - sumOf(phases) }
      : phases,
    snapshotId,
    error,
  };
  if (run.ok) await forgetOld(session, policy.canary.keep, o.onWarning);
  const previous = (await session.catalog.canary.list(1))[0];
  await session.catalog.canary.insert(run);
  if (o.alerts) await alert(o.alerts, run, failedPhase, policy.canary.slowAfterMs);
  if (!run.ok || previous?.ok !== run.ok) {
    await log.record({
      identity: CANARY_IDENTITY,
      action: 'canary.run',
      target: CANARY_ITEM,
      result: run.ok ? 'ok' : 'failed',
      details: { ...run, previous: previous ? { id: previous.id, ok: previous.ok } : null },
    });
  }
  return run;
}

/** The item the canary snapshots, and a policy in which it is the only item, with a tier of its own. */
export function canaryPolicy(policy: Policy, source: string): Policy {
  const tier: Tier = { name: CANARY_ITEM, keep: { last: policy.canary.keep } };
  const item: Item = {
    name: CANARY_ITEM,
    owner: 'cairn',
    tier: CANARY_ITEM,
    description: 'synthetic item of the canary (cairn serve)',
    sources: [{ kind: 'files', root: source, include: ['**'], exclude: [] }],
    secrets: 'allow',
    exclude: [],
    at: { line: 0, column: 0 },
    requires: [],
    bundleWith: [],
    drift: { ignore: [], ignoreLines: [] },
    extra: {},
  };
  return { ...policy, tiers: { [CANARY_ITEM]: tier }, items: [item], exceptions: [] };
}

/** Rewrites the source folder: a counter one higher than last time, the time, random bytes. */
function changeFiles(source: string, id: string, at: Date): Map<string, Buffer> {
  let counter = 0;
  try {
    counter = Number.parseInt(readFileSync(join(source, 'counter'), 'utf8'), 10) || 0;
  } catch {}
  rmSync(source, { recursive: true, force: true });
  const files = new Map<string, Buffer>([
    ['counter', Buffer.from(`${counter + 1}\n`)],
    ['stamp.txt', Buffer.from(`${at.toISOString()} ${id}\n`)],
    ['data/random.bin', randomBytes(1024 + (randomBytes(2).readUInt16BE() % 3072))],
    ['data/round.json', Buffer.from(`${JSON.stringify({ round: counter + 1, id, at: at.toISOString() })}\n`)],
  ]);
  for (const [path, bytes] of files) {
    mkdirSync(join(source, path, '..'), { recursive: true });
    writeFileSync(join(source, path), bytes);
  }
  return files;
}

async function snapshot(session: Session, policy: Policy, source: string, signal: AbortSignal): Promise<string> {
  const [result] = await takeSnapshots(session, canaryPolicy(policy, source), {
    items: [CANARY_ITEM],
    signal,
    run: { trigger: 'scheduled', actor: CANARY_IDENTITY },
    scheduledBackup: true,
    force: true,
  });
  if (result?.status !== 'created' || !result.id) {
    const why = result?.error?.message ?? `${result?.unreadable.length ?? 0} file(s) unreadable`;
    throw new CairnError('CAIRN_E_CHECK_FAILED', `the canary snapshot was not taken (${result?.status}): ${why}`);
  }
  return result.id;
}

async function restore(session: Session, id: string, target: string): Promise<Map<string, Buffer>> {
  const record = await session.catalog.getSnapshot(id);
  if (!record)
    throw new CairnError('CAIRN_E_NOT_FOUND', `the canary snapshot ${id.slice(0, 12)} is not in the catalog`);
  const result = await restoreSnapshot(session.repo, record, { target });
  if (result.failed.length > 0) {
    const first = result.failed[0]!;
    throw new CairnError(
      'CAIRN_E_INTEGRITY',
      `${result.failed.length} file(s) not restored from ${id.slice(0, 12)}: ${first.path}: ${first.message}`,
    );
  }
  return readTree(target);
}

/** Every restored byte against what was written: same files, same contents. */
function verify(written: Map<string, Buffer>, restored: Map<string, Buffer>, target: string): void {
  for (const [path, bytes] of written) {
    const back = restored.get(path);
    if (!back) throw new CairnError('CAIRN_E_INTEGRITY', `${path} is missing from the restore in ${target}`);
    if (!back.equals(bytes)) {
      throw new CairnError(
        'CAIRN_E_INTEGRITY',
        `${path} came back different (${back.length} bytes, written ${bytes.length})`,
      );
    }
  }
  const extra = [...restored.keys()].filter((p) => !written.has(p));
  if (extra.length > 0)
    throw new CairnError('CAIRN_E_INTEGRITY', `the restore has files never written: ${extra.join(', ')}`);
}

function readTree(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const e of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const abs = join(e.parentPath, e.name);
    out.set(relative(root, abs).split(sep).join('/'), readFileSync(abs));
  }
  return out;
}

function sumOf(phases: Record<string, number>): number {
  return Object.values(phases).reduce((a, b) => a + b, 0);
}

/**
 * Restores of rounds that were interrupted (the server stopped mid-round, a round was abandoned).
 * The folder is the server's alone (0700): its files are no secret, but nobody else is to change
 * what the canary snapshots and compares.
 */
function clearStaleRestores(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  for (const name of readdirSync(dir)) {
    if (name.startsWith('restore-')) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/** Forgets canary snapshots beyond the newest `keep`; a failure (a lock held elsewhere) waits for the next round. */
async function forgetOld(session: Session, keep: number, onWarning: CanaryOptions['onWarning']): Promise<void> {
  try {
    const all = await session.catalog.findSnapshots({ item: [CANARY_ITEM] });
    const old = all
      .sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0))
      .slice(keep)
      .map((s) => s.id);
    if (old.length > 0) await forgetSnapshots(session.repo, session.catalog, old, {});
  } catch (err) {
    if (!isCairnError(err, 'CAIRN_E_REPO_LOCKED')) onWarning?.('forgetting old canary snapshots', err);
  }
}

async function alert(center: AlertCenter, run: CanaryRun, phase: Phase, slowAfterMs: number): Promise<void> {
  const details = { run: run.id, latencyMs: run.latencyMs, phases: run.phases, snapshotId: run.snapshotId };
  if (!run.ok) {
    await center.raise({
      kind: 'canary-failed',
      category: 'canary',
      severity: 'critical',
      dedupKey: 'canary-failed',
      summary: `the canary round failed in ${phase}: ${run.error}`,
      details: { ...details, phase, error: run.error },
    });
    return;
  }
  await center.resolve('canary-failed', CANARY_IDENTITY, `canary round ${run.id} passed`);
  if (run.latencyMs > slowAfterMs) {
    await center.raise({
      kind: 'canary-slow',
      category: 'canary',
      severity: 'warning',
      dedupKey: 'canary-slow',
      summary: `the canary round took ${Math.round(run.latencyMs)} ms, more than canary.slowAfter (${slowAfterMs} ms)`,
      details: { ...details, slowAfterMs },
    });
  } else {
    await center.resolve('canary-slow', CANARY_IDENTITY, `canary round ${run.id} took ${Math.round(run.latencyMs)} ms`);
  }
}
