import type { DrillGapFound, SnapshotRecord, VerificationRecord } from '../../catalog/index.js';
import { formatDuration, type Policy } from '../../policy/index.js';

/**
 * RTO and RPO of a drill (docs/DRILLS.md, "What is measured").
 *
 * - RTO: from the drill's start until its last validator finished (restore + validation).
 * - RPO of an item: from the drill's start back to the time of the restored state. That time is the
 *   newest of the snapshot's own time and the times of its verifications: a verification records that
 *   the live state was still the same later, so the restored state was current then.
 * Each is compared with the item's tier (`rto`, `rpo`); the drill's SLA is the strictest among its items.
 */

export function stateTime(snapshot: SnapshotRecord, verifications: readonly VerificationRecord[]): string {
  let newest = snapshot.time;
  for (const v of verifications) if (v.time > newest) newest = v.time;
  return newest;
}

export interface ItemSla {
  readonly item: string;
  readonly tier: string | null;
  readonly rpoSlaMs: number | null;
  readonly rtoSlaMs: number | null;
}

export function itemSla(policy: Policy, item: string): ItemSla {
  const it = policy.items.find((i) => i.name === item);
  const tier = it ? policy.tiers[it.tier] : undefined;
  return {
    item,
    tier: it?.tier ?? null,
    rpoSlaMs: tier?.rpoMs ?? null,
    rtoSlaMs: tier?.rtoMs ?? null,
  };
}

function strictest(values: ReadonlyArray<number | null>): number | null {
  const set = values.filter((v): v is number => v !== null);
  return set.length > 0 ? Math.min(...set) : null;
}

export interface Measured {
  readonly rtoSlaMs: number | null;
  readonly rpoSlaMs: number | null;
  readonly rpoMs: number | null;
  /** null when no item has an rto or rpo to compare with. */
  readonly withinSla: boolean | null;
  readonly gaps: DrillGapFound[];
}

/** The drill's figures against the SLAs; a breach is a gap of each item whose own SLA it breaks. */
export function measure(
  rtoMs: number,
  items: ReadonlyArray<ItemSla & { rpoMs: number | null }>,
  complete: boolean,
): Measured {
  const gaps: DrillGapFound[] = [];
  const rtoSlaMs = strictest(items.map((i) => i.rtoSlaMs));
  const rpoSlaMs = strictest(items.map((i) => i.rpoSlaMs));
  const rpos = items.map((i) => i.rpoMs).filter((v): v is number => v !== null);
  const rpoMs = rpos.length > 0 ? Math.max(...rpos) : null;
  let compared = false;
  let within = true;
  for (const i of items) {
    if (i.rtoSlaMs !== null && complete) {
      compared = true;
      if (rtoMs > i.rtoSlaMs) {
        within = false;
        gaps.push({
          item: i.item,
          category: 'rto-breach',
          key: 'rto',
          message: `restored and validated in ${formatDuration(rtoMs)}, over the RTO of tier ${i.tier} (${formatDuration(i.rtoSlaMs)})`,
        });
      }
    }
    if (i.rpoSlaMs !== null && i.rpoMs !== null) {
      compared = true;
      if (i.rpoMs > i.rpoSlaMs) {
        within = false;
        gaps.push({
          item: i.item,
          category: 'rpo-breach',
          key: 'rpo',
          message: `the restored state is ${formatDuration(i.rpoMs)} old, over the RPO of tier ${i.tier} (${formatDuration(i.rpoSlaMs)})`,
        });
      }
    }
  }
  return { rtoSlaMs, rpoSlaMs, rpoMs, withinSla: compared ? within : null, gaps };
}
