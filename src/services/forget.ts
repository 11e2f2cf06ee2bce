import type { Catalog, SnapshotRecord } from '../catalog/index.js';
import { CairnError, isCairnError } from '../errors/index.js';
import { applyKeepRules, type Policy } from '../policy/index.js';
import type { Repository } from '../repo/index.js';
import { type HoldRecord, readHolds } from './hold.js';

export interface ForgetDecision {
  readonly id: string;
  readonly item: string;
  readonly time: string;
  readonly action: 'keep' | 'remove' | 'retained';
  readonly reasons: readonly string[];
  readonly retainUntil?: string;
  /** The snapshot's tier (removals: recorded in the audit event, docs/REPORTS.md). */
  readonly tier?: string | null;
  /** The legal hold that keeps it (`cairn hold remove` lifts it). */
  readonly hold?: HoldRecord;
}

export interface ForgetResult {
  readonly dryRun: boolean;
  readonly decisions: readonly ForgetDecision[];
  readonly removed: number;
  readonly retained: number;
}

/**
 * A snapshot may be removed only when nothing retains it: its own WORM date, and the dates of the
 * verifications that lean on it (a release verified later must stay restorable as long as they live).
 */
async function effectiveRetention(catalog: Catalog, s: SnapshotRecord): Promise<string | null> {
  const dates = [s.retainUntil, ...(await catalog.verificationsOf(s.id)).map((v) => retentionOfVerification(v, s))];
  return (
    dates
      .filter((d): d is string => !!d)
      .sort()
      .at(-1) ?? null
  );
}

function retentionOfVerification(v: { time: string }, s: SnapshotRecord): string | null {
  // A verification is retained as long as its snapshot's tier asks, counted from its own time.
  if (!s.retainUntil) return null;
  const span = Date.parse(s.retainUntil) - Date.parse(s.time);
  return new Date(Date.parse(v.time) + span).toISOString();
}

function describeHold(h: HoldRecord): string {
  return `legal hold since ${h.time} by ${h.actor}${h.reason ? ` (${h.reason})` : ''}`;
}

/** `cairn forget --apply-policy`: each tier's keep rules per item; WORM retention and legal holds always win. */
export async function forgetByPolicy(
  repo: Repository,
  catalog: Catalog,
  policy: Policy,
  opts: { dryRun?: boolean; items?: readonly string[]; now?: Date },
): Promise<ForgetResult> {
  const now = opts.now ?? new Date();
  const decisions: ForgetDecision[] = [];
  const all = await catalog.findSnapshots(opts.items?.length ? { item: opts.items } : {});
  const holds = await readHolds(repo);
  const byItem = new Map<string, SnapshotRecord[]>();
  for (const s of all) byItem.set(s.item, [...(byItem.get(s.item) ?? []), s]);
  for (const [item, snaps] of byItem) {
    const def = policy.items.find((i) => i.name === item);
    const tier = def ? policy.tiers[def.tier] : undefined;
    if (!def || !tier) {
      for (const s of snaps)
        decisions.push({ id: s.id, item, time: s.time, action: 'keep', reasons: ['item not in the policy: kept'] });
      continue;
    }
    const plan = applyKeepRules(
      snaps.map((s) => ({ id: s.id, time: new Date(s.time) })),
      tier.keep,
      now,
    );
    const reasons = new Map(plan.keep.map((k) => [k.id, k.reasons]));
    for (const s of snaps) {
      const keep = reasons.get(s.id);
      if (keep) {
        decisions.push({ id: s.id, item, time: s.time, action: 'keep', reasons: keep });
        continue;
      }
      const until = await effectiveRetention(catalog, s);
      const hold = holds.get(s.id);
      if (hold) {
        decisions.push({
          id: s.id,
          item,
          time: s.time,
          action: 'retained',
          reasons: [describeHold(hold)],
          ...(until && Date.parse(until) > now.getTime() ? { retainUntil: until } : {}),
          hold,
        });
      } else if (until && Date.parse(until) > now.getTime()) {
        decisions.push({
          id: s.id,
          item,
          time: s.time,
          action: 'retained',
          reasons: [`retained until ${until}`],
          retainUntil: until,
        });
      } else
        decisions.push({
          id: s.id,
          item,
          time: s.time,
          action: 'remove',
          reasons: [`not kept by tier ${tier.name} rules`],
          ...(until ? { retainUntil: until } : {}),
          tier: s.tier,
        });
    }
  }
  const toRemove = decisions.filter((d) => d.action === 'remove');
  if (!opts.dryRun && toRemove.length > 0) {
    const lock = await repo.lock(true, 'forget');
    try {
      for (const d of toRemove) await removeSnapshot(repo, catalog, d.id);
    } finally {
      await lock.release();
    }
  }
  return {
    dryRun: opts.dryRun ?? false,
    decisions,
    removed: toRemove.length,
    retained: decisions.filter((d) => d.action === 'retained').length,
  };
}

