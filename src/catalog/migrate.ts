import { type Kysely, Migrator } from 'kysely';
import { CairnError } from '../errors/index.js';
import { type CatalogDialect, catalogMigrations, migrationTables } from './migrations/index.js';
import type { CatalogDatabase } from './schema.js';

/** Applies pending migrations; each run is one transaction on both dialects. */
export async function runMigrations(
  db: Kysely<CatalogDatabase>,
  dialect: CatalogDialect,
  schema: string | undefined,
): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: catalogMigrations(dialect),
    ...migrationTables,
    migrationTableSchema: dialect === 'postgres' ? await postgresSchema(db, schema) : undefined,
  });
  let { error, results } = await migrator.migrateToLatest();
  // Kysely's Migrator looks for its table by listing every table (and column) of the database; when
  // another catalog's schema or table is created or dropped during that scan, PostgreSQL answers with
  // an error about an object that is not ours (3F000 no such schema, 42P01 no such table, 42703 no
  // such column). Nothing has been migrated then, so looking again is safe.
  for (let attempt = 1; attempt <= 3 && error !== undefined && isVanishedSchema(error, results); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    ({ error, results } = await migrator.migrateToLatest());
  }
  if (error === undefined) return;
  const failed = results?.find((result) => result.status === 'Error')?.migrationName;
  const reason = error instanceof Error ? error.message : String(error);
  throw new CairnError(
    'CAIRN_E_CATALOG',
    `${failed ? `catalog migration ${failed}` : 'preparing the catalog migrations'} failed: ${reason}; ` +
      'the catalog is an index over the repository and can be moved aside and rebuilt with `cairn catalog rebuild`',
    { migration: failed, reason },
    { cause: error },
  );
}

/**
 * Kysely's Migrator, given no schema, takes a migration table in ANY schema of the database for its
 * own, then reads whichever the search_path reaches. Naming the schema keeps two catalogs (or a
 * catalog and another application) in one database apart. The Migrator creates a missing schema.
 */
async function postgresSchema(db: Kysely<CatalogDatabase>, schema: string | undefined): Promise<string> {
  if (schema !== undefined) return schema;
  const row = await db
    .selectNoFrom((eb) => eb.fn<string | null>('current_schema').as('name'))
    .executeTakeFirstOrThrow();
  if (row.name === null) {
    throw new CairnError(
      'CAIRN_E_CATALOG',
      'no schema on the PostgreSQL search_path exists: create one or set search_path for the catalog user',
    );
  }
  return row.name;
}

function isVanishedSchema(error: unknown, results: readonly { status: string }[] | undefined): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    ['3F000', '42P01', '42703'].includes(code) &&
    !results?.some((r) => r.status !== 'NotExecuted')
  );
}
