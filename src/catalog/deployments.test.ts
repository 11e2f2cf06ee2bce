import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { isCairnError } from '../errors/index.js';
import { type Catalog, type DeploymentRecord, openCatalog } from './index.js';
import { catalogTargets } from './test-support.js';

function deployment(fields: Partial<DeploymentRecord> = {}): DeploymentRecord {
  return {
    id: 'D-20261129-AAAAAA',
    environment: 'prod',
    release: '2.1.0',
    commit: 'abc123',
    change: 'CHG0001',
    pipeline: 'https://ci.example.com/runs/9',
    status: 'started',
    source: 'cli',
    externalId: null,
    actor: 'ci-bot',
    startedAt: '2026-11-29T10:00:00+01:00',
    finishedAt: null,
    reason: null,
    ticket: {
      id: 'CHG0001',
      provider: 'file',
      state: 'scheduled',
      approval: 'approved',
      start: '2026-11-29T08:00:00.000Z',
      end: '2026-11-29T12:00:00.000Z',
      approved: true,
      inWindow: true,
      checkedAt: '2026-11-29T09:00:00.000Z',
    },
    requirements: [
      {
        item: 'app',
        requires: 'db',
        range: '>=14',
        when: '2.x',
        version: '2.1',
        requiredVersion: '13',
        ok: false,
        reason: 'db is 13, app 2.1 needs >=14',
      },
    ],
    ...fields,
  };
}

