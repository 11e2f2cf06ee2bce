import type { Kysely, Selectable } from 'kysely';
import { CairnError } from '../errors/index.js';
import { prefixRange } from './run-criteria.js';

const shortestPrefix = 6;
const shownCandidates = 10;

/**
 * Looks a record up by its full id or a unique prefix of it (at least 6 characters, e.g. `dr-4f1a`), as
 * getSnapshot does for snapshots: `rows(from, to, limit)` returns the rows whose id is in [from, to),
 * by id. Undefined when none; CAIRN_E_AMBIGUOUS naming the candidates when several.
 */
export async function byIdOrPrefix<R extends { id: string }>(
  what: string,
  idOrPrefix: string,
  rows: (from: string, to: string, limit: number) => Promise<R[]>,
): Promise<R | undefined> {
  const prefix = idOrPrefix.trim().toLowerCase();
  if (!/^[a-z0-9-]+$/.test(prefix) || prefix.length < shortestPrefix || prefix.length > 64) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `${JSON.stringify(idOrPrefix)} is not ${/^[aeiou]/i.test(what) ? 'an' : 'a'} ${what} id: give the id or at least its first ${shortestPrefix} characters`,
      { id: idOrPrefix },
    );
  }
  const [from, to] = prefixRange(prefix);
  const found = await rows(from, to, shownCandidates + 1);
  const [first, ...others] = found;
  if (first === undefined) return undefined;
  if (others.length === 0 || first.id === prefix) return first;
  const candidates = found.slice(0, shownCandidates).map((row) => row.id);
  const more = found.length > shownCandidates ? ' and more' : '';
  throw new CairnError(
    'CAIRN_E_AMBIGUOUS',
    `${what} prefix ${prefix} matches several ${what}s: ${candidates.join(', ')}${more}; give more characters`,
    { prefix, candidates },
  );
}

/**
 * byIdOrPrefix over a catalog table keyed by a text `id` (alerts, drills): the table's row with that
 * id, or the one row whose id starts with the prefix.
 */
export async function rowByIdOrPrefix<DB, T extends keyof DB & string>(
  db: Kysely<DB>,
  table: T,
  what: string,
  idOrPrefix: string,
): Promise<Selectable<DB[T]> | undefined> {
  type Row = Selectable<DB[T]> & { id: string };
  const keyed = db as unknown as Kysely<{ [table: string]: { id: string } }>;
  const name: string = table;
  return byIdOrPrefix<Row>(
    what,
    idOrPrefix,
    (from, to, limit) =>
      keyed
        .selectFrom(name)
        .selectAll()
        .where('id', '>=', from)
        .where('id', '<', to)
        .orderBy('id')
        .limit(limit)
        .execute() as Promise<unknown[]> as Promise<Row[]>,
  );
}

/** A Date for a since/until filter, as ISO text; CAIRN_E_USAGE when it is not a valid time. */
export function isoDate(value: Date, what: string): string {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new CairnError('CAIRN_E_USAGE', `${what} is not a valid time`, { [what]: String(value) });
  }
  return value.toISOString();
}

export function checkedLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new CairnError('CAIRN_E_USAGE', `limit must be a positive whole number, not ${limit}`, { limit });
  }
  return limit;
}

/** A bigint column as pg (decimal string) or SQLite (number) returns it. */
export const num = (v: number | string | null): number | null => (v === null ? null : Number(v));
