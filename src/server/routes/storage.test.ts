import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Backend } from '../backend.js';
import { buildServer } from '../build-server.js';
import { approval, itemResult, SNAP_ID } from '../test-fixtures.js';
import * as fs from '../test-fixtures-storage.js';
import { fakeDeps, tokenFor } from '../test-support.js';

const as = (role: string) => ({ authorization: `Bearer ${tokenFor(role)}` });

/** A server over the fake backend, with `overrides` that record the inputs they are given. */
async function serverWith(overrides: Partial<Backend>): Promise<{ app: FastifyInstance; inputs: unknown[] }> {
  const deps = fakeDeps();
  const inputs: unknown[] = [];
  const recorded = Object.fromEntries(
    Object.entries(overrides).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        inputs.push(args[0]);
        return (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      },
    ]),
  );
  const app = await buildServer({ ...deps, backend: { ...deps.backend, ...recorded } }, { logger: false });
  return { app, inputs };
}

describe('sizing and replication routes', () => {
  it('GET /api/v1/stats passes the periods (12m and 30d by default), items and tier as the CLI would', async () => {
    const { app, inputs } = await serverWith({ stats: async () => fs.statsReport });
    const get = (query: string) => app.inject({ method: 'GET', url: `/api/v1/stats${query}`, headers: as('viewer') });
    assert.equal((await get('')).statusCode, 200);
    assert.equal((await get('?item=only-one')).statusCode, 200);
    assert.equal((await get('?projection=2y&window=90d&item=a&item=b&tier=critical')).statusCode, 200);
    assert.deepEqual(inputs, [
      { projection: '12m', window: '30d' },
      { projection: '12m', window: '30d', items: ['only-one'] },
      { projection: '2y', window: '90d', items: ['a', 'b'], tier: 'critical' },
    ]);
    for (const bad of ['?projection=12', '?window=1h', '?projection=1y&unknown=1']) {
      const res = await get(bad);
      assert.equal(res.statusCode, 400, bad);
      assert.equal(res.json().error.code, 'CAIRN_E_USAGE');
    }
    assert.equal(inputs.length, 3, 'a refused query never reaches the backend');
    await app.close();
  });

  it('replication: status with or without `to`; replicate with its options and defaults', async () => {
    const { app, inputs } = await serverWith({
      replicationStatus: async () => fs.replicationStatus,
      replicate: async () => fs.replicateResult,
    });
    assert.equal(
      (await app.inject({ method: 'GET', url: '/api/v1/replication/status', headers: as('viewer') })).statusCode,
      200,
    );
    const post = (payload: object) =>
      app.inject({ method: 'POST', url: '/api/v1/replicate', headers: as('operator'), payload });
    assert.equal((await post({})).statusCode, 200);
    assert.equal((await post({ to: '/srv/replica', syncLocks: true, concurrency: 2 })).statusCode, 200);
    assert.equal((await post({ concurrency: 65 })).statusCode, 400);
    assert.equal((await post({ to: '' })).statusCode, 400);
    assert.deepEqual(inputs, [
      {},
      { syncLocks: false, concurrency: 8 },
      { to: '/srv/replica', syncLocks: true, concurrency: 2 },
    ]);
    await app.close();
  });

  it('POST /api/v1/snapshots answers with the replication it ran afterwards, field for field', async () => {
    const replication = { to: '/srv/replica', ok: false, items: ['payments-api-prod'], result: fs.replicateResult };
    const failed = { to: '/srv/replica', ok: false, items: ['x'], error: { code: 'CAIRN_E_STORAGE', message: 'down' } };
    for (const answer of [
      { snapshots: [itemResult], replication },
      { snapshots: [itemResult], replication: failed },
    ]) {
      const { app } = await serverWith({ createSnapshots: async () => answer });
      const res = await app.inject({ method: 'POST', url: '/api/v1/snapshots', headers: as('operator'), payload: {} });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), JSON.parse(JSON.stringify(answer)));
      await app.close();
    }
  });

  it('audits a replication with its replica and what it copied', async () => {
    const deps = fakeDeps();
    const app = await buildServer(deps, { logger: false });
    const res = await app.inject({ method: 'POST', url: '/api/v1/replicate', headers: as('operator'), payload: {} });
    assert.equal(res.statusCode, 200);
    const [allowed, done] = deps.audit.events.slice(-2);
    assert.deepEqual([allowed!.action, allowed!.result], ['replication.run', 'allowed']);
    assert.deepEqual([done!.result, done!.target], ['ok', 's3://replica-eu/cairn']);
    assert.deepEqual(
      { ok: done!.details.ok, copied: done!.details.copied, failed: done!.details.failed },
      { ok: false, copied: 9, failed: 1 },
    );
    await app.close();
  });
});

describe('legal hold routes', () => {
  it('POST /api/v1/holds answers 201 for a new hold and 200 for one held already', async () => {
    let already = false;
    const { app, inputs } = await serverWith({ addHold: async () => ({ ...fs.holdResult, alreadyHeld: already }) });
    const post = (payload: object) =>
      app.inject({ method: 'POST', url: '/api/v1/holds', headers: as('operator'), payload });
    const first = await post({ snapshot: SNAP_ID.slice(0, 8), reason: 'LEGAL-7' });
    assert.equal(first.statusCode, 201);
    assert.deepEqual(first.json(), fs.holdResult);
    already = true;
    const again = await post({ snapshot: SNAP_ID });
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().alreadyHeld, true);
    assert.equal((await post({ snapshot: 'not-hex' })).statusCode, 400);
    assert.equal((await post({ reason: 'no snapshot' })).statusCode, 400);
    assert.deepEqual(inputs, [{ snapshot: SNAP_ID.slice(0, 8), reason: 'LEGAL-7' }, { snapshot: SNAP_ID }]);
    await app.close();
  });

  it('DELETE /api/v1/holds/:id is a hold.remove approval request (202) that lifts nothing yet', async () => {
    const deps = fakeDeps();
    const app = await buildServer(deps, { logger: false });
    const res = await app.inject({
      method: 'DELETE',
      url: `/api/v1/holds/${SNAP_ID.slice(0, 12)}`,
      headers: as('operator'),
      payload: { reason: 'case closed' },
    });
    assert.equal(res.statusCode, 202);
    assert.equal(res.json().approval.status, 'pending');
    assert.deepEqual(deps.backend.calls, ['requestApproval']);
    assert.deepEqual(
      deps.audit.events.map((e) => [e.action, e.result, e.target]),
      [
        ['holds.remove', 'allowed', SNAP_ID.slice(0, 12)],
        ['holds.remove', 'requested', SNAP_ID.slice(0, 12)],
      ],
    );
    await app.close();
  });

  it('sends hold.remove with the snapshot and reason to the backend', async () => {
    const { app, inputs } = await serverWith({
      requestApproval: async () => approval,
    });
    await app.inject({ method: 'DELETE', url: `/api/v1/holds/${SNAP_ID}`, headers: as('admin'), payload: {} });
    await app.inject({
      method: 'DELETE',
      url: `/api/v1/holds/${SNAP_ID}`,
      headers: as('operator'),
      payload: { reason: 'LEGAL-7 closed' },
    });
    assert.deepEqual(inputs, [
      { action: 'hold.remove', target: SNAP_ID, params: { id: SNAP_ID } },
      { action: 'hold.remove', target: SNAP_ID, params: { id: SNAP_ID }, reason: 'LEGAL-7 closed' },
    ]);
    await app.close();
  });
});
