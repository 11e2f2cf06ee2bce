// A second connection to a benchmark catalog, beside the one openCatalog holds: it runs the catalog's own
// search code (snapshot-queries.ts) with every statement captured, and shows each statement's plan
// (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN ANALYZE, which runs it).
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { type CompiledQuery, Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { SnapshotFilter } from '../../../src/catalog/index.js';
import type { CatalogDatabase } from '../../../src/catalog/schema.js';
import { findSnapshots } from '../../../src/catalog/snapshot-queries.js';

export interface Inspector {
  /** The plan of every statement one findSnapshots(filter) runs, as text. */
  plans(filter: SnapshotFilter): Promise<string[]>;
  /** Settings the catalog's file or server runs with, for the report. */
  settings(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export function sqliteInspector(path: string): Inspector {
  const database = new Database(path, { readonly: true });
  const captured: CompiledQuery[] = [];
  const db = new Kysely<CatalogDatabase>({
    dialect: new SqliteDialect({ database }),
    log: (event) => void (event.level === 'query' && captured.push(event.query)),
  });
  return {
    async plans(filter) {
      captured.length = 0;
      await findSnapshots(db, filter);
      return captured.map((query) => {
        const steps = database.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...(query.parameters as unknown[])) as {
          id: number;
          parent: number;
          detail: string;
        }[];
        const depth = new Map<number, number>([[0, 0]]);
        const lines = steps.map((step) => {
          const d = (depth.get(step.parent) ?? 0) + 1;
          depth.set(step.id, d);
          return `${'  '.repeat(d)}${step.detail}`;
        });
        return readable([query.sql, ...lines]);
      });
    },
    async settings() {
      const [mode] = database.pragma('journal_mode') as { journal_mode: string }[];
      const { v } = database.prepare('select sqlite_version() as v').get() as { v: string };
      const size = (statSync(path).size / 1048576).toFixed(0);
      return { journal_mode: mode?.journal_mode ?? '?', sqlite_version: v, size: `${size} MB` };
    },
    close: () => db.destroy(),
  };
}

export interface PostgresInspector extends Inspector {
  /** What autovacuum would do shortly after a bulk load; done at once so that every run measures the same state. */
  vacuumAnalyze(): Promise<void>;
  dropSchema(schema: string): Promise<void>;
}

export function postgresInspector(url: string, schema: string): PostgresInspector {
  const pool = new pg.Pool({ connectionString: url, max: 1, options: `-c search_path=${schema}` });
  const captured: CompiledQuery[] = [];
  const db = new Kysely<CatalogDatabase>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => void (event.level === 'query' && captured.push(event.query)),
  });
  return {
    async plans(filter) {
      captured.length = 0;
      await findSnapshots(db, filter);
      const plans: string[] = [];
      for (const query of captured) {
        const explained = await pool.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${query.sql}`, [...query.parameters]);
        plans.push(readable([query.sql, ...explained.rows.map((row) => `  ${row['QUERY PLAN']}`)]));
      }
      return plans;
    },
    async settings() {
      const { rows } = await pool.query(
        `select current_setting('server_version') as server_version,
                current_setting('shared_buffers') as shared_buffers,
                pg_size_pretty(pg_total_relation_size('snapshots') + pg_total_relation_size('verifications')) as size`,
      );
      return rows[0];
    },
    async vacuumAnalyze() {
      await pool.query('VACUUM (ANALYZE) snapshots, verifications');
    },
    async dropSchema(name) {
      await pool.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    },
    close: () => db.destroy(),
  };
}

/** Long IN lists and id arrays shortened, so that a plan reads as a plan. */
function readable(lines: readonly string[]): string {
  return lines
    .map((line) =>
      line
        .replace(/(?:(?:\?|\$\d+), ){4,}(?:\?|\$\d+)/g, (list) => `… ${list.split(',').length} parameters …`)
        .replace(/'\{[0-9a-f,]{200,}\}'/g, (ids) => `'{… ${ids.split(',').length} ids …}'`),
    )
    .join('\n');
}
