/**
 * `cairn serve` with its catalog in PostgreSQL (CAIRN_CATALOG_URL), end to end: probes, a snapshot,
 * search, metrics, a restore, check, the audit trail verified and an edited row named. PostgreSQL
 * not being there fails the test (see freshPgDatabase).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { freshPgDatabase } from './e2e.js';
import { type Fixture, fixture } from './helpers.js';
import { client, localToken, type ServeProcess, startServe } from './serve-support.js';

describe('cairn serve on a PostgreSQL catalog', () => {
  let db: ReturnType<typeof freshPgDatabase> | undefined;
  let f: Fixture;
  let server: ServeProcess;
  const t: Record<string, string> = {};
  const as = (who: string) => client(server.url, t[who]);
  let prodId = '';

  before(async () => {
    db = freshPgDatabase();
    f = fixture({ init: false });
    f.env.CAIRN_CATALOG_URL = db.url;
    f.write('restores/.keep', '');
    assert.equal(f.cli(['init']).code, 0);
    for (const role of ['operator', 'restorer', 'auditor']) t[role] = localToken(f, role, [role]);
    server = await startServe(f, ['--restore-root', join(f.dir, 'restores'), '--metrics-anonymous']);
  });
  after(async () => {
    await server?.stop();
    db?.drop();
  });

  it('is ready, with the catalog on PostgreSQL', async () => {
    assert.equal(server.facts.catalog, 'postgres');
    const anon = client(server.url);
    assert.equal((await anon.ok<{ status: string }>(anon.get('/readyz'))).status, 'ready');
  });

  it('takes, finds and counts snapshots', async () => {
    const op = as('operator');
    const created = await op.ok<{ snapshots: Array<{ item: string; id: string; status: string }> }>(
      op.post('/api/v1/snapshots', { release: '2.0.0', change: 'CHG-9' }),
    );
    assert.deepEqual(
      created.snapshots.map((s) => s.status),
      ['created', 'created'],
    );
    prodId = created.snapshots.find((s) => s.item === 'app-prod')!.id;
    const found = await op.ok<{ snapshots: Array<{ id: string }> }>(op.get('/api/v1/snapshots?change=CHG-9&env=prod'));
    assert.deepEqual(
      found.snapshots.map((s) => s.id),
      [prodId],
    );
    const metrics = (await client(server.url).get('/metrics')).text;
    assert.match(metrics, /^cairn_snapshots\{item="app-prod",status="complete"\} 1$/m);
  });

  it('restores into a restore root and checks the repository', async () => {
    const target = join(f.dir, 'restores', 'pg');
    await as('restorer').ok(as('restorer').post('/api/v1/restore', { snapshot: prodId, target }));
    assert.equal(
      readFileSync(join(target, 'deployment.yaml'), 'utf8'),
      readFileSync(join(f.dir, 'src/prod/deployment.yaml'), 'utf8'),
    );
    const report = await as('operator').ok<{ ok: boolean }>(as('operator').post('/api/v1/check', {}));
    assert.equal(report.ok, true);
  });

  it('verifies the audit trail, and names an event edited in PostgreSQL', async () => {
    const a = as('auditor');
    assert.equal((await a.ok<{ ok: boolean }>(a.post('/api/v1/audit/verify'))).ok, true);
    const pool = new pg.Pool({ connectionString: db!.url, max: 1 });
    try {
      const r = await pool.query("update audit_events set identity = 'token:someone-else' where seq = 2");
      assert.equal(r.rowCount, 1);
    } finally {
      await pool.end();
    }
    const bad = await a.ok<{ ok: boolean; firstBad?: { seq: number; problem: string } }>(
      a.post('/api/v1/audit/verify'),
    );
    assert.deepEqual([bad.ok, bad.firstBad?.seq, bad.firstBad?.problem], [false, 2, 'edited']);
  });
});