/** `cairn forget ID…`: refused while held (naming the hold) or retained (with the date). */
export async function forgetSnapshots(
  repo: Repository,
  catalog: Catalog,
  ids: readonly string[],
  opts: { dryRun?: boolean; now?: Date },
): Promise<ForgetResult> {
  const now = opts.now ?? new Date();
  const decisions: ForgetDecision[] = [];
  const holds = await readHolds(repo);
  for (const id of ids) {
    const s = await catalog.getSnapshot(id);
    if (!s) throw new CairnError('CAIRN_E_NOT_FOUND', `no snapshot ${id}`);
    const hold = holds.get(s.id);
    if (hold) {
      throw new CairnError(
        'CAIRN_E_RETAINED',
        `snapshot ${s.id.slice(0, 12)} (${s.item}) is under ${describeHold(hold)}; it cannot be forgotten ` +
          `until the hold is lifted with \`cairn hold remove ${s.id.slice(0, 12)}\``,
        { id: s.id, hold },
      );
    }
    const until = await effectiveRetention(catalog, s);
    if (until && Date.parse(until) > now.getTime()) {
      throw new CairnError(
        'CAIRN_E_RETAINED',
        `snapshot ${s.id.slice(0, 12)} (${s.item}) is retained until ${until}; it cannot be forgotten before then`,
        { id: s.id, retainUntil: until },
      );
    }
    decisions.push({
      id: s.id,
      item: s.item,
      time: s.time,
      action: 'remove',
      reasons: ['named on the command line'],
      ...(until ? { retainUntil: until } : {}),
      tier: s.tier,
    });
  }
  if (!opts.dryRun) {
    const lock = await repo.lock(true, 'forget');
    try {
      for (const d of decisions) await removeSnapshot(repo, catalog, d.id);
    } finally {
      await lock.release();
    }
  }
  return { dryRun: opts.dryRun ?? false, decisions, removed: decisions.length, retained: 0 };
}

/** Audit details of removals are kept under this many bytes (the log keeps 8 KiB per event). */
const REMOVED_BUDGET = 5000;

/**
 * What a forget that ran removed, for its audit event (the monthly report's retention figures,
 * docs/REPORTS.md): `removed: [{ id, item, time, retainUntil, tier }]` (retainUntil: the effective
 * retention date that had passed, null when there was none), `removedCount`, and when the list
 * would pass ~5 KB, the first ones and `removedOmitted` (how many are not itemised). {} for a dry run.
 */
export function removalAuditDetails(r: ForgetResult): Record<string, unknown> {
  if (r.dryRun) return {};
  const all = r.decisions.filter((d) => d.action === 'remove');
  if (all.length === 0) return {};
  const removed: Array<Record<string, unknown>> = [];
  let bytes = 0;
  for (const d of all) {
    const entry = { id: d.id, item: d.item, time: d.time, retainUntil: d.retainUntil ?? null, tier: d.tier ?? null };
    bytes += Buffer.byteLength(JSON.stringify(entry)) + 1;
    if (bytes > REMOVED_BUDGET) break;
    removed.push(entry);
  }
  return {
    removed,
    removedCount: all.length,
    ...(removed.length < all.length ? { removedOmitted: all.length - removed.length } : {}),
  };
}

/** The snapshot object first (the commit point), then what leaned on it, then the catalog rows. */
async function removeSnapshot(repo: Repository, catalog: Catalog, id: string): Promise<void> {
  await repo.storage.delete(`snapshots/${id}`);
  for (const v of await catalog.verificationsOf(id)) {
    await repo.storage.delete(`verifications/${v.id}`).catch((err: unknown) => {
      if (!isCairnError(err, 'CAIRN_E_NOT_FOUND') && !isCairnError(err, 'CAIRN_E_RETAINED')) throw err;
    });
  }
  await catalog.deleteSnapshot(id);
}
