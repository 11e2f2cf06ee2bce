import { CairnError } from '../errors/index.js';
import type { KeepRules, Policy } from '../policy/index.js';

/**
 * The growth model of `cairn stats` (docs/STATS.md): data written within the retention horizon stays,
 * data older than it goes. Everything here is days, as fractions; bytes are rounded only at the end.
 */

const MS_PER_DAY = 86_400_000;
const DAYS_PER_YEAR = 365; // as the policy's `y`
const DAYS_PER_MONTH = DAYS_PER_YEAR / 12;
const UNIT_DAYS: Readonly<Record<string, number>> = { d: 1, w: 7, m: DAYS_PER_MONTH, y: DAYS_PER_YEAR };
const LONGEST_DAYS = 100 * DAYS_PER_YEAR;

/** A period given on the command line: `90d`, `6w`, `12m` (months), `2y`. */
export interface Period {
  readonly text: string;
  readonly days: number;
}

/**
 * Parses `--projection` and `--window`. Unlike durations in cairn.yaml, `m` is months here (a twelfth of
 * 365 days, so 12m = 1y): sizing looks months ahead, and minutes would never be meant.
 */
export function parsePeriod(text: string, flag: string): Period {
  const m = /^([0-9]{1,6})([dwmy])$/.exec(text.trim());
  const days = m ? Number(m[1]) * UNIT_DAYS[m[2]!]! : Number.NaN;
  if (!(days >= 1 && days <= LONGEST_DAYS)) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `${flag} ${JSON.stringify(text)} is not a period: give a whole number of days (d), weeks (w), months (m) ` +
        'or years (y) from 1d to 100y, e.g. 30d, 12m, 2y',
      { [flag.replace(/^--/, '')]: text },
    );
  }
  return { text: text.trim(), days };
}

/** What decides how long an item's data stays, and how fast it grows: the --json `projection` inputs. */
export interface Horizon {
  /** The WORM floor: the longer of the tier's lock and retention class (0 without either). */
  readonly lockDays: number;
  /** How far back the tier's keep rules reach at the item's snapshot rate; null when they keep everything. */
  readonly keepDays: number | null;
  /** max(lockDays, keepDays): data older than this is expected to be forgotten and pruned; null: never. */
  readonly horizonDays: number | null;
}

/**
 * The horizon of an item under its tier. An item the policy does not name (or no policy) keeps
 * everything, as `forget --apply-policy` keeps such items.
 */
export function horizonOf(policy: Policy | undefined, tierName: string | null, gapDays: number): Horizon {
  const tier = policy && tierName !== null ? policy.tiers[tierName] : undefined;
  if (!policy || !tier) return { lockDays: 0, keepDays: null, horizonDays: null };
  const lockMs = tier.lock?.forMs ?? 0;
  const classMs = tier.retentionClass === undefined ? 0 : (policy.retentionClasses[tier.retentionClass]?.keepMs ?? 0);
  const lockDays = Math.max(lockMs, classMs) / MS_PER_DAY;
  const keep = keepDays(tier.keep, gapDays);
  return {
    lockDays,
    keepDays: Number.isFinite(keep) ? keep : null,
    horizonDays: Number.isFinite(keep) ? Math.max(lockDays, keep) : null,
  };
}

/**
 * How old the oldest snapshot the keep rules keep is, in steady state, when a snapshot comes every
 * `gap` days: N snapshots (or N periods that each hold one) span N − 1 gaps. `within D` reaches D.
 * No rule keeps everything (restic's rule, policy/retention.ts): Infinity, as does any count rule
 * when no snapshot comes at all (gap Infinity).
 */
export function keepDays(rules: KeepRules, gap: number): number {
  const spans: number[] = [];
  const count = (n: number | undefined, periodDays: number) => {
    if (n !== undefined && n > 0) spans.push(n === 1 ? 0 : (n - 1) * Math.max(periodDays, gap));
  };
  count(rules.last, 0);
  count(rules.hourly, 1 / 24);
  count(rules.daily, 1);
  count(rules.weekly, 7);
  count(rules.monthly, DAYS_PER_MONTH);
  count(rules.yearly, DAYS_PER_YEAR);
  if (rules.withinMs !== undefined && rules.withinMs > 0) spans.push(rules.withinMs / MS_PER_DAY);
  return spans.length === 0 ? Number.POSITIVE_INFINITY : Math.max(...spans);
}

/**
 * Bytes an item is expected to add over `periodDays`: churn fills the part of the horizon its
 * history does not cover yet, churnPerDay × (min(history + period, horizon) − min(history, horizon)).
 * Never negative: what is older than the horizon is freed only when forget and prune run, and how
 * much of it is churn the catalog cannot tell, so no shrinking is projected.
 */
export function growth(opts: {
  churnBytesPerDay: number;
  historyDays: number;
  periodDays: number;
  horizonDays: number | null;
}): number {
  if (opts.churnBytesPerDay <= 0 || opts.periodDays <= 0) return 0;
  const horizon = opts.horizonDays ?? Number.POSITIVE_INFINITY;
  const history = Math.max(0, opts.historyDays);
  const days = Math.min(history + opts.periodDays, horizon) - Math.min(history, horizon);
  return Math.round(opts.churnBytesPerDay * Math.max(0, days));
}

/** Days between two times, for history and churn windows. */
export function daysBetween(from: Date | string, to: Date): number {
  return (to.getTime() - new Date(from).getTime()) / MS_PER_DAY;
}
