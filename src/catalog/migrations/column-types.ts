import { type Expression, sql } from 'kysely';

export type CatalogDialect = 'sqlite' | 'postgres';

/**
 * Text compared byte-wise on both dialects. SQLite's default collation is BINARY; PostgreSQL's
 * follows the database locale (en_US.UTF-8 orders 'a-b' and 'ab' unlike memcmp), which would make
 * ORDER BY and the range scans used for prefix lookups differ between the two. "C" is memcmp.
 */
export function textType(dialect: CatalogDialect): Expression<unknown> {
  return dialect === 'postgres' ? sql`text collate "C"` : sql`text`;
}
