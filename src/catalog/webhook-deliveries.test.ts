import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { type Catalog, openCatalog } from './index.js';
import { catalogTargets } from './test-support.js';

const delivery = { provider: 'github', deliveryId: 'd-1', receivedAt: '2026-11-29T09:00:00.000Z', event: 'deployment' };

for (const target of catalogTargets) {
  describe(`webhook deliveries on ${target.dialect}`, () => {
    async function fresh(t: TestContext): Promise<Catalog> {
      const { options, remove } = await target.fresh();
      t.after(remove);
      const catalog = await openCatalog(options);
      t.after(() => catalog.close());
      return catalog;
    }

    it('claims a delivery once, whoever races for it, and keeps the first outcome', async (t) => {
      const catalog = await fresh(t);
      const claims = await Promise.all([1, 2, 3, 4].map(() => catalog.webhooks.claim(delivery)));
      assert.deepEqual(claims.filter(Boolean).length, 1);
      assert.equal((await catalog.webhooks.get('github', 'd-1'))?.result, 'processing');
      await catalog.webhooks.complete('github', 'd-1', {
        result: 'ok',
        statusCode: 200,
        environment: 'prod',
        deployment: 'D-20261129-AAAAAA',
        finishedAt: '2026-11-29T09:00:02.000Z',
      });
      assert.equal(await catalog.webhooks.claim({ ...delivery, event: 'other' }), false);
      assert.deepEqual(await catalog.webhooks.get('github', 'd-1'), {
        ...delivery,
        environment: 'prod',
        deployment: 'D-20261129-AAAAAA',
        result: 'ok',
        statusCode: 200,
        detail: null,
        finishedAt: '2026-11-29T09:00:02.000Z',
      });
    });

    it('lets a redelivery take over a delivery left processing by a server that died, once', async (t) => {
      const catalog = await fresh(t);
      assert.equal(await catalog.webhooks.claim(delivery), true);
      const soon = new Date(Date.parse(delivery.receivedAt) + 60_000).toISOString();
      assert.equal(await catalog.webhooks.claim({ ...delivery, receivedAt: soon }), false, 'still being handled');
      const later = new Date(Date.parse(delivery.receivedAt) + 16 * 60_000).toISOString();
      const takeovers = await Promise.all(
        [1, 2, 3].map(() => catalog.webhooks.claim({ ...delivery, receivedAt: later })),
      );
      assert.equal(takeovers.filter(Boolean).length, 1);
      await catalog.webhooks.complete('github', 'd-1', { result: 'ok', statusCode: 200 });
      const muchLater = new Date(Date.parse(later) + 60 * 60_000).toISOString();
      assert.equal(
        await catalog.webhooks.claim({ ...delivery, receivedAt: muchLater }),
        false,
        'finished: a duplicate',
      );
    });

    it('does not take over a slow delivery whose server keeps renewing its heartbeat', async (t) => {
      const catalog = await fresh(t);
      assert.equal(await catalog.webhooks.claim(delivery), true);
      const at = (minutes: number) => new Date(Date.parse(delivery.receivedAt) + minutes * 60_000).toISOString();
      // The first server is alive: it renews the heartbeat every minute, for longer than the lease.
      for (let m = 1; m <= 20; m++) assert.equal(await catalog.webhooks.heartbeat('github', 'd-1', at(m)), true);
      assert.equal(await catalog.webhooks.claim({ ...delivery, receivedAt: at(20) }), false, 'alive: not taken');
      assert.equal(await catalog.webhooks.claim({ ...delivery, receivedAt: at(34) }), false, 'within the lease');
      // It stops renewing (dies): one lease after the last heartbeat a redelivery takes it over, once.
      const takeovers = await Promise.all(
        [1, 2, 3].map(() => catalog.webhooks.claim({ ...delivery, receivedAt: at(36) })),
      );
      assert.equal(takeovers.filter(Boolean).length, 1);
      await catalog.webhooks.complete('github', 'd-1', { result: 'ok', statusCode: 200 });
      assert.equal(await catalog.webhooks.heartbeat('github', 'd-1', at(37)), false, 'completed: nothing to renew');
    });

    it('lets a redelivery act again after a temporary failure, once, but not after a final outcome', async (t) => {
      const catalog = await fresh(t);
      const at = (minutes: number) => new Date(Date.parse(delivery.receivedAt) + minutes * 60_000).toISOString();
      const outcomes: Array<[string, Parameters<Catalog['webhooks']['complete']>[2], boolean]> = [
        ['locked', { result: 'failed', statusCode: 423, detail: 'CAIRN_E_REPO_LOCKED: x', retryable: true }, true],
        ['catalog-down', { result: 'failed', statusCode: 503, detail: 'CAIRN_E_CATALOG: x' }, true],
        ['finish-first', { result: 'not-found', statusCode: 404, detail: 'CAIRN_E_NOT_FOUND: x' }, true],
        ['capturing', { result: 'failed', statusCode: 409, detail: 'CAIRN_E_EXISTS: x', retryable: true }, true],
        ['conflict', { result: 'failed', statusCode: 409, detail: 'CAIRN_E_EXISTS: x' }, false],
        ['ticket', { result: 'failed', statusCode: 412, detail: 'CAIRN_E_CHANGE_TICKET: x' }, false],
        ['unknown-env', { result: 'rejected', statusCode: 422 }, false],
        ['done', { result: 'ok', statusCode: 200 }, false],
      ];
      for (const [id, outcome, retried] of outcomes) {
        const d = { ...delivery, deliveryId: id };
        assert.equal(await catalog.webhooks.claim(d), true);
        await catalog.webhooks.complete('github', id, outcome);
        const again = await Promise.all([1, 2].map(() => catalog.webhooks.claim({ ...d, receivedAt: at(1) })));
        assert.equal(again.filter(Boolean).length, retried ? 1 : 0, id);
        const row = await catalog.webhooks.get('github', id);
        assert.equal(row?.result, retried ? 'processing' : outcome.result, id);
        if (retried) assert.deepEqual([row?.statusCode, row?.detail, row?.finishedAt], [null, null, null], id);
      }
    });

    it('keys deliveries by provider too, and lists them newest first', async (t) => {
      const catalog = await fresh(t);
      assert.equal(await catalog.webhooks.claim(delivery), true);
      assert.equal(
        await catalog.webhooks.claim({ ...delivery, provider: 'gitlab', receivedAt: '2026-11-29T10:00:00.000Z' }),
        true,
      );
      await catalog.webhooks.complete('gitlab', 'd-1', { result: 'rejected', statusCode: 422, detail: 'no env' });
      assert.equal(await catalog.webhooks.get('generic', 'd-1'), undefined);
      const all = await catalog.webhooks.list();
      assert.deepEqual(
        all.map((d) => [d.provider, d.result, d.statusCode, d.detail]),
        [
          ['gitlab', 'rejected', 422, 'no env'],
          ['github', 'processing', null, null],
        ],
      );
      assert.deepEqual(
        (await catalog.webhooks.list({ provider: 'github' })).map((d) => d.provider),
        ['github'],
      );
    });
  });
}
