/**
 * Rows per INSERT and ids per IN list. Far below both dialects' bound-parameter limits (SQLite
 * 32766, PostgreSQL 65535) even for the widest table, and small enough to keep statements cheap.
 */
export const batchSize = 500;

export function* batches<T>(values: readonly T[], size = batchSize): Generator<T[]> {
  for (let start = 0; start < values.length; start += size) yield values.slice(start, start + size);
}
