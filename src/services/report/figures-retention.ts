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

/** A snapshot a deletion event itemised: `details.removed[{ id, item, time, retainUntil, tier }]` (services/forget.ts). */
interface Removal {
  readonly id: string;
  readonly retainUntil: string | null;
}

/** What the event itemised with retention dates (retainUntil null: the snapshot had none). */
function itemised(e: ReportEventRow): Removal[] {
  const removed = e.details.removed;
  if (!Array.isArray(removed)) return [];
  return removed
    .filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null && 'retainUntil' in r)
    .map((r) => ({ id: str(r.id) ?? '', retainUntil: str(r.retainUntil) }))
    .filter((r) => /^[0-9a-f]{64}$/.test(r.id));
}

/** How many snapshots the event removed: removedCount, else the ids it names. */
function removedCount(e: ReportEventRow): number | null {
  const n = e.details.removedCount;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return n;
  const ids = snapshotIdsOf(e.details, e.target);
  return ids.length > 0 ? ids.length : null;
}

function early(e: ReportEventRow): Removal[] {
  return itemised(e).filter((r) => r.retainUntil !== null && Date.parse(r.retainUntil) > Date.parse(e.time));
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
  const earlyBy = deletions.map((e) => ({ e, early: early(e) })).filter((x) => x.early.length > 0);
  const removedTotal = deletions.reduce((n, e) => n + (removedCount(e) ?? 0), 0);
  const itemisedTotal = deletions.reduce((n, e) => n + itemised(e).length, 0);
  const unknown = deletions.filter((e) => removedCount(e) === null).length;
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
        deletions.map((e) => [e.seq, e.time, e.identity, e.action, deletionKind(e), e.approvalId, removedCount(e)]),
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
      earlyBy.reduce((n, x) => n + x.early.length, 0),
      evidence({ events: earlyBy.map((x) => x.e.seq), snapshots: earlyBy.flatMap((x) => x.early.map((r) => r.id)) }),
      `checked against the retention date each deletion recorded for what it removed: ${itemisedTotal} of ` +
        `${removedTotal} removed snapshots itemised` +
        (unknown > 0 ? `, and ${unknown} deletions did not record what they removed` : '') +
        '; Cairn and the storage refuse to delete a snapshot before its date in any case',
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
