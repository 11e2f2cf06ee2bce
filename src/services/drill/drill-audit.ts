import type { DrillRecord } from '../../catalog/index.js';

/** Audit details stay well under the log's 8 KiB: lists are cut, counts always kept. */
const BUDGET = 6000;

/**
 * drill.finish's details: enough to recompute a report's drill figures from the audit log alone
 * (plan, status, RTO and its parts, RPO, the SLAs, each item's restored snapshot and state time,
 * validator counts, gap categories).
 */
export function finishDetails(r: DrillRecord): Record<string, unknown> {
  const result = r.result;
  const validators = result?.validators ?? [];
  const gaps = result?.gaps ?? [];
  const categories: Record<string, number> = {};
  for (const g of gaps) categories[g.category] = (categories[g.category] ?? 0) + 1;
  const details: Record<string, unknown> = {
    drill: r.id,
    plan: r.plan,
    kind: r.kind,
    environment: r.environment,
    trigger: r.trigger,
    status: r.status,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    rtoMs: r.rtoMs,
    restoreMs: r.restoreMs,
    validateMs: r.validateMs,
    rpoMs: r.rpoMs,
    rtoSlaMs: r.rtoSlaMs,
    rpoSlaMs: r.rpoSlaMs,
    withinSla: r.withinSla,
    signoffRequired: r.signoffRequired,
    isolated: result?.sandbox.isolated ?? null,
    validators: { total: validators.length, failed: validators.filter((v) => !v.ok).length },
    gapCategories: categories,
    items: (result?.items ?? []).map((i) => ({
      item: i.item,
      snapshot: i.snapshotId,
      stateAt: i.stateAt,
      rpoMs: i.rpoMs,
      ok: i.ok,
    })),
    failedValidators: validators.filter((v) => !v.ok).map((v) => ({ item: v.item, label: v.label.slice(0, 200) })),
    gaps: gaps.map((g) => ({ item: g.item, category: g.category, key: g.key.slice(0, 200) })),
    ...(result?.error ? { error: result.error.slice(0, 500) } : {}),
  };
  return fit(details);
}

function fit(details: Record<string, unknown>): Record<string, unknown> {
  const size = () => Buffer.byteLength(JSON.stringify(details));
  for (const key of ['gaps', 'failedValidators', 'items'] as const) {
    const list = details[key] as unknown[];
    while (size() > BUDGET && list.length > 0) {
      list.pop();
      details[`${key}Truncated`] = true;
    }
  }
  return details;
}
