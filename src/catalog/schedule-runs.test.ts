import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { type Catalog, openCatalog } from './index.js';
import { catalogTargets } from './test-support.js';

const slot = '2026-11-29T10:00:00.000Z';
const t = (seconds: number) => new Date(Date.parse(slot) + seconds * 1000);

for (const target of catalogTargets) {
  describe(`schedule runs (${target.dialect})`, () => {
    async function fresh(tc: TestContext): Promise<{ a: Catalog; b: Catalog }> {
      const { options, remove } = await target.fresh();
      const a = await openCatalog(options);
      const b = await openCatalog(options); // a second replica on the same database
      tc.after(async () => {
        await a.close();
        await b.close();
        await remove();
      });
      return { a, b };
    }

    it('lets exactly one of many concurrent claims of a slot win', async (tc) => {
      const { a, b } = await fresh(tc);
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 ? a : b).schedules.claim('tier:0', slot, `host:${i}:x`, { dueAt: slot, at: t(0) }),
        ),
      );
      assert.equal(claims.filter(Boolean).length, 1);
      const row = await a.schedules.get('tier:0', slot);
      assert.equal(row?.status, 'claimed');
      assert.equal(row?.claimedBy, `host:${claims.indexOf(true)}:x`);
      // Another key or slot is another claim.
      assert.equal(await b.schedules.claim('tier:1', slot, 'h:1:y', { dueAt: slot }), true);
      assert.equal(await b.schedules.claim('tier:0', t(2).toISOString(), 'h:1:y', { dueAt: slot }), true);
      assert.deepEqual(await a.schedules.keys(), ['tier:0', 'tier:1']);
      assert.equal((await a.schedules.lastRun('tier:0'))?.slot, t(2).toISOString());
    });

    it('moves a run through started and finished only for its holder, once', async (tc) => {
      const { a, b } = await fresh(tc);
      await a.schedules.claim('item:app', slot, 'A', { dueAt: slot, details: { skipped: 4 } });
      assert.equal(await b.schedules.markStarted('item:app', slot, 'B', t(1)), false, 'not the holder');
      assert.equal(await a.schedules.markStarted('item:app', slot, 'A', t(1)), true);
      assert.equal(await a.schedules.markStarted('item:app', slot, 'A', t(1)), false, 'already running');
      assert.equal(await a.schedules.markFinished('item:app', slot, 'B', 'ok'), false);
      assert.equal(await a.schedules.lastSuccess('item:app'), undefined);
      assert.equal(
        await a.schedules.markFinished('item:app', slot, 'A', 'ok', { skipped: 4, snapshots: 1 }, t(2)),
        true,
      );
      assert.equal(await a.schedules.markFinished('item:app', slot, 'A', 'failed', {}, t(3)), false, 'finished once');
      const row = await b.schedules.lastSuccess('item:app');
      assert.equal(row?.status, 'ok');
      assert.equal(row?.startedAt, t(1).toISOString());
      assert.equal(row?.finishedAt, t(2).toISOString());
      assert.deepEqual(row?.details, { skipped: 4, snapshots: 1 });
    });

    it('puts a blocked run back to claimed, and lets another replica take over a lapsed claim by CAS', async (tc) => {
      const { a, b } = await fresh(tc);
      await a.schedules.claim('tier:0', slot, 'A', { dueAt: slot, at: t(0) });
      await a.schedules.markStarted('tier:0', slot, 'A', t(1));
      assert.equal(await a.schedules.markBlocked('tier:0', slot, 'A', { blocked: 'repository is locked' }), true);
      let row = await a.schedules.get('tier:0', slot);
      assert.equal(row?.status, 'claimed');
      assert.equal(row?.startedAt, null);
      assert.equal(await a.schedules.heartbeat('tier:0', slot, 'A', t(5)), true);
      assert.equal(await b.schedules.heartbeat('tier:0', slot, 'B', t(5)), false);
      row = await b.schedules.get('tier:0', slot);
      assert.equal(row?.claimedAt, t(5).toISOString());
      // B read claimed_at before A's heartbeat: its take-over loses.
      assert.equal(await b.schedules.takeOver('tier:0', slot, 'B', t(0).toISOString(), t(9)), false);
      const [one, two] = await Promise.all([
        b.schedules.takeOver('tier:0', slot, 'B', t(5).toISOString(), t(9)),
        a.schedules.takeOver('tier:0', slot, 'C', t(5).toISOString(), t(9)),
      ]);
      assert.equal(Number(one) + Number(two), 1, 'one take-over wins');
      const holder = (await a.schedules.get('tier:0', slot))?.claimedBy;
      assert.ok(holder === 'B' || holder === 'C');
      assert.equal(await a.schedules.markFinished('tier:0', slot, 'A', 'ok'), false, 'the old holder lost it');
      assert.equal(await a.schedules.markFinished('tier:0', slot, holder, 'failed', { error: 'x' }), true);
      const last = await b.schedules.get('tier:0', slot);
      assert.equal(await b.schedules.takeOver('tier:0', slot, 'D', last?.claimedAt ?? '', t(20)), false, 'finished');
    });

    it('raises the late alert and the escalation once across replicas', async (tc) => {
      const { a, b } = await fresh(tc);
      await a.schedules.claim('drift:prod', slot, 'A', { dueAt: slot });
      const late = await Promise.all([
        a.schedules.markLateAlerted('drift:prod', slot, t(1)),
        b.schedules.markLateAlerted('drift:prod', slot, t(1)),
      ]);
      assert.deepEqual(late.filter(Boolean), [true]);
      assert.equal(await a.schedules.markLateAlerted('drift:prod', slot), false);
      const esc = await Promise.all([
        a.schedules.markEscalated('drift:prod', slot, t(2)),
        b.schedules.markEscalated('drift:prod', slot, t(2)),
      ]);
      assert.deepEqual(esc.filter(Boolean), [true]);
      const row = await b.schedules.get('drift:prod', slot);
      assert.equal(row?.lateAlertedAt, t(1).toISOString());
      assert.equal(row?.escalatedAt, t(2).toISOString());
      assert.equal(await a.schedules.markLateAlerted('drift:none', slot), false, 'no such row');
    });
  });
}
