import type { PostgresSource } from '../policy/index.js';
import { contentEntry, passwordOf, redactConninfo, redactUrl, scrub, secretsOf, sourceError } from './content.js';
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
  // The password of a URL, or of a keyword/value string (`host=db password=x`); not a URL's bare user name.
  const secrets = URL.canParse(url) ? [passwordOf(url)] : secretsOf(url);
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
  const why = (err: unknown) => scrub(err instanceof Error ? err.message : String(err), [...secrets, url]);
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
      entries.push(jsonFile('settings.json', { settings: redactSettings(await rows(client, q.SETTINGS_SQL)) }));
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

/**
 * Settings rows with passwords taken out: a standby's `primary_conninfo` (`host=… password=…`, or a
 * URL) and any other setting whose value carries a `password=` or a URL with a password.
 */
export function redactSettings(settings: Record<string, unknown>[]): Record<string, unknown>[] {
  return settings.map((row) =>
    typeof row.setting === 'string' &&
    (row.name === 'primary_conninfo' || /password\s*=|:\/\/[^/@\s]*:[^/@\s]*@/i.test(row.setting))
      ? { ...row, setting: redactConninfoValue(row.setting) }
      : row,
  );
}

/** `password=…` (keyword/value or URL query) and a URL userinfo password replaced by ***; the rest kept. */
export function redactConninfoValue(value: string): string {
  if (!/^\s*[a-z][a-z0-9+.-]*:\/\//i.test(value)) return redactConninfo(value);
  return value
    .replace(/([?&]password=)[^&#\s]*/gi, '$1***')
    .replace(/^(\s*[a-z][a-z0-9+.-]*:\/\/[^/:@\s]*):[^/@\s]*@/i, '$1:***@');
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
