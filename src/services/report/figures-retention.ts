import type { ReportEventRow, ReportSnapshotRow } from '../../catalog/index.js';
import { applyKeepRules, type Policy } from '../../policy/index.js';
import { evidence, figure, snapshotIdsOf, str, table } from './figure-kit.js';
import type { Figure, ReportFacts } from './types.js';

/** Actions that remove snapshots (docs/REPORTS.md); a dry run removes nothing. */
const DELETIONS = new Set(['forget', 'snapshot.forget', 'snapshot.delete']);

export function deletionEvents(events: readonly ReportEventRow[]): ReportEventRow[] {
  return events.filter((e) => DELETIONS.has(e.action) && e.result === 'ok' && e.details.dryRun !== true);
}

function deletionKind(e: ReportEventRow): string {
  if (e.approvalId) return 'approved';
  if (e.details.applyPolicy === true || (e.target ?? '').startsWith('policy:')) return 'keep rules';
  return 'named';
}

/** Retention dates the event recorded for what it removed: details.removed[{id, retainUntil}]. */
function recordedRetention(e: ReportEventRow): Array<{ id: string; retainUntil: string }> {
  const removed = e.details.removed;
  if (!Array.isArray(removed)) return [];
  return removed
    .map((r) => ({
      id: str((r as { id?: unknown }).id),
      retainUntil: str((r as { retainUntil?: unknown }).retainUntil),
    }))
    .filter((r): r is { id: string; retainUntil: string } => r.id !== null && r.retainUntil !== null);
}

/** A snapshot may go when its own WORM date and those of the verifications leaning on it have passed (services/forget.ts). */
function effectiveRetention(s: ReportSnapshotRow, latestVerification: string | undefined): number | null {
  if (!s.retainUntil) return null;
  const own = Date.parse(s.retainUntil);
  if (!latestVerification) return own;
  return Math.max(own, Date.parse(latestVerification) + (own - Date.parse(s.time)));
}

export function retentionFigures(f: ReportFacts, policy: Policy): Figure[] {
  const until = f.until.getTime();
  const deletions = deletionEvents(f.events);
  const early = deletions.filter((e) =>
    recordedRetention(e).some((r) => Date.parse(r.retainUntil) > Date.parse(e.time)),
  );
  const checked = deletions.filter((e) => recordedRetention(e).length > 0);
  const held = new Map(f.holds.filter((h) => Date.parse(h.time) < until).map((h) => [h.snapshot, h]));

  // Kept past retention: not kept by the tier's keep rules at the end of the month, its WORM date
  // passed, and no legal hold; what `forget --apply-policy` would have removed.
  const byItem = new Map<string, ReportSnapshotRow[]>();
  for (const s of f.snapshots) {
    const list = byItem.get(s.item);
    if (list) list.push(s);
    else byItem.set(s.item, [s]);
  }
  const overdue: Array<{ s: ReportSnapshotRow; retainUntil: number | null }> = [];
  const heldNow: ReportSnapshotRow[] = [];
  for (const [item, snaps] of [...byItem].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const s of snaps) if (held.has(s.id)) heldNow.push(s);
    const def = policy.items.find((i) => i.name === item);
    const tier = def ? policy.tiers[def.tier] : undefined;
    if (!tier) continue; // not in the policy: forget keeps it
    const plan = applyKeepRules(
      snaps.map((s) => ({ id: s.id, time: new Date(s.time) })),
      tier.keep,
      new Date(until),
    );
    const removable = new Set(plan.remove.map((r) => r.id));
    for (const s of snaps) {
      if (!removable.has(s.id) || held.has(s.id)) continue;
      const retain = effectiveRetention(s, f.latestVerification.get(s.id));
      if (retain === null || retain <= until) overdue.push({ s, retainUntil: retain });
    }
  }
  overdue.sort((a, b) => (a.s.time < b.s.time ? -1 : a.s.time > b.s.time ? 1 : a.s.id < b.s.id ? -1 : 1));
  return [
    figure(
      'retention',
      'deletions',
      'Snapshot deletions this month',
      table(
        ['seq', 'time', 'identity', 'action', 'kind', 'approval', 'snapshots'],
        deletions.map((e) => [
          e.seq,
          e.time,
          e.identity,
          e.action,
          deletionKind(e),
          e.approvalId,
          snapshotIdsOf(e.details, e.target).length || null,
        ]),
      ),
      evidence({
        events: deletions.map((e) => e.seq),
        snapshots: deletions.flatMap((e) => snapshotIdsOf(e.details, e.target)),
      }),
      deletions.length === 0 ? 'no snapshot was deleted this month' : undefined,
    ),
    figure(
      'retention',
      'deleted-before-retention',
      'Snapshots deleted before their retention date',
      early.length,
      evidence({ events: early.map((e) => e.seq) }),
      `${checked.length} of ${deletions.length} deletions recorded the retention dates of what they removed; Cairn ` +
        'and the storage refuse to delete a snapshot before its date, so the others were checked when they ran',
    ),
    figure(
      'retention',
      'kept-past-retention',
      'Snapshots kept past their retention without a legal hold',
      table(
        ['item', 'snapshot', 'time', 'retainUntil'],
        overdue.map(({ s, retainUntil }) => [
          s.item,
          s.id,
          s.time,
          retainUntil === null ? null : new Date(retainUntil).toISOString(),
        ]),
      ),
      evidence({ snapshots: overdue.map((o) => o.s.id) }),
      overdue.length === 0
        ? 'none: every snapshot is kept by its keep rules, its retention date or a legal hold'
        : 'not kept by the keep rules, retention passed, no hold: `cairn forget --apply-policy` removes them',
    ),
    figure(
      'retention',
      'legal-holds',
      'Snapshots under legal hold at the end of the month',
      heldNow.length,
      evidence({ snapshots: heldNow.map((s) => s.id) }),
    ),
  ];
}
