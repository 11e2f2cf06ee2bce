/**
 * Backup outcomes feed the item's health (C8.1): a streak of `alerts.consecutiveFailures` failed
 * backups of one item in one environment raises a critical `backup-failed` alert (each further
 * failure counts it again); the next success resolves it.
 */
import type { Catalog } from '../../catalog/index.js';
import type { Policy } from '../../policy/index.js';
import type { ItemResult } from '../snapshot.js';
import { type AlertCenter, MONITOR_IDENTITY } from './alert-center.js';

export interface BackupOutcome {
  readonly item: string;
  readonly environment: string | null;
  readonly ok: boolean;
  readonly error?: string;
}

/** `backup-failed:<item>@<environment>`; an item without an environment: `backup-failed:<item>@-`. */
export function backupFailedKey(item: string, environment: string | null): string {
  return `backup-failed:${item}@${environment ?? '-'}`;
}

export async function recordBackupOutcome(
  center: AlertCenter,
  catalog: Catalog,
  policy: Policy,
  o: BackupOutcome,
): Promise<void> {
  const at = center.now().toISOString();
  const health = await catalog.health.recordOutcome({
    item: o.item,
    environment: o.environment,
    ok: o.ok,
    at,
    ...(o.error !== undefined ? { error: o.error } : {}),
  });
  const dedupKey = backupFailedKey(o.item, o.environment);
  if (o.ok) {
    await center.resolve(dedupKey, MONITOR_IDENTITY, `backup of ${o.item} succeeded at ${at}`);
    return;
  }
  const threshold = Math.max(1, policy.alerts.consecutiveFailures);
  if (health.consecutiveFailures < threshold) return;
  const where = o.environment ? ` in ${o.environment}` : '';
  await center.raise({
    kind: 'backup-failed',
    category: 'failure',
    severity: 'critical',
    dedupKey,
    summary:
      `backups of ${o.item}${where} failed ${health.consecutiveFailures} times in a row` +
      (o.error ? `: ${o.error.slice(0, 300)}` : ''),
    details: {
      item: o.item,
      environment: o.environment,
      consecutiveFailures: health.consecutiveFailures,
      lastSuccessAt: health.lastSuccessAt,
      ...(o.error ? { error: o.error.slice(0, 1000) } : {}),
    },
  });
}

/**
 * The outcomes of one snapshot run (`cairn snapshot`, the server's snapshot route, a scheduled run),
 * one per item: only `failed` counts against the item (a partial snapshot is a backup that happened).
 * Each outcome is recorded on its own: one that cannot be recorded is passed to `onError` and the
 * others still are. Never throws: the backups happened whatever their bookkeeping does.
 */
export async function recordSnapshotOutcomes(
  center: AlertCenter,
  catalog: Catalog,
  policy: Policy,
  results: ReadonlyArray<Pick<ItemResult, 'item' | 'status' | 'error'>>,
  onError: (item: string, err: unknown) => void,
): Promise<void> {
  for (const r of results) {
    const environment = policy.items.find((i) => i.name === r.item)?.environment ?? null;
    try {
      await recordBackupOutcome(center, catalog, policy, {
        item: r.item,
        environment,
        ok: r.status !== 'failed',
        ...(r.error ? { error: `${r.error.code}: ${r.error.message}` } : {}),
      });
    } catch (err) {
      onError(r.item, err);
    }
  }
}
