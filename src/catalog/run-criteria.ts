import { CairnError } from '../errors/index.js';
import type { SnapshotFilter } from './types.js';

/**
 * The part of a search that describes a run (a snapshot or a verification): where, under which
 * release, commit, change and deployment, by what trigger and whom, and when. A snapshot matches
 * when its own run meets every criterion, or when one of its verifications does (C3.4); criteria
 * are never split across runs, so `--env prod --release 2.4.1` needs one run that was both.
 */

export type RunColumn = 'environment' | 'release' | 'commit' | 'change' | 'deployment' | 'trigger' | 'actor' | 'time';

export interface RunCriterion {
  readonly column: RunColumn;
  readonly op: '=' | '>=' | '<';
  readonly value: string;
}

export function runCriteria(filter: SnapshotFilter): RunCriterion[] {
  const criteria: RunCriterion[] = [];
  const equal = (column: RunColumn, value: string | undefined) => {
    if (value !== undefined) criteria.push({ column, op: '=', value });
  };
  equal('environment', filter.environment);
  equal('release', filter.release);
  equal('change', filter.change);
  equal('deployment', filter.deployment);
  equal('trigger', filter.trigger);
  equal('actor', filter.actor);
  if (filter.commit !== undefined) {
    const [from, to] = prefixRange(commitPrefix(filter.commit));
    criteria.push({ column: 'commit', op: '>=', value: from }, { column: 'commit', op: '<', value: to });
  }
  if (filter.since !== undefined) criteria.push({ column: 'time', op: '>=', value: isoDate(filter.since, 'since') });
  if (filter.until !== undefined) criteria.push({ column: 'time', op: '<', value: isoDate(filter.until, 'until') });
  return criteria;
}

/**
 * [from, to) holding exactly the strings that start with prefix, under byte-wise order: an index
 * range scan on both dialects, where LIKE would be case-insensitive on SQLite only and unindexed on
 * a PostgreSQL text column with a non-C collation. prefix must be printable ASCII.
 */
export function prefixRange(prefix: string): [string, string] {
  const last = prefix.charCodeAt(prefix.length - 1);
  return [prefix, prefix.slice(0, -1) + String.fromCharCode(last + 1)];
}

function commitPrefix(value: string): string {
  if (!/^[\x21-\x7e]{4,}$/.test(value)) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `commit ${JSON.stringify(value)} is too short or not a commit id: give at least 4 characters of the hash`,
      { commit: value },
    );
  }
  return value;
}

function isoDate(value: Date, what: string): string {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new CairnError('CAIRN_E_USAGE', `${what} is not a valid time`, { [what]: String(value) });
  }
  return value.toISOString();
}
