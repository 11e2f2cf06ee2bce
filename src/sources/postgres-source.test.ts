import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { isCairnError } from '../errors/index.js';
import type { PostgresSource } from '../policy/index.js';
import { majorMinor, readPostgres, redactConninfoValue, redactSettings } from './postgres-source.js';
import type { SourceResult } from './types.js';

const ADMIN = process.env.CAIRN_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
const suffix = randomBytes(5).toString('hex');
const dbName = `cairn_src_${suffix}`;
const role = `cairn_app_${suffix}`;
let url = '';

async function sql(target: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: target });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

before(async () => {
  await sql(ADMIN, `create database ${dbName}`);
  const u = new URL(ADMIN);
  u.pathname = `/${dbName}`;
  url = u.toString();
  // Settings of this database and this role only: nothing server-wide changes.
  await sql(ADMIN, `create role ${role} login connection limit 5`);
  await sql(ADMIN, `alter role ${role} set statement_timeout = '42s'`);
  await sql(ADMIN, `alter database ${dbName} set work_mem = '7MB'`);
  await sql(ADMIN, `grant connect on database ${dbName} to ${role}`);
  await sql(
    url,
    `create schema app; create table app.orders (id int); grant usage on schema app to ${role}; grant select on app.orders to ${role}`,
  );
});
after(async () => {
  await sql(ADMIN, `drop database if exists ${dbName} with (force)`);
  await sql(ADMIN, `drop role if exists ${role}`);
});

const src = (over: Partial<PostgresSource> = {}): PostgresSource => ({
  kind: 'postgres',
  url,
  include: ['settings', 'roles', 'extensions'],
  timeoutMs: 10_000,
  ...over,
});
const file = (r: SourceResult, name: string) => r.entries.find((e) => e.path === name)?.content?.toString('utf8');

