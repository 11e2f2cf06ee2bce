/**
 * `out-of-rpo` alerts (category coverage): `cairn serve` looks at coverage every few ticks and raises
 * one warning per environment × item whose newest capture is older than its tier's RPO (not for
 * `never`: a new item is not yet captured, its schedule's `schedule-late` says when that is a problem;
 * not for `excepted`: the gap is accepted). The alert is resolved once the item is within its RPO
 * again (or excepted, or out of the policy). A still-open alert is not raised again each look, so its
 * count stays the number of times it went out of RPO, not the number of looks.
 */
import { coverage } from '../coverage.js';
import { type AlertCenter, MONITOR_IDENTITY } from './alert-center.js';

/** `out-of-rpo:<item>@<environment>` (`@-` without environment). */
export function outOfRpoKey(item: string, environment: string | null): string {
  return `out-of-rpo:${item}@${environment ?? '-'}`;
}

export async function checkCoverageAlerts(center: AlertCenter): Promise<{ raised: number; resolved: number }> {
  const catalog = center.catalog;
  const policy = await center.policy();
  const report = await coverage(catalog, policy, center.now());
  const active = new Map(
    (await catalog.alerts.list({ state: ['open', 'acknowledged'] }))
      .filter((a) => a.kind === 'out-of-rpo')
      .map((a) => [a.dedupKey, a]),
  );
  let raised = 0;
  let resolved = 0;
  const out = new Set<string>();
  for (const row of report.rows) {
    if (row.status !== 'out-of-rpo') continue;
    const dedupKey = outOfRpoKey(row.item, row.environment);
    out.add(dedupKey);
    if (active.has(dedupKey)) continue;
    const where = row.environment ? ` in ${row.environment}` : '';
    await center.raise({
      kind: 'out-of-rpo',
      category: 'coverage',
      severity: 'warning',
      dedupKey,
      summary: `the newest capture of ${row.item}${where} is ${hours(row.ageMs)} old, older than the RPO of tier ${row.tier} (${hours(row.rpoMs)})`,
      details: {
        item: row.item,
        environment: row.environment,
        tier: row.tier,
        rpoMs: row.rpoMs,
        ageMs: row.ageMs,
        lastCaptureAt: row.lastCaptureAt,
        lastSnapshotId: row.lastSnapshotId,
        consecutiveFailures: row.consecutiveFailures,
      },
    });
    raised++;
  }
  for (const [dedupKey, alert] of active) {
    if (out.has(dedupKey)) continue;
    if (
      await center.resolve(alert.id, MONITOR_IDENTITY, 'within its RPO again (or excepted, or no longer in the policy)')
    )
      resolved++;
  }
  return { raised, resolved };
}

function hours(ms: number | null): string {
  if (ms === null) return '?';
  const m = Math.round(ms / 60_000);
  return m < 120 ? `${m} min` : `${Math.round(m / 6) / 10} h`;
}
