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