describe('postgres source', () => {
  test('settings, roles with grants, extensions and server_version', async () => {
    const r = await readPostgres(src(), 'db');
    assert.deepEqual(
      r.entries.map((e) => e.path),
      ['settings.json', 'roles.json', 'extensions.json', 'server_version'],
    );
    const settings = JSON.parse(file(r, 'settings.json')!).settings as Array<Record<string, string>>;
    assert.deepEqual(
      settings.find((s) => s.name === 'work_mem'),
      {
        name: 'work_mem',
        setting: String(7 * 1024),
        unit: 'kB',
        source: 'database',
      },
    );
    assert.ok(!settings.some((s) => s.name === 'application_name'), 'client settings are left out');
    const roles = JSON.parse(file(r, 'roles.json')!);
    const mine = roles.roles.find((x: { name: string }) => x.name === role);
    assert.equal(mine.login, true);
    assert.equal(mine.connectionLimit, 5);
    assert.deepEqual(mine.config, ['statement_timeout=42s']);
    const has = (list: Array<Record<string, unknown>>, want: Record<string, unknown>) =>
      list.some((g) => Object.entries(want).every(([k, v]) => g[k] === v));
    assert.ok(has(roles.grants.database, { database: dbName, grantee: role, privilege: 'CONNECT' }));
    assert.ok(has(roles.grants.schemas, { schema: 'app', grantee: role, privilege: 'USAGE' }));
    assert.ok(has(roles.grants.tables, { schema: 'app', table: 'orders', grantee: role, privilege: 'SELECT' }));
    const ext = JSON.parse(file(r, 'extensions.json')!).extensions as Array<{ name: string }>;
    assert.ok(ext.some((e) => e.name === 'plpgsql'));
    assert.match(file(r, 'server_version')!, /^\d+(\.\d+)?$/);
  });

  test('an unchanged server reads byte for byte the same; a change shows', async () => {
    const a = await readPostgres(src(), 'db');
    const b = await readPostgres(src(), 'db');
    // Roles are server-wide and other tests create theirs concurrently: roles.json is compared on this test's role.
    const ours = (r: SourceResult) => {
      const doc = JSON.parse(file(r, 'roles.json')!);
      return JSON.stringify(doc, (k, v) =>
        Array.isArray(v) && k !== 'config' ? v.filter((x) => JSON.stringify(x).includes(role)) : v,
      );
    };
    assert.equal(ours(b), ours(a));
    for (const e of a.entries)
      if (e.path !== 'roles.json') assert.equal(file(b, e.path), e.content!.toString(), e.path);
    await sql(ADMIN, `alter database ${dbName} set work_mem = '9MB'`);
    const c = await readPostgres(src({ include: ['settings'] }), 'db');
    assert.deepEqual(
      c.entries.map((e) => e.path),
      ['settings.json', 'server_version'],
    );
    assert.notEqual(file(c, 'settings.json'), file(a, 'settings.json'));
  });

  test('urlEnv: read from the environment; not set is CAIRN_E_SOURCE naming the variable', async () => {
    const r = await readPostgres(src({ url: undefined, urlEnv: 'DB_URL' }), 'db', { env: { DB_URL: url } });
    assert.equal(r.entries.length, 4);
    await assert.rejects(readPostgres(src({ url: undefined, urlEnv: 'DB_URL' }), 'db', { env: {} }), (err) => {
      assert.ok(isCairnError(err, 'CAIRN_E_SOURCE'));
      assert.match(err.message, /environment variable DB_URL/);
      return true;
    });
  });

  test('an unreachable server is CAIRN_E_SOURCE without the password', async () => {
    const bad = 'postgres://cairn:hunter2secret@127.0.0.1:1/db';
    await assert.rejects(readPostgres(src({ url: bad, timeoutMs: 3_000 }), 'db'), (err) => {
      assert.ok(isCairnError(err, 'CAIRN_E_SOURCE'));
      assert.match(err.message, /item db: postgres postgres:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:1\/db: cannot connect/);
      assert.doesNotMatch(`${err.message}${JSON.stringify(err.details)}`, /hunter2secret/);
      return true;
    });
  });

  test('majorMinor', () => {
    assert.equal(majorMinor('16.4 (Debian 16.4-1.pgdg120+1)'), '16.4');
    assert.equal(majorMinor('17beta1'), '17');
    assert.equal(majorMinor('9.6.24'), '9.6');
  });

  // pg_settings shows primary_conninfo only on a standby (and custom settings not at all), so this is a unit test.
  test('redactSettings / redactConninfoValue: primary_conninfo in both forms, other settings untouched', () => {
    const rows = redactSettings([
      { name: 'primary_conninfo', setting: "host=p port=5432 password='a b\\'c' application_name=s", source: 'x' },
      { name: 'primary_conninfo', setting: 'postgresql://rep:pw@p:5432/db?sslmode=require', source: 'x' },
      { name: 'other', setting: 'user=x password=hunter2', source: 'x' },
      { name: 'work_mem', setting: '4096', source: 'x' },
    ]);
    assert.deepEqual(
      rows.map((r) => r.setting),
      [
        'host=p port=5432 password=*** application_name=s',
        'postgresql://rep:***@p:5432/db?sslmode=require',
        'user=x password=***',
        '4096',
      ],
    );
    assert.equal(
      redactConninfoValue('postgres://u@h/db?password=pw&sslmode=require'),
      'postgres://u@h/db?password=***&sslmode=require',
    );
  });

  test('a keyword/value connection string: its password never reaches the message', async () => {
    await assert.rejects(
      readPostgres(src({ url: 'host=127.0.0.1 port=1 user=x password=kv-s3cret dbname=x', timeoutMs: 3_000 }), 'db'),
      (err) => {
        assert.ok(isCairnError(err, 'CAIRN_E_SOURCE'), String(err));
        assert.doesNotMatch(`${err.message} ${JSON.stringify(err.details)}`, /kv-s3cret/);
        assert.match(err.message, /password=\*\*\*/);
        return true;
      },
    );
  });
});
