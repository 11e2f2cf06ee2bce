import type { SnapshotFilter, Trigger } from '../catalog/index.js';
import { CairnError } from '../errors/index.js';

/** Why a snapshot was taken: the values of --trigger and of the API's `trigger`. */
export const TRIGGERS = Object.freeze([
  'pre-deploy',
  'post-deploy',
  'scheduled',
  'manual',
  'rollback',
] as const) satisfies readonly Trigger[];

/**
 * A snapshot search as people write it, on the command line (`cairn snapshots --env prod --since …`)
 * and in the API's query string (`?env=prod&since=…`): the one mapping to the catalog's filter, so
 * the CLI and the server read every criterion the same way.
 */
export interface SearchOptions {
  readonly item?: readonly string[] | undefined;
  readonly env?: string | undefined;
  readonly tier?: string | undefined;
  readonly release?: string | undefined;
  readonly commit?: string | undefined;
  readonly change?: string | undefined;
  readonly deployment?: string | undefined;
  readonly trigger?: Trigger | undefined;
  readonly actor?: string | undefined;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly limit?: number | undefined;
}

/** `name(field)` names a field in errors: `--since` on the command line, `querystring.since` in the API. */
export function searchFilter(o: SearchOptions, name: (field: string) => string): SnapshotFilter {
  return {
    ...(o.item ? { item: o.item } : {}),
    ...(o.env ? { environment: o.env } : {}),
    ...(o.tier ? { tier: o.tier } : {}),
    ...(o.release ? { release: o.release } : {}),
    ...(o.commit ? { commit: o.commit } : {}),
    ...(o.change ? { change: o.change } : {}),
    ...(o.deployment ? { deployment: o.deployment } : {}),
    ...(o.trigger ? { trigger: o.trigger } : {}),
    ...(o.actor ? { actor: o.actor } : {}),
    ...(o.since ? { since: parseSearchTime(o.since, name('since')) } : {}),
    ...(o.until ? { until: parseSearchTime(o.until, name('until'), true) } : {}),
    ...(o.limit ? { limit: o.limit } : {}),
  };
}

/**
 * A time for "since", or for "until" with `inclusiveEnd`: "at or before" for people, while the
 * catalog's upper bound is exclusive, so it becomes the next millisecond (times are kept to the
 * millisecond), or the next day's midnight for a bare date.
 */
export function parseSearchTime(value: string, field: string, inclusiveEnd = false): Date {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const d = dateOnly ? new Date(`${value}T00:00:00.000Z`) : new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new CairnError(
      'CAIRN_E_USAGE',
      `${field} ${value} is not a date or time (use ISO 8601, e.g. 2026-11-29 or 2026-11-29T08:00:00Z)`,
      { field },
    );
  return inclusiveEnd ? new Date(d.getTime() + (dateOnly ? 86_400_000 : 1)) : d;
}
