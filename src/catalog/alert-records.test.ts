import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCairnError } from '../errors/index.js';
import type { AlertRaise, Catalog } from './index.js';
import { catalogTargets, freshCatalogs } from './test-support.js';

const t0 = Date.parse('2026-11-29T10:00:00.000Z');
const t = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();

let sequence = 0;
function raise(fields: Partial<AlertRaise> = {}): AlertRaise {
  sequence += 1;
  return {
    id: `al-${sequence.toString(16).padStart(16, '0')}`,
    dedupKey: 'backup-failed:api@prod',
    kind: 'backup-failed',
    category: 'failure',
    severity: 'warning',
    summary: 'api failed twice',
    details: { failures: 2 },
    at: t(0),
    ...fields,
  };
}

for (const target of catalogTargets) {
  describe(`alert records (${target.dialect})`, () => {
    it('raises once per dedup key, counting repeats, keeping the highest severity, until resolved', async (tc) => {
      const [c] = await freshCatalogs(target, tc);
      const first = await c.alerts.raise(raise({ at: '2026-11-29T11:00:00+01:00' }));
      assert.equal(first.created, true);
      assert.deepEqual(first.alert, {
        id: first.alert.id,
        dedupKey: 'backup-failed:api@prod',
        kind: 'backup-failed',
        category: 'failure',
        severity: 'warning',
        summary: 'api failed twice',
        details: { failures: 2 },
        state: 'open',
        count: 1,
        raisedAt: t(0),
        lastRaisedAt: t(0),
        ackedAt: null,
        ackedBy: null,
        escalatedAt: null,
        resolvedAt: null,
      });
      const again = await c.alerts.raise(raise({ severity: 'critical', summary: 'api failed 3 times', at: t(60) }));
      assert.equal(again.created, false);
      assert.equal(again.alert.id, first.alert.id);
      assert.equal(again.alert.count, 2);
      assert.equal(again.alert.severity, 'critical');
      assert.equal(again.alert.summary, 'api failed 3 times');
      assert.equal(again.alert.raisedAt, t(0));
      assert.equal(again.alert.lastRaisedAt, t(60));
      const lower = await c.alerts.raise(raise({ severity: 'info', at: t(30) }));
      assert.equal(lower.alert.severity, 'critical', 'never lowered');
      assert.equal(lower.alert.lastRaisedAt, t(60), 'an older raise does not move lastRaisedAt back');
      assert.equal((await c.alerts.raise(raise({ severity: 'warning', at: t(70) }))).alert.severity, 'critical');
      assert.equal((await c.alerts.byDedupKey('backup-failed:api@prod'))?.count, 4);
      const info = await c.alerts.raise(raise({ dedupKey: 'k2', severity: 'info' }));
      assert.equal((await c.alerts.raise(raise({ dedupKey: 'k2', severity: 'warning' }))).alert.severity, 'warning');
      assert.equal(info.created, true);

      assert.equal((await c.alerts.resolve(first.alert.id, t(100)))?.state, 'resolved');
      assert.equal(await c.alerts.byDedupKey('backup-failed:api@prod'), undefined);
      const next = await c.alerts.raise(raise({ at: t(200) }));
      assert.equal(next.created, true, 'a raise after resolve is a new alert');
      assert.notEqual(next.alert.id, first.alert.id);
      assert.equal(next.alert.count, 1);
      assert.equal((await c.alerts.get(first.alert.id))?.state, 'resolved');
      await assert.rejects(c.alerts.raise(raise({ at: 'soon' })), (e) => isCairnError(e, 'CAIRN_E_CATALOG'));
    });

    it('makes one alert of raises from several replicas at once, counting every one', async (tc) => {
      const [a, b] = await freshCatalogs(target, tc, 2);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).alerts.raise(raise({ dedupKey: 'race', at: t(i) }))),
      );
      assert.equal(results.filter((r) => r.created).length, 1);
      const alert = await a.alerts.byDedupKey('race');
      assert.equal(alert?.count, 8);
      assert.equal(alert?.lastRaisedAt, t(7));
      assert.equal((await a.alerts.list()).length, 1);
    });

    it('finds alerts by prefix and lists them newest first by state and time', async (tc) => {
      const [c] = await freshCatalogs(target, tc);
      const one = (await c.alerts.raise(raise({ id: 'al-aaaa000000000001', dedupKey: 'a', at: t(1) }))).alert;
      const two = (await c.alerts.raise(raise({ id: 'al-aaaa000000000002', dedupKey: 'b', at: t(2) }))).alert;
      const three = (await c.alerts.raise(raise({ id: 'al-bbbb000000000003', dedupKey: 'c', at: t(3) }))).alert;
      assert.equal((await c.alerts.get('al-bbbb'))?.id, three.id);
      assert.equal(await c.alerts.get('al-cccc'), undefined);
      await assert.rejects(c.alerts.get('al-aaaa'), (e) => isCairnError(e, 'CAIRN_E_AMBIGUOUS'));
      await assert.rejects(
        c.alerts.get('al-a'),
        (e) => isCairnError(e, 'CAIRN_E_USAGE') && /"al-a" is not an alert id/.test(e.message),
      );
      await c.alerts.ack(two.id, 'alice', t(10));
      await c.alerts.resolve(three.id, t(11));
      const ids = async (f?: Parameters<Catalog['alerts']['list']>[0]) => (await c.alerts.list(f)).map((a) => a.id);
      assert.deepEqual(await ids(), [three.id, two.id, one.id]);
      assert.deepEqual(await ids({ state: 'open' }), [one.id]);
      assert.deepEqual(await ids({ state: ['open', 'acknowledged'] }), [two.id, one.id]);
      assert.deepEqual(await ids({ state: [] }), []);
      assert.deepEqual(await ids({ since: new Date(t(2)), until: new Date(t(3)) }), [two.id]);
      assert.deepEqual(await ids({ limit: 2 }), [three.id, two.id]);
      await assert.rejects(c.alerts.list({ limit: -1 }), (e) => isCairnError(e, 'CAIRN_E_USAGE'));
    });

    it('acknowledges, resolves and escalates by compare-and-set', async (tc) => {
      const [a, b] = await freshCatalogs(target, tc, 2);
      const x = (await a.alerts.raise(raise({ dedupKey: 'x', at: t(0) }))).alert;
      const y = (await a.alerts.raise(raise({ dedupKey: 'y', at: t(5) }))).alert;
      const z = (await a.alerts.raise(raise({ dedupKey: 'z', at: t(50) }))).alert;
      assert.deepEqual(
        (await a.alerts.dueForEscalation(t(10))).map((r) => r.id),
        [x.id, y.id],
      );
      const acks = await Promise.all([a.alerts.ack(y.id, 'alice', t(6)), b.alerts.ack(y.id, 'bob', t(6))]);
      assert.equal(acks.filter(Boolean).length, 1);
      const acked = await a.alerts.get(y.id);
      assert.equal(acked?.state, 'acknowledged');
      assert.equal(acked?.ackedAt, t(6));
      assert.ok(acked?.ackedBy === 'alice' || acked?.ackedBy === 'bob');
      assert.equal(await a.alerts.markEscalated(y.id, t(20)), false, 'acknowledged: not escalated');
      assert.deepEqual(
        (await a.alerts.dueForEscalation(t(60))).map((r) => r.id),
        [x.id, z.id],
      );
      const esc = await Promise.all([a.alerts.markEscalated(x.id, t(20)), b.alerts.markEscalated(x.id, t(20))]);
      assert.deepEqual(esc.filter(Boolean), [true]);
      assert.equal((await b.alerts.get(x.id))?.escalatedAt, t(20));
      assert.deepEqual(
        (await a.alerts.dueForEscalation(t(60))).map((r) => r.id),
        [z.id],
      );
      assert.equal((await a.alerts.resolve(y.id, t(30)))?.resolvedAt, t(30), 'acknowledged → resolved');
      assert.equal(await a.alerts.resolve(y.id, t(31)), undefined, 'resolved once');
      assert.equal(await a.alerts.ack(y.id, 'alice', t(32)), undefined, 'a resolved alert is not acknowledged');
      assert.equal(await a.alerts.ack('al-missing', 'alice', t(32)), undefined);
      assert.equal((await a.alerts.resolve(z.id, t(33)))?.state, 'resolved', 'open → resolved');
      assert.equal(await a.alerts.markEscalated(z.id, t(34)), false, 'resolved: not escalated');
    });

    it('queues deliveries, leases due ones, and records attempts until delivered or given up', async (tc) => {
      const [c] = await freshCatalogs(target, tc);
      await c.alerts.enqueue([
        { alertId: 'al-1', sink: 'slack', event: 'trigger', at: t(0) },
        { alertId: 'al-1', sink: 'email', event: 'trigger', at: t(0) },
        { alertId: 'al-2', sink: 'slack', event: 'trigger', at: t(100) },
      ]);
      await c.alerts.enqueue([]);
      const claimed = await c.alerts.claimDue(t(10), 10, 60_000);
      assert.deepEqual(
        claimed.map((d) => [d.alertId, d.sink, d.event, d.status, d.attempts, d.nextAttemptAt]),
        [
          ['al-1', 'slack', 'trigger', 'pending', 0, t(70)],
          ['al-1', 'email', 'trigger', 'pending', 0, t(70)],
        ],
      );
      assert.deepEqual(await c.alerts.claimDue(t(20), 10, 60_000), [], 'leased');
      const [slack, email] = claimed;
      assert.ok(slack && email);
      await c.alerts.deliveryDone(slack.id, { ok: true, at: t(11) });
      await c.alerts.deliveryDone(email.id, { ok: false, error: '451 try later', nextAttemptAt: t(40) });
      await c.alerts.deliveryDone(slack.id, { ok: false, error: 'late echo', nextAttemptAt: t(50) });
      let rows = await c.alerts.deliveries('al-1');
      assert.deepEqual(
        rows.map((d) => [d.sink, d.status, d.attempts, d.lastError, d.deliveredAt, d.nextAttemptAt]),
        [
          ['slack', 'delivered', 1, null, t(11), t(70)],
          ['email', 'pending', 1, '451 try later', null, t(40)],
        ],
      );
      assert.deepEqual(
        (await c.alerts.claimDue(t(100), 1, 1000)).map((d) => d.id),
        [email.id],
        'oldest due first, up to the limit',
      );
      await c.alerts.deliveryDone(email.id, { ok: false, error: '550 no such user', nextAttemptAt: null });
      rows = await c.alerts.deliveries('al-1');
      assert.deepEqual(
        rows.map((d) => [d.status, d.attempts]),
        [
          ['delivered', 1],
          ['failed', 2],
        ],
      );
      assert.deepEqual(
        (await c.alerts.claimDue(t(200), 10, 0)).map((d) => d.alertId),
        ['al-2'],
      );
      assert.deepEqual(await c.alerts.deliveries('al-none'), []);
      await assert.rejects(c.alerts.claimDue(t(0), 0, 1000), (e) => isCairnError(e, 'CAIRN_E_USAGE'));
      await assert.rejects(c.alerts.claimDue(t(0), 5, -1), (e) => isCairnError(e, 'CAIRN_E_USAGE'));
      await assert.rejects(c.alerts.claimDue('now', 5, 1), (e) => isCairnError(e, 'CAIRN_E_CATALOG'));
    });

    it('never hands one delivery to two concurrent claimers', async (tc) => {
      // SQLite: one connection per process (see openCatalog), its transactions one at a time;
      // PostgreSQL: two replicas on one database.
      const [a, b] = await freshCatalogs(target, tc, target.dialect === 'postgres' ? 2 : 1);
      const n = 60;
      await a.alerts.enqueue(
        Array.from({ length: n }, (_, i) => ({ alertId: `al-${i}`, sink: 's', event: 'trigger' as const, at: t(0) })),
      );
      const seen: number[][] = [[], []];
      const claimer = async (c: Catalog, into: number[]) => {
        for (let round = 0; round < 20; round++) {
          for (const d of await c.alerts.claimDue(t(1), 7, 600_000)) into.push(d.id);
        }
      };
      await Promise.all([claimer(a, seen[0] ?? []), claimer(b, seen[1] ?? []), claimer(a, seen[0] ?? [])]);
      const all = [...(seen[0] ?? []), ...(seen[1] ?? [])];
      assert.equal(new Set(all).size, all.length, 'no delivery claimed twice');
      assert.equal(all.length, n, 'every due delivery claimed');
    });
  });
}
