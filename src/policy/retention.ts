/**
 * Retention arithmetic (C4.3, C2.2): how long a snapshot must be kept, and which snapshots keep rules
 * keep. `applyKeepRules` follows restic `forget` (0.17) so operators' intuition carries over:
 * - last N: the N newest snapshots;
 * - hourly/daily/weekly/monthly/yearly N: walking from newest to oldest, the first (newest) snapshot of
 *   each period, for the N newest periods that have a snapshot (UTC; weeks are ISO weeks);
 * - within D: every snapshot newer than D before the newest snapshot (restic's reference point: if
 *   backups stop, the last ones are not all aged out); never later than `now`, so clock skew cannot shrink it;
 * - when a period rule asks for more periods than exist, the oldest snapshot is kept too ("oldest daily
 *   snapshot"), which keeps the longest history the rule allows;
 * - no rule at all keeps everything: an empty `keep:` must never mean "delete all".
 */
import { CairnError } from '../errors/index.js';
import { formatDuration } from './durations.js';
import type { KeepRules, Policy } from './types.js';

/**
 * The earliest time a snapshot taken at `time` may be deleted: the longer of the tier's WORM lock and its
 * retention class; null when the tier has neither (keep rules alone decide).
 */
export function retainUntil(policy: Policy, tierName: string, time: Date): Date | null {
  const tier = policy.tiers[tierName];
  if (!tier) {
    // Guessing "no retention" for an unknown tier could delete what a regulator requires us to keep.
    throw new CairnError('CAIRN_E_POLICY_INVALID', `unknown tier "${tierName}" in ${policy.file}`, { tier: tierName });
  }
  const lockMs = tier.lock?.forMs;
  const classMs = tier.retentionClass === undefined ? undefined : policy.retentionClasses[tier.retentionClass]?.keepMs;
  if (lockMs === undefined && classMs === undefined) return null;
  return new Date(time.getTime() + Math.max(lockMs ?? 0, classMs ?? 0));
}

export interface SnapshotRef {
  readonly id: string;
  readonly time: Date;
}

export interface KeepDecision {
  readonly keep: { id: string; reasons: string[] }[];
  readonly remove: { id: string }[];
}

type PeriodRule = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';

const PERIODS: readonly { rule: PeriodRule; key: (t: Date) => string }[] = [
  { rule: 'hourly', key: (t) => t.toISOString().slice(0, 13) },
  { rule: 'daily', key: (t) => t.toISOString().slice(0, 10) },
  { rule: 'weekly', key: isoWeek },
  { rule: 'monthly', key: (t) => t.toISOString().slice(0, 7) },
  { rule: 'yearly', key: (t) => String(t.getUTCFullYear()) },
];

/** Decides which snapshots the rules keep; both lists are newest first. */
export function applyKeepRules(snapshots: readonly SnapshotRef[], rules: KeepRules, now: Date): KeepDecision {
  // Newest first; equal times ordered by id so the result never depends on input order.
  const list = [...snapshots].sort((a, b) => b.time.getTime() - a.time.getTime() || (a.id < b.id ? -1 : 1));
  const buckets = [
    { reason: 'last snapshot', left: rules.last ?? 0, key: (_t: Date, i: number) => String(i) },
    ...PERIODS.map((p) => ({ reason: `${p.rule} snapshot`, left: rules[p.rule] ?? 0, key: p.key })),
  ].map((b) => ({ ...b, previous: undefined as string | undefined }));
  const withinMs = rules.withinMs ?? 0;
  const empty = withinMs <= 0 && buckets.every((b) => b.left <= 0);

  const newest = list[0]?.time.getTime() ?? now.getTime();
  const withinFrom = Math.min(newest, now.getTime()) - withinMs;
  const keep: { id: string; reasons: string[] }[] = [];
  const remove: { id: string }[] = [];
  list.forEach((snap, i) => {
    if (empty) {
      keep.push({ id: snap.id, reasons: ['no keep rules'] });
      return;
    }
    const reasons: string[] = [];
    if (withinMs > 0 && snap.time.getTime() > withinFrom) reasons.push(`within ${formatDuration(withinMs)}`);
    const oldest = i === list.length - 1;
    for (const b of buckets) {
      if (b.left <= 0) continue;
      const key = b.key(snap.time, i);
      if (key !== b.previous || oldest) {
        reasons.push(key === b.previous ? `oldest ${b.reason}` : b.reason);
        b.previous = key;
        b.left--;
      }
    }
    if (reasons.length > 0) keep.push({ id: snap.id, reasons });
    else remove.push({ id: snap.id });
  });
  return { keep, remove };
}

/** ISO 8601 week of a UTC time as `YYYY-Www`: weeks start on Monday; week 1 holds the year's first Thursday. */
export function isoWeek(t: Date): string {
  const day = (t.getUTCDay() + 6) % 7; // Monday = 0
  const thursday = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate() - day + 3));
  const year = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000));
  return `${year}-W${String(week).padStart(2, '0')}`;
}
