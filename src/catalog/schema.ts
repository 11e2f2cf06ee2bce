import type { ColumnType } from 'kysely';
import type { AccessTables } from './schema-access.js';
import type { AuditTables } from './schema-audit.js';

/**
 * The catalog's tables as Kysely sees them. Column names are snake_case; rows.ts maps them to the
 * records in types.ts. Conventions that keep both dialects identical:
 * - times are ISO-8601 UTC text with milliseconds (see migrations/0001-initial.ts for why);
 * - JSON is text written with JSON.stringify, never a json/jsonb column;
 * - booleans, when a table needs one, are integers 0/1 (better-sqlite3 cannot bind a boolean);
 * - byte counts are bigint, which pg returns as a string: read them through Number().
 */

/** A bigint column: written as a number, read as a number (SQLite) or a decimal string (pg). */
export type Int8 = ColumnType<number | string, number, number>;

export interface RunColumns {
  item: string;
  environment: string | null;
  tier: string | null;
  component: string | null;
  trigger: string;
  release: string | null;
  commit: string | null;
  change: string | null;
  deployment: string | null;
  pipeline: string | null;
  actor: string;
  host: string;
  time: string;
}

export interface SnapshotsTable extends RunColumns {
  id: string;
  parent: string | null;
  tree: string;
  content_hash: string;
  status: string;
  files: number;
  bytes: Int8;
  added_bytes: Int8;
  retain_until: string | null;
  unreadable: string;
}

export interface VerificationsTable extends RunColumns {
  id: string;
  snapshot_id: string;
}

export interface ItemsTable {
  name: string;
  owner: string;
  tier: string;
  environment: string | null;
  component: string | null;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface CatalogDatabase extends AuditTables, AccessTables {
  snapshots: SnapshotsTable;
  verifications: VerificationsTable;
  items: ItemsTable;
  meta: MetaTable;
}
