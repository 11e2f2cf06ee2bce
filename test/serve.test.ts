/**
 * `cairn serve` end to end on SQLite: the built bundle as a child process on a free port, tokens from
 * `cairn token create` and the tokens API, and every main use case over real HTTP — probes, OpenAPI,
 * snapshots, metrics, search, show, ls, diff, restore into a restore root and the item's
 * restore.directory, check; a viewer refused; the audit trail of all of it; the policy read again
 * when it changes; no secret in the log; a clean stop on SIGTERM.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Fixture, fixture, SMALL_POLICY } from './helpers.js';
import { apiToken, client, localToken, type ServeProcess, startServe, USER_AGENT } from './serve-support.js';

const POLICY = SMALL_POLICY.replace(
  '      - files: { root: src/dev }\n',
  '      - files: { root: src/dev }\n    restore: { directory: restore-dev }\n',
);

interface Created {
  snapshots: Array<{ item: string; status: string; id: string }>;
}
interface AuditEvent {
  seq: number;
  identity: string;
  roles: string[];
  ip: string | null;
  userAgent: string | null;
  action: string;
  result: string;
  changeId: string | null;
  details: Record<string, unknown>;
}

describe('cairn serve (SQLite)', () => {
  let f: Fixture;
  let server: ServeProcess;
  const tokens: Record<string, string> = {};
  const as = (who: string) => client(server.url, tokens[who]);
  const ids: Record<string, string> = {};
  let prodEnv = '';

  before(async () => {
    f = fixture({ policy: POLICY });
    f.write('restores/.keep', '');
    prodEnv = readFileSync(join(f.dir, 'src/prod/app.env'), 'utf8');
    tokens.admin = localToken(f, 'admin', ['admin']);
    server = await startServe(f, ['--restore-root', join(f.dir, 'restores')]);
    for (const role of ['operator', 'viewer', 'restorer', 'auditor']) {
      tokens[role] = await apiToken(server.url, tokens.admin!, role, [role]);
    }
  });
  after(async () => {
    await server?.stop();
  });

  it('listens on the port it picked and says where to look', async () => {
    const { facts, url } = server;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(new URL(url).port, '0');
    assert.equal(facts.healthz, `${url}/healthz`);
    assert.equal(facts.openapi, `${url}/api/v1/openapi.json`);
    assert.equal(facts.metrics, `${url}/metrics`);
    assert.equal(facts.catalog, 'sqlite');
    assert.match(String(facts.firstToken), /^cairn token create --name admin --role admin --expires 30d$/);
    const anon = client(url);
    assert.deepEqual(await anon.ok(anon.get('/healthz')), { status: 'ok' });
    const ready = await anon.ok<{ status: string; checks: unknown }>(anon.get('/readyz'));
    assert.equal(ready.status, 'ready');
  });

  it('serves its OpenAPI document to any identity, and to nobody without one', async () => {
    assert.equal((await client(server.url).get('/api/v1/openapi.json')).status, 401);
    const doc = await as('viewer').ok<{ openapi: string; paths: Record<string, unknown> }>(
      as('viewer').get('/api/v1/openapi.json'),
    );
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.paths['/api/v1/snapshots'] && doc.paths['/api/v1/approvals/{id}/grant']);
  });

  it('takes snapshots for an operator (the actor is the token) and refuses a viewer', async () => {
    const refused = await as('viewer').post('/api/v1/snapshots', { release: '1.0.0' });
    assert.equal(refused.status, 403);
    assert.equal((refused.body as { error: { code: string } }).error.code, 'CAIRN_E_FORBIDDEN');
    const op = as('operator');
    const r = await op.ok<Created>(op.post('/api/v1/snapshots', { release: '1.0.0', change: 'CHG-1' }));
    assert.deepEqual(r.snapshots.map((s) => `${s.item}:${s.status}`).sort(), ['app-dev:created', 'app-prod:created']);
    for (const s of r.snapshots) ids[s.item] = s.id;
    const hits = await op.ok<{ snapshots: Array<{ id: string; actor: string; change: string }> }>(
      op.get('/api/v1/snapshots?release=1.0.0&item=app-prod'),
    );
    assert.deepEqual(
      hits.snapshots.map((h) => [h.id, h.actor, h.change]),
      [[ids['app-prod'], 'token:operator', 'CHG-1']],
    );
  });

  it('reports the catalog in /metrics: snapshots by item and status, last success, durations', async () => {
    const text = (await as('viewer').get('/metrics')).text;
    assert.match(text, /^cairn_snapshots\{item="app-prod",status="complete"\} 1$/m);
    const last = /^cairn_last_success_timestamp_seconds\{item="app-prod"\} (\d+(\.\d+)?)$/m.exec(text);
    assert.ok(last && Math.abs(Number(last[1]) - Date.now() / 1000) < 600, text);
    assert.match(text, /^cairn_snapshot_bytes\{item="app-dev"\} \d+$/m);
    assert.match(text, /^cairn_snapshot_duration_seconds_count\{item="app-prod",status="created"\} 1$/m);
    assert.equal((await client(server.url).get('/metrics')).status, 401);
  });

  it('shows, lists and diffs snapshots', async () => {
    const v = as('viewer');
    const show = await v.ok<{ id: string; verifications: unknown[] }>(v.get(`/api/v1/snapshots/${ids['app-prod']}`));
    assert.equal(show.id, ids['app-prod']);
    const ls = await v.ok<{ entries: Array<{ path: string }> }>(v.get(`/api/v1/snapshots/${ids['app-prod']}/files`));
    assert.ok(ls.entries.some((e) => e.path === 'nested/deep/config.json'));
    f.write('src/prod/app.env', 'LOG_LEVEL=warn\n');
    const op = as('operator');
    const second = await op.ok<Created>(op.post('/api/v1/snapshots', { items: ['app-prod'], release: '1.1.0' }));
    const next = second.snapshots[0]!.id;
    const diff = await v.ok<{ changes: Array<{ path: string; kind: string; patch?: string }> }>(
      v.get(`/api/v1/diff?from=${ids['app-prod']}&to=${next}&patch=true`),
    );
    assert.deepEqual(
      diff.changes.map((c) => `${c.kind} ${c.path}`),
      ['modified app.env'],
    );
    assert.match(diff.changes[0]!.patch ?? '', /\+LOG_LEVEL=warn/);
  });

  it("restores into a restore root or the item's restore.directory, nowhere else", async () => {
    const r = as('restorer');
    const into = join(f.dir, 'restores', 'prod-1.0.0');
    const done = await r.ok<{ files: number; failed: unknown[] }>(
      r.post('/api/v1/restore', { snapshot: ids['app-prod'], target: into }),
    );
    assert.equal(done.failed.length, 0);
    assert.equal(readFileSync(join(into, 'app.env'), 'utf8'), prodEnv);
    const outside = await r.post('/api/v1/restore', { snapshot: ids['app-prod'], target: join(f.dir, 'elsewhere') });
    assert.equal(outside.status, 403, outside.text);
    const own = join(f.dir, 'restore-dev');
    await r.ok(r.post('/api/v1/restore', { release: '1.0.0', item: 'app-dev', target: own }));
    assert.equal(readFileSync(join(own, 'app.env'), 'utf8'), readFileSync(join(f.dir, 'src/dev/app.env'), 'utf8'));
    const prodIntoDevDir = await r.post('/api/v1/restore', { snapshot: ids['app-prod'], target: own, overwrite: true });
    assert.equal(prodIntoDevDir.status, 403, "app-prod may not use app-dev's restore.directory");
  });

  it('checks the repository', async () => {
    const op = as('operator');
    const report = await op.ok<{ ok: boolean; snapshots: number }>(op.post('/api/v1/check', { readData: true }));
    assert.equal(report.ok, true);
    assert.equal(report.snapshots, 3);
  });

  it('audits allowed, denied and failed-authentication requests with identity, roles, address and agent', async () => {
    const bogus = await client(server.url, `cairn_0123456789abcdef_${'x'.repeat(43)}`).get('/api/v1/items');
    assert.equal(bogus.status, 401);
    const a = as('auditor');
    const { events } = await a.ok<{ events: AuditEvent[] }>(a.get('/api/v1/audit/events?limit=10000'));
    const created = events.filter((e) => e.action === 'snapshots.create' && e.identity === 'token:operator');
    assert.deepEqual(
      created.slice(0, 2).map((e) => e.result),
      ['allowed', 'ok'],
    );
    for (const e of created) {
      assert.deepEqual(e.roles, ['operator']);
      assert.equal(e.ip, '127.0.0.1');
      assert.equal(e.userAgent, USER_AGENT);
    }
    assert.equal(created[0]!.changeId, 'CHG-1');
    const denied = events.find((e) => e.action === 'snapshots.create' && e.result === 'denied');
    assert.equal(denied?.identity, 'token:viewer');
    assert.deepEqual(denied?.details.permission, 'snapshots.create');
    const fail = events.findLast((e) => e.action === 'auth.fail');
    assert.equal(fail?.identity, 'anonymous');
    assert.equal(fail?.result, 'denied');
    assert.equal(fail?.details.reason, 'unknown');
    assert.equal(fail?.userAgent, USER_AGENT);
    assert.ok(events.some((e) => e.action === 'server.start' && e.identity.startsWith('local:')));
    assert.ok(events.some((e) => e.action === 'restore.run' && e.result === 'denied'));
  });

  it('takes in a changed policy file, and keeps the last good one when the change does not load', async () => {
    const v = as('viewer');
    const names = async () =>
      (await v.ok<{ items: Array<{ name: string }> }>(v.get('/api/v1/items'))).items.map((i) => i.name);
    assert.deepEqual(await names(), ['app-prod', 'app-dev']);
    f.write(
      'cairn.yaml',
      `${POLICY}  - name: app-qa\n    owner: qa@example.com\n    tier: 2\n    sources:\n      - files: { root: src/dev }\n`,
    );
    assert.deepEqual(await names(), ['app-prod', 'app-dev', 'app-qa']);
    f.write('cairn.yaml', `${POLICY}  - name: broken\n`);
    assert.deepEqual(await names(), ['app-prod', 'app-dev', 'app-qa']);
    const check = await v.ok<{ valid: boolean; issues: Array<{ field: string }> }>(v.get('/api/v1/policy/check'));
    assert.equal(check.valid, false);
    assert.match(server.log(), /policy reload/);
    f.write('cairn.yaml', POLICY);
  });

  it('writes no token to its log, and stops cleanly on SIGTERM, auditing the stop', async () => {
    const log = server.log();
    for (const [who, token] of Object.entries(tokens)) {
      assert.ok(!log.includes(token), `the ${who} token is in the log`);
      assert.ok(
        !log.includes(token.slice('cairn_0123456789abcdef_'.length)),
        `the ${who} token's secret is in the log`,
      );
    }
    assert.equal(await server.stop(), 0);
    const r = f.cli(['audit', 'log', '--action', 'server.stop', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json<{ events: AuditEvent[] }>().events.length, 1);
  });
});