for (const target of catalogTargets) {
  describe(`deployments on ${target.dialect}`, () => {
    async function fresh(t: TestContext): Promise<Catalog> {
      const { options, remove } = await target.fresh();
      t.after(remove);
      const catalog = await openCatalog(options);
      t.after(() => catalog.close());
      return catalog;
    }

    it('stores a deployment exactly, times in UTC, and refuses the same id twice', async (t) => {
      const catalog = await fresh(t);
      const record = deployment();
      await catalog.deployments.create(record);
      const stored = await catalog.deployments.get(record.id);
      assert.deepEqual(stored, { ...record, startedAt: '2026-11-29T09:00:00.000Z' });
      assert.equal(await catalog.deployments.get('D-missing'), undefined);
      await assert.rejects(catalog.deployments.create(record), (e) => isCairnError(e, 'CAIRN_E_EXISTS'));
    });

    it('finds a deployment by its external id and refuses a second one with the same', async (t) => {
      const catalog = await fresh(t);
      await catalog.deployments.create(deployment({ id: 'D-1', source: 'github', externalId: '42' }));
      await catalog.deployments.create(deployment({ id: 'D-2', source: 'gitlab', externalId: '42' }));
      await catalog.deployments.create(deployment({ id: 'D-3' })); // no external id: never collides
      await catalog.deployments.create(deployment({ id: 'D-4' }));
      assert.equal((await catalog.deployments.findExternal('github', '42'))?.id, 'D-1');
      assert.equal(await catalog.deployments.findExternal('github', '43'), undefined);
      await assert.rejects(
        catalog.deployments.create(deployment({ id: 'D-5', source: 'github', externalId: '42' })),
        (e) => isCairnError(e, 'CAIRN_E_EXISTS') && /D-1/.test(e.message),
      );
    });

    it('lists newest first by environment, release and status, and changes status', async (t) => {
      const catalog = await fresh(t);
      const d = catalog.deployments;
      await d.create(deployment({ id: 'D-a', startedAt: '2026-11-01T00:00:00Z', release: '1.0' }));
      await d.create(deployment({ id: 'D-b', startedAt: '2026-11-02T00:00:00Z', release: '1.1' }));
      await d.create(deployment({ id: 'D-c', startedAt: '2026-11-03T00:00:00Z', environment: 'staging' }));
      assert.deepEqual(
        (await d.list({ environment: 'prod' })).map((r) => r.id),
        ['D-b', 'D-a'],
      );
      assert.deepEqual(
        (await d.list({ limit: 2 })).map((r) => r.id),
        ['D-c', 'D-b'],
      );
      assert.equal((await d.latest('prod'))?.id, 'D-b');
      assert.equal((await d.latest('prod', '1.0'))?.id, 'D-a');
      assert.equal(await d.latest('dev'), undefined);
      await d.setStatus('D-a', 'failed', { finishedAt: '2026-11-01T01:00:00+01:00', reason: 'smoke tests' });
      const failed = await d.get('D-a');
      assert.equal(failed?.status, 'failed');
      assert.equal(failed?.finishedAt, '2026-11-01T00:00:00.000Z');
      assert.equal(failed?.reason, 'smoke tests');
      assert.deepEqual(
        (await d.list({ status: 'failed' })).map((r) => r.id),
        ['D-a'],
      );
      await assert.rejects(d.setStatus('D-zzz', 'failed'), (e) => isCairnError(e, 'CAIRN_E_NOT_FOUND'));
    });

    it('changes a status by compare-and-set: of two racing writers one wins, the other is told the status', async (t) => {
      const catalog = await fresh(t);
      const d = catalog.deployments;
      await d.create(deployment({ id: 'D-cas' }));
      const outcomes = await Promise.allSettled([
        d.setStatus('D-cas', 'succeeded', { finishedAt: '2026-11-01T01:00:00Z' }, ['started']),
        d.setStatus('D-cas', 'failed', { reason: 'smoke tests' }, ['started']),
      ]);
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
      const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      const now = (await d.get('D-cas'))?.status;
      assert.ok(isCairnError(lost.reason, 'CAIRN_E_EXISTS'), String(lost.reason));
      assert.equal(lost.reason.details?.status, now);
      assert.match(lost.reason.message, /deployment D-cas is (succeeded|failed).*not started/);
      // A failure after success is allowed where the caller says so; a finish after failure is not.
      await d.setStatus('D-cas', 'failed', {}, ['started', 'succeeded']);
      await assert.rejects(d.setStatus('D-cas', 'succeeded', {}, ['started']), (e) =>
        isCairnError(e, 'CAIRN_E_EXISTS'),
      );
      assert.equal((await d.get('D-cas'))?.status, 'failed');
      await assert.rejects(d.setStatus('D-none', 'failed', {}, ['started']), (e) =>
        isCairnError(e, 'CAIRN_E_NOT_FOUND'),
      );
      const req = {
        item: 'app',
        requires: 'db',
        range: '>=2',
        when: null,
        version: '1',
        requiredVersion: '2.1',
        ok: true,
        reason: 'ok',
      };
      await d.setRequirements('D-cas', [req]);
      assert.deepEqual((await d.get('D-cas'))?.requirements, [req]);
      await assert.rejects(d.setRequirements('D-none', []), (e) => isCairnError(e, 'CAIRN_E_NOT_FOUND'));
    });

    it('keeps a bundle per phase and replaces an item entry written again', async (t) => {
      const catalog = await fresh(t);
      const d = catalog.deployments;
      await d.create(deployment({ id: 'D-x' }));
      const entry = {
        deployment: 'D-x',
        phase: 'pre' as const,
        item: 'app',
        snapshotId: 'a'.repeat(64),
        verificationId: null,
        status: 'created',
        error: null,
      };
      await d.putBundle([
        entry,
        { ...entry, item: 'db', status: 'failed', snapshotId: null, error: 'CAIRN_E_SOURCE: down' },
        { ...entry, phase: 'post', status: 'unchanged', verificationId: 'b'.repeat(64) },
      ]);
      await d.putBundle([{ ...entry, item: 'db', status: 'unchanged', verificationId: 'c'.repeat(64) }]);
      const all = await d.bundle('D-x');
      assert.deepEqual(
        all.map((e) => `${e.phase}:${e.item}:${e.status}`),
        ['pre:app:created', 'pre:db:unchanged', 'post:app:unchanged'],
      );
      assert.equal((await d.bundle('D-x', 'post'))[0]?.verificationId, 'b'.repeat(64));
      assert.deepEqual(await d.bundle('D-none'), []);
    });
  });
}
