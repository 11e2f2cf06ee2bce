/**
 * The catalog: a database (SQLite on one machine, PostgreSQL when several servers share it) that
 * indexes the repository so that snapshots can be searched by item, environment, release, commit,
 * change, deployment and time, and that holds the state of items and catalog-local settings.
 *
 * It is an index, never the record: every snapshot and verification row is derived from repository
 * objects and can be thrown away and rebuilt from them (`replaceAll`, behind `cairn catalog rebuild`).
 * It must never be the only copy of anything a restore, an audit or a rebuild needs: write the
 * repository object first, then the row. It does not read or write the repository itself, and the
 * same queries run on both databases, so a feature never works on one and not the other.
 */

export type * from './access-types.js';
export type * from './audit-types.js';
export type { CatalogOptions } from './open-catalog.js';
export { openCatalog } from './open-catalog.js';
export { redactUrl } from './redact-url.js';
export type {
  Catalog,
  ItemRecord,
  RunMetadata,
  SnapshotFilter,
  SnapshotHit,
  SnapshotRecord,
  SnapshotStatus,
  Trigger,
  VerificationRecord,
} from './types.js';
