import { type Dialect, PostgresDialect } from 'kysely';

/**
 * PostgreSQL through a pg Pool, loaded only when a PostgreSQL catalog is opened. `schema` becomes the
 * connections' search_path, so the same unqualified queries reach the catalog's tables there.
 */
export async function createPostgresDialect(url: string, schema: string | undefined): Promise<Dialect> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    // pg waits forever by default; a catalog that cannot be reached should fail the command.
    connectionTimeoutMillis: 10_000,
    application_name: 'cairn',
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // A pooled idle connection that loses its server emits 'error' on the pool, and an unhandled
  // 'error' event ends the process. The pool drops that connection; the next query reports.
  pool.on('error', () => {});
  return new PostgresDialect({ pool });
}
