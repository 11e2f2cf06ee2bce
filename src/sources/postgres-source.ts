import type { PostgresSource } from '../policy/index.js';
import { contentEntry, passwordOf, redactUrl, scrub, sourceError } from './content.js';
import { sourceLabel } from './label.js';
import * as q from './postgres-queries.js';
import type { CollectOptions, SourceResult } from './types.js';

interface Queryable {
  query(sql: string): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * A PostgreSQL server's non-default settings, roles with memberships and grants, and extensions, as
 * sorted pretty JSON (settings.json, roles.json, extensions.json) plus `server_version` ("16.4").
 */
export async function readPostgres(
  source: PostgresSource,
  item: string,
  opts: CollectOptions = {},
): Promise<SourceResult> {
  const label = sourceLabel(source);
  const env = opts.env ?? process.env;
  const url = source.url ?? (source.urlEnv ? env[source.urlEnv] : undefined);
  if (!url) {
    throw sourceError(item, label, `environment variable ${source.urlEnv} (the connection URL) is not set`, {
      kind: 'postgres',
      variable: source.urlEnv,
    });
  }
  const password = passwordOf(url);
  const details = { kind: 'postgres', url: redactUrl(url) };
  const { default: pg } = await import('pg');
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: source.timeoutMs,
    statement_timeout: source.timeoutMs,
    query_timeout: source.timeoutMs,
    application_name: 'cairn',
  });
  client.on('error', () => undefined);
  const why = (err: unknown) => scrub(err instanceof Error ? err.message : String(err), [password, url]);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw sourceError(item, label, `cannot connect to ${redactUrl(url)}: ${why(err)}`, details);
  }
  try {
    const entries = [];
    const parts = new Set(source.include);
    if (parts.has('settings'))
      entries.push(jsonFile('settings.json', { settings: await rows(client, q.SETTINGS_SQL) }));
    if (parts.has('roles')) entries.push(jsonFile('roles.json', await roles(client)));
    if (parts.has('extensions')) {
      entries.push(jsonFile('extensions.json', { extensions: await rows(client, q.EXTENSIONS_SQL) }));
    }
    const version = (await client.query<{ server_version: string }>('show server_version')).rows[0]?.server_version;
    entries.push(contentEntry('server_version', Buffer.from(majorMinor(version ?? ''))));
    return { entries, unreadable: [] };
  } catch (err) {
    throw sourceError(item, label, `reading the server failed: ${why(err)}`, details);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function roles(db: Queryable): Promise<unknown> {
  return {
    roles: await rows(db, q.ROLES_SQL),
    memberships: await rows(db, q.MEMBERSHIPS_SQL),
    grants: {
      database: await rows(db, q.DATABASE_GRANTS_SQL),
      schemas: await rows(db, q.SCHEMA_GRANTS_SQL),
      tables: await rows(db, q.TABLE_GRANTS_SQL),
    },
  };
}

async function rows(db: Queryable, sql: string): Promise<Record<string, unknown>[]> {
  return (await db.query(sql)).rows;
}

/** "16.4 (Debian 16.4-1.pgdg120+1)" → "16.4"; "17beta1" → "17". */
export function majorMinor(version: string): string {
  const m = /^(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!m) return version.trim();
  return m[2] === undefined ? m[1]! : `${m[1]}.${m[2]}`;
}

function jsonFile(name: string, value: unknown) {
  return contentEntry(name, Buffer.from(`${stableJson(value)}\n`));
}

/** Pretty JSON with object keys sorted at every level: the same data gives the same bytes. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}
