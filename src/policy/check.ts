/**
 * Checks that need the whole document: references between sections, duplicates, dates against "today",
 * audit retention against backup retention. They read the raw parsed YAML defensively (any part may be
 * malformed; zod reports that separately), so one `policy check` run reports every problem at once.
 */
import { checkDrills } from './check-drills.js';
import { checkReleaseReferences } from './check-release.js';
import { checkTargets } from './check-targets.js';
import { formatDuration, parseDuration } from './durations.js';
import type { PositionIndex } from './positions.js';
import { formatPath } from './positions.js';
import { closest, didYouMean } from './suggest.js';
import type { PolicyIssue } from './types.js';

const DAY_MS = 86_400_000;
/** Exceptions expiring within this many days are reported as warnings, so renewals are not a surprise. */
export const EXPIRY_WARNING_DAYS = 30;
const ENVIRONMENT_KEYS = ['maintenanceWindows', 'autoRollback', 'driftSchedule'];

type Raw = Record<string, unknown>;

export interface CheckContext {
  readonly file: string;
  readonly positions: PositionIndex;
  readonly now: Date;
  readonly expiredExceptions: 'error' | 'warning';
}

export function checkReferences(data: unknown, ctx: CheckContext): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const report = (severity: PolicyIssue['severity'], path: PropertyKey[], message: string, key = false) => {
    const { line, column } = ctx.positions.locate(path, { key });
    issues.push({ severity, file: ctx.file, line, column, field: formatPath(path), message });
  };
  const root = record(data);
  if (!root) return issues;
  const governance = record(root.governance);
  const classes = record(governance?.retentionClasses);
  const tiers = record(root.tiers);
  const environments = record(root.environments);

  for (const [name, tier] of Object.entries(tiers ?? {})) {
    const cls = record(tier)?.retentionClass;
    if (typeof cls === 'string' && !(classes && Object.hasOwn(classes, cls))) {
      const known = Object.keys(classes ?? {});
      const list = known.length > 0 ? `; defined: ${known.join(', ')}` : '; governance.retentionClasses defines none';
      report(
        'error',
        ['tiers', name, 'retentionClass'],
        `unknown retention class "${cls}"${didYouMean(cls, known)}${list}`,
      );
    } else if (record(tier) && cls === undefined) {
      report('warning', ['tiers', name], `tier ${name} has no retentionClass (C1.4: each tier maps to one)`);
    }
  }

  for (const [name, env] of Object.entries(environments ?? {})) {
    for (const key of Object.keys(record(env) ?? {})) {
      const near = ENVIRONMENT_KEYS.includes(key) ? undefined : closest(key, ENVIRONMENT_KEYS);
      if (near) report('warning', ['environments', name, key], `unknown key "${key}" (did you mean "${near}"?)`, true);
    }
  }

  const items = Array.isArray(root.items) ? root.items : [];
  if (items.length === 0) report('warning', ['items'], 'no items: nothing will be backed up');
  const seen = new Map<string, number>();
  items.forEach((value, i) => {
    const item = record(value);
    if (!item) return;
    const label = typeof item.name === 'string' ? `item "${item.name}"` : `items[${i}]`;
    if (typeof item.name === 'string') {
      const first = seen.get(item.name);
      if (first !== undefined) {
        const { line } = ctx.positions.locate(['items', first, 'name']);
        report('error', ['items', i, 'name'], `duplicate item name "${item.name}" (first declared on line ${line})`);
      } else seen.set(item.name, i);
    }
    const tier = item.tier;
    if ((typeof tier === 'string' || typeof tier === 'number') && tiers && !Object.hasOwn(tiers, String(tier))) {
      const known = Object.keys(tiers);
      report(
        'error',
        ['items', i, 'tier'],
        `${label}: unknown tier "${tier}"${didYouMean(String(tier), known)}; defined: ${known.join(', ') || 'none'}`,
      );
    } else if ((typeof tier === 'string' || typeof tier === 'number') && !tiers) {
      report('error', ['items', i, 'tier'], `${label}: unknown tier "${tier}"; the policy defines no tiers`);
    }
    const env = item.environment;
    if (env === undefined) {
      report(
        'warning',
        ['items', i],
        `${label} has no environment; it will not count toward any environment's coverage`,
      );
    } else if (typeof env === 'string' && environments && !Object.hasOwn(environments, env)) {
      const known = Object.keys(environments);
      report(
        'error',
        ['items', i, 'environment'],
        `${label}: unknown environment "${env}"${didYouMean(env, known)}; defined: ${known.join(', ')}`,
      );
    }
  });

  checkReleaseReferences(root, report, (path) => ctx.positions.locate(path).line);
  checkDrills(root, report, ctx.file, (path) => ctx.positions.locate(path).line);
  for (const [severity, path, message] of checkTargets(root)) report(severity, path, message);

  const today = utcDay(ctx.now);
  const exceptions = Array.isArray(root.exceptions) ? root.exceptions : [];
  exceptions.forEach((value, i) => {
    const ex = record(value);
    if (!ex || typeof ex.expires !== 'string') return;
    const expires = Date.parse(`${ex.expires}T00:00:00Z`);
    if (Number.isNaN(expires)) return;
    const who = `exception for ${typeof ex.item === 'string' ? ex.item : '?'} (ticket ${typeof ex.ticket === 'string' ? ex.ticket : '?'})`;
    // The expiry date is the last valid day: an exception expiring today is still valid today.
    if (expires < today) report(ctx.expiredExceptions, ['exceptions', i, 'expires'], `${who} expired on ${ex.expires}`);
    else if (expires - today <= EXPIRY_WARNING_DAYS * DAY_MS) {
      const days = Math.round((expires - today) / DAY_MS);
      report('warning', ['exceptions', i, 'expires'], `${who} expires on ${ex.expires}, in ${days} day(s)`);
    }
  });

  const auditRetention = stringOf(record(governance?.audit)?.retention);
  const auditMs = auditRetention === undefined ? undefined : parseDuration(auditRetention);
  if (auditMs !== undefined) {
    const longest = longestRetention(classes, tiers);
    // C6.6 asks for audit retention *longer* than any backup retention: equal is not enough, because the
    // audit events about a snapshot (its deletion above all) happen after the snapshot was written.
    if (longest && auditMs <= longest.ms) {
      report(
        'error',
        ['governance', 'audit', 'retention'],
        `audit retention ${auditRetention} must be longer than the longest backup retention, ` +
          `${formatDuration(longest.ms)} (${longest.what}) (C6.6)`,
      );
    }
  }
  return issues;
}

function longestRetention(classes: Raw | undefined, tiers: Raw | undefined): { ms: number; what: string } | undefined {
  let best: { ms: number; what: string } | undefined;
  const consider = (text: unknown, what: string) => {
    const ms = typeof text === 'string' ? parseDuration(text) : undefined;
    if (ms !== undefined && (!best || ms > best.ms)) best = { ms, what };
  };
  for (const [name, cls] of Object.entries(classes ?? {})) consider(record(cls)?.keep, `retention class ${name}`);
  for (const [name, tier] of Object.entries(tiers ?? {}))
    consider(record(record(tier)?.lock)?.for, `tier ${name} lock`);
  return best;
}

function utcDay(now: Date): number {
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
}

function record(value: unknown): Raw | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Raw) : undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
