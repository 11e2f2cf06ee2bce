import { randomInt } from 'node:crypto';
import type { BundleEntry, DeploymentRecord, SnapshotRecord } from '../catalog/index.js';
import { CairnError } from '../errors/index.js';
import type { runMetadata } from './run-metadata.js';
import type { Session } from './session.js';
import type { ItemResult } from './snapshot.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** `D-20261129-K7Q2XM`: the day it started and 30 random bits. */
export function newDeploymentId(now: Date): string {
  let tail = '';
  for (let i = 0; i < 6; i++) tail += BASE32[randomInt(32)];
  return `D-${now.toISOString().slice(0, 10).replaceAll('-', '')}-${tail}`;
}

/** How the reason of a deployment whose pre-deploy capture stopped half-way starts. */
export const CAPTURE_FAILED = 'pre-deploy capture failed:';
/** The bundle status of an item whose pre-deploy snapshot is being taken. */
export const PENDING = 'pending';
/** A start older than this whose items are still pending was interrupted (its process died): not waited for. */
export const CAPTURE_ABANDONED_MS = 6 * 60 * 60_000;

/**
 * The items whose pre-deploy snapshot is still being taken (empty when the capture is done, or was
 * abandoned CAPTURE_ABANDONED_MS ago by a process that died).
 */
export async function captureRunning(session: Session, record: DeploymentRecord, now = new Date()): Promise<string[]> {
  if (record.status !== 'started') return [];
  if (now.getTime() - Date.parse(record.startedAt) > CAPTURE_ABANDONED_MS) return [];
  const pre = await session.catalog.deployments.bundle(record.id, 'pre');
  return pre.filter((e) => e.status === PENDING).map((e) => e.item);
}

/** CAIRN_E_EXISTS (409) with details.retryable: try again once the pre-deploy capture is done. */
export async function refuseWhileCapturing(
  session: Session,
  record: DeploymentRecord,
  verb: string,
  now: Date,
): Promise<void> {
  const pending = await captureRunning(session, record, now);
  if (pending.length === 0) return;
  throw new CairnError(
    'CAIRN_E_EXISTS',
    `deployment ${record.id} is still taking its pre-deploy bundle (pending: ${pending.join(', ')}); it can be ${verb} once that is done: try again in a moment`,
    { deployment: record.id, status: record.status, capture: 'running', pending, retryable: true },
  );
}

/** The items of an environment; an environment neither declared nor used by an item is a usage error. */

export function runOf(meta: ReturnType<typeof runMetadata>, trigger: 'pre-deploy' | 'post-deploy') {
  return {
    trigger,
    deployment: meta.deployment ?? undefined,
    actor: meta.actor,
    ...(meta.release ? { release: meta.release } : {}),
    ...(meta.commit ? { commit: meta.commit } : {}),
    ...(meta.change ? { change: meta.change } : {}),
  };
}

export function entry(
  deployment: string,
  phase: 'pre' | 'post',
  item: string,
  status: string,
  error: string | null,
): BundleEntry {
  return { deployment, phase, item, snapshotId: null, verificationId: null, status, error };
}

export function bundleOf(deployment: string, phase: 'pre' | 'post', results: readonly ItemResult[]): BundleEntry[] {
  return results.map((r) => ({
    deployment,
    phase,
    item: r.item,
    snapshotId: r.id,
    verificationId: r.verification ?? null,
    status: r.status,
    error: r.error ? `${r.error.code}: ${r.error.message}` : null,
  }));
}

export async function snapshotsOf(
  session: Session,
  results: readonly ItemResult[],
): Promise<Map<string, SnapshotRecord>> {
  const out = new Map<string, SnapshotRecord>();
  for (const r of results) {
    if (!r.id || r.status === 'failed') continue;
    const s = await session.catalog.getSnapshot(r.id);
    if (s) out.set(r.item, s);
  }
  return out;
}
