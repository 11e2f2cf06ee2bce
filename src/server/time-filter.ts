import { CairnError } from '../errors/index.js';

/**
 * Times in query strings, with the CLI's meaning (`cairn snapshots --since/--until`): `since` is
 * "at or after"; `until` is "at or before", so it becomes the next millisecond, or the next day's
 * midnight for a bare date, because the catalog's upper bound is exclusive.
 */
export function parseQueryTime(value: string, field: string, inclusiveEnd = false): Date {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const d = dateOnly ? new Date(`${value}T00:00:00.000Z`) : new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new CairnError('CAIRN_E_USAGE', `${field}: ${value} is not a date or time (ISO 8601, e.g. 2026-11-29)`, {
      field,
    });
  return inclusiveEnd ? new Date(d.getTime() + (dateOnly ? 86_400_000 : 1)) : d;
}
