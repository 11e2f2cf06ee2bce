import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCairnError } from '../errors/index.js';
import type { DrillGapFound, DrillRecord, DrillResult } from './index.js';
import { catalogTargets, freshCatalogs } from './test-support.js';

const result: DrillResult = {
  items: [
    {
      item: 'payments-api-config',
      tier: 'gold',
      snapshotId: 'a'.repeat(64),
      stateAt: '2026-11-29T08:00:00.000Z',
      rpoMs: 3_600_000,
      rpoSlaMs: 14_400_000,
      rtoSlaMs: 1_800_000,
      restoreMs: 1234,
      files: 3,
      bytes: 4567,
      ok: true,
    },
  ],
  validators: [
    {
      index: 0,
      kind: 'run',
      item: 'payments-api-config',
      label: 'nginx -t',
      ok: false,
      durationMs: 50,
      output: 'bad',
      exitCode: 1,
    },
  ],
  gaps: [{ item: 'payments-api-config', category: 'validator-failed', key: 'run:0', message: 'nginx -t exited 1' }],
  sandbox: { path: '/tmp/sandbox', isolated: true, cleaned: true },
};

function drill(fields: Partial<DrillRecord> = {}): DrillRecord {
  return {
    id: 'dr-0123456789abcdef0123',
    plan: 'quarterly-prod',
    kind: 'drill',
    environment: 'prod',
    trigger: 'manual',
    actor: 'alice@acme.example',
    startedAt: '2026-11-29T10:00:00+01:00',
    finishedAt: null,
    status: 'running',
    rtoMs: null,
    restoreMs: null,
    validateMs: null,
    rpoMs: null,
    rtoSlaMs: null,
    rpoSlaMs: null,
    withinSla: null,
    signoffRequired: ['operations', 'security'],
    result: null,
    ...fields,
  };
}

const finished = {
  finishedAt: '2026-11-29T09:05:00.000Z',
  status: 'awaiting-signoff' as const,
  rtoMs: 300_000,
  restoreMs: 200_000,
  validateMs: 100_000,
  rpoMs: 3_600_000,
  rtoSlaMs: 1_800_000,
  rpoSlaMs: 14_400_000,
  withinSla: true,
  result,
};

const gap = (item: string, key: string, message = `${key} failed`): DrillGapFound => ({
  item,
  category: 'validator-failed',
  key,
  message,
});

for (const target of catalogTargets) {
  describe(`drill records (${target.dialect})`, () => {
    it('stores a drill exactly, finishes it once from running, and refuses the same id twice', async (tc) => {
      const [c] = await freshCatalogs(target, tc);
      await c.drills.insert(drill());
      assert.deepEqual(await c.drills.get('dr-0123456789abcdef0123'), drill({ startedAt: '2026-11-29T09:00:00.000Z' }));
      await assert.rejects(c.drills.insert(drill()), (e) => isCairnError(e, 'CAIRN_E_EXISTS'));
      assert.equal(await c.drills.finish('dr-0123456789abcdef0123', finished), true);
      assert.equal(await c.drills.finish('dr-0123456789abcdef0123', { ...finished, status: 'failed' }), false);
      assert.equal(await c.drills.finish('dr-nosuchdrill0000000000', finished), false);
      const stored = await c.drills.get('dr-0123456789abcdef0123');
      assert.deepEqual(stored, { ...drill({ startedAt: '2026-11-29T09:00:00.000Z' }), ...finished });
      assert.equal(stored?.withinSla, true);
      await c.drills.insert(drill({ id: 'dr-ffff', ...finished, withinSla: false, status: 'failed' }));
      assert.equal((await c.drills.get('dr-ffff'))?.withinSla, false);
    });

    it('refuses a second running drill of one plan, also from another connection at once', async (tc) => {
      const [a, b] = await freshCatalogs(target, tc);
      const results = await Promise.allSettled([
        a.drills.insert(drill({ id: 'dr-1111' })),
        b.drills.insert(drill({ id: 'dr-2222' })),
      ]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'exactly one runs');
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.ok(
        isCairnError(refused.reason, 'CAIRN_E_REPO_LOCKED') &&
          /quarterly-prod is running already/.test(refused.reason.message),
        String(refused.reason),
      );
      const winner = results[0]!.status === 'fulfilled' ? 'dr-1111' : 'dr-2222';
      assert.equal(await a.drills.finish(winner, finished), true);
      await a.drills.insert(drill({ id: 'dr-3333' })); // the plan is free again
      await a.drills.insert(drill({ id: 'dr-4444', plan: 'weekly-dev' })); // another plan runs beside it
    });

    it('finds a drill by a unique prefix of 6 characters or more, and says when it is ambiguous', async (tc) => {
      const [c] = await freshCatalogs(target, tc);
      await c.drills.insert(drill({ id: 'dr-aaaa11' }));
      await c.drills.insert(drill({ id: 'dr-aaaa22', plan: 'monthly-staging' }));
      await c.drills.insert(drill({ id: 'dr-aaaa2233', plan: 'weekly-dev' }));
      assert.equal((await c.drills.get('dr-aaaa1'))?.id, 'dr-aaaa11');
      assert.equal((await c.drills.get(' DR-AAAA1 '))?.id, 'dr-aaaa11', 'trimmed, case-insensitive');
      assert.equal((await c.drills.get('dr-aaaa22'))?.id, 'dr-aaaa22', 'a full id wins over longer ids it prefixes');
      assert.equal(await c.drills.get('dr-bbbb'), undefined);
      await assert.rejects(
        c.drills.get('dr-aaaa'),
        (e) => isCairnError(e, 'CAIRN_E_AMBIGUOUS') && /dr-aaaa11, dr-aaaa22/.test(e.message),
      );
      await assert.rejects(
        c.drills.get('dr-aa'),
        (e) => isCairnError(e, 'CAIRN_E_USAGE') && /6 characters/.test(e.message),
      );
      await assert.rejects(c.drills.get('dr-aaaa 1'), (e) => isCairnError(e, 'CAIRN_E_USAGE'));
    });

    it('lists newest first by plan, status and time, and gives the latest drill of each plan', async (tc) => {
      const [c] = await freshCatalogs(target, tc);
      const at = (h: number) => `2026-11-${String(h).padStart(2, '0')}T10:00:00.000Z`;
      await c.drills.insert(drill({ id: 'dr-000001', plan: 'a', startedAt: at(1), status: 'passed' }));
      await c.drills.insert(drill({ id: 'dr-000002', plan: 'a', startedAt: at(2), status: 'failed' }));
      await c.drills.insert(drill({ id: 'dr-000003', plan: 'b', startedAt: at(3), status: 'passed' }));
      await c.drills.insert(drill({ id: 'dr-000004', plan: 'b', startedAt: at(3), status: 'running' }));
      const ids = (rs: DrillRecord[]) => rs.map((r) => r.id);
      assert.deepEqual(ids(await c.drills.list()), ['dr-000004', 'dr-000003', 'dr-000002', 'dr-000001']);
      assert.deepEqual(ids(await c.drills.list({ plan: 'a' })), ['dr-000002', 'dr-000001']);
      assert.deepEqual(ids(await c.drills.list({ status: 'passed' })), ['dr-000003', 'dr-000001']);
      assert.deepEqual(ids(await c.drills.list({ since: new Date(at(2)), until: new Date(at(3)) })), ['dr-000002']);
      assert.deepEqual(ids(await c.drills.list({ limit: 1 })), ['dr-000004']);
      await assert.rejects(c.drills.list({ limit: 0 }), (e) => isCairnError(e, 'CAIRN_E_USAGE'));
      await assert.rejects(c.drills.list({ since: new Date('nope') }), (e) => isCairnError(e, 'CAIRN_E_USAGE'));
      assert.deepEqual(ids(await c.drills.latestPerPlan()), ['dr-000002', 'dr-000004']);
    });

    it('changes a status only from the expected one', async (tc) => {
      const [a, b] = await freshCatalogs(target, tc, 2);
      await a.drills.insert(drill({ ...finished }));
      assert.equal(await a.drills.setStatus(drill().id, 'running', 'failed'), false);
      const both = await Promise.all([
        a.drills.setStatus(drill().id, 'awaiting-signoff', 'passed'),
        b.drills.setStatus(drill().id, 'awaiting-signoff', 'passed'),
      ]);
      assert.deepEqual(both.filter(Boolean), [true]);
      assert.equal((await b.drills.get(drill().id))?.status, 'passed');
    });

    it('takes one sign-off per team and one per person, and says which one refused', async (tc) => {
      const [a, b] = await freshCatalogs(target, tc, 2);
      const id = drill().id;
      const at = '2026-11-29T11:00:00Z';
      assert.equal(await a.drills.addSignoff({ drillId: id, team: 'operations', subject: 'alice', at }), 'ok');
      assert.equal(await a.drills.addSignoff({ drillId: id, team: 'operations', subject: 'bob', at }), 'team-signed');
      assert.equal(
        await a.drills.addSignoff({ drillId: id, team: 'security', subject: 'alice', at }),
        'subject-signed',
      );
      assert.equal(await a.drills.addSignoff({ drillId: id, team: 'operations', subject: 'alice', at }), 'team-signed');
      assert.equal(await a.drills.addSignoff({ drillId: 'dr-other', team: 'operations', subject: 'alice', at }), 'ok');
      // Racing replicas: the same person for two teams, two people for one team.
      const race = await Promise.all([
        a.drills.addSignoff({ drillId: 'dr-race', team: 'operations', subject: 'carol', at }),
        b.drills.addSignoff({ drillId: 'dr-race', team: 'security', subject: 'carol', at }),
        a.drills.addSignoff({ drillId: 'dr-race2', team: 'security', subject: 'dave', at }),
        b.drills.addSignoff({ drillId: 'dr-race2', team: 'security', subject: 'erin', at }),
      ]);
      assert.deepEqual([...race.slice(0, 2)].sort(), ['ok', 'subject-signed']);
      assert.deepEqual([...race.slice(2)].sort(), ['ok', 'team-signed']);
      assert.deepEqual(await b.drills.signoffs(id), [
        { drillId: id, team: 'operations', subject: 'alice', at: '2026-11-29T11:00:00.000Z' },
      ]);
      assert.deepEqual(await b.drills.signoffs('dr-none'), []);
    });

    it('opens gaps, refreshes them while found again, closes them when not, and opens anew after', async (tc) => {
      const [c] = await freshCatalogs(target, tc);
      for (let i = 1; i <= 6; i++) await c.drills.insert(drill({ id: `dr-${i}`, ...finished }));
      const items = ['api', 'db'];
      const first = await c.drills.recordGaps(
        'dr-1',
        items,
        [gap('api', 'run:0'), gap('db', 'schema'), gap('api', 'run:0')],
        '2026-11-01T00:00:00Z',
      );
      assert.deepEqual(
        first.opened.map((g) => [g.item, g.key, g.firstDrill, g.lastDrill, g.openedAt, g.closedAt]),
        [
          ['api', 'run:0', 'dr-1', 'dr-1', '2026-11-01T00:00:00.000Z', null],
          ['db', 'schema', 'dr-1', 'dr-1', '2026-11-01T00:00:00.000Z', null],
        ],
      );
      assert.equal(typeof first.opened[0]?.id, 'number');
      assert.deepEqual(first.closed, []);

      // A drill of api alone: api's gap found again (refreshed), db's left alone (not drilled).
      const second = await c.drills.recordGaps(
        'dr-2',
        ['api'],
        [gap('api', 'run:0', 'still failing')],
        '2026-11-02T00:00:00Z',
      );
      assert.deepEqual(second, { opened: [], closed: [] });
      let open = await c.drills.gaps({ open: true });
      assert.deepEqual(
        open.map((g) => [g.item, g.firstDrill, g.lastDrill, g.message]),
        [
          ['api', 'dr-1', 'dr-2', 'still failing'],
          ['db', 'dr-1', 'dr-1', 'schema failed'],
        ],
      );

      // Both drilled, only db's gap found: api's closes.
      const third = await c.drills.recordGaps('dr-3', items, [gap('db', 'schema')], '2026-11-03T00:00:00Z');
      assert.deepEqual(third.opened, []);
      assert.deepEqual(
        third.closed.map((g) => [g.item, g.key, g.closedAt, g.closedByDrill, g.lastDrill]),
        [['api', 'run:0', '2026-11-03T00:00:00.000Z', 'dr-3', 'dr-2']],
      );
      // Found again later: a new gap, the closed one stays closed.
      const fourth = await c.drills.recordGaps('dr-4', ['api'], [gap('api', 'run:0')], '2026-11-04T00:00:00Z');
      assert.equal(fourth.opened.length, 1);
      assert.notEqual(fourth.opened[0]?.id, first.opened[0]?.id);
      assert.equal((await c.drills.gaps({ item: 'api' })).length, 2);
      assert.deepEqual(
        (await c.drills.gaps({ item: 'api', open: false })).map((g) => g.closedByDrill),
        ['dr-3'],
      );
      open = await c.drills.gaps({ open: true });
      assert.deepEqual(
        open.map((g) => `${g.item}:${g.firstDrill}`),
        ['api:dr-4', 'db:dr-1'],
      );
      assert.deepEqual(await c.drills.recordGaps('dr-5', [], [], '2026-11-05T00:00:00Z'), { opened: [], closed: [] });
      await assert.rejects(c.drills.recordGaps('dr-6', [], [], 'yesterday'), (e) => isCairnError(e, 'CAIRN_E_CATALOG'));
    });

    it('closes a gap only by a drill of the plan that last found it; another plan refreshes it', async (tc) => {
      const [c] = await freshCatalogs(target, tc);
      const plans: [string, string][] = [
        ['dr-exit1-1', 'exit1'],
        ['dr-hang-1', 'hang'],
        ['dr-prodok-1', 'prod-ok'],
        ['dr-exit1-2', 'exit1'],
        ['dr-hang-2', 'hang'],
        ['dr-hang-3', 'hang'],
      ];
      for (const [id, plan] of plans) await c.drills.insert(drill({ id, plan, ...finished }));
      const baseline: DrillGapFound = {
        item: 'web-prod',
        category: 'missing-baseline',
        key: 'release:9.9',
        message: 'no snapshot',
      };
      await c.drills.recordGaps(
        'dr-exit1-1',
        ['web-prod'],
        [gap('web-prod', 'run:0'), baseline],
        '2026-11-01T00:00:00Z',
      );
      // Plans that never run exit1's validator nor compare with release:9.9 close nothing.
      assert.deepEqual(await c.drills.recordGaps('dr-hang-1', ['web-prod'], [], '2026-11-02T00:00:00Z'), {
        opened: [],
        closed: [],
      });
      assert.deepEqual(await c.drills.recordGaps('dr-prodok-1', ['web-prod'], [], '2026-11-03T00:00:00Z'), {
        opened: [],
        closed: [],
      });
      assert.equal((await c.drills.gaps({ open: true })).length, 2);
      // Found again by another plan: refreshed (lastDrill moves on), still open; now that plan closes it.
      await c.drills.recordGaps('dr-hang-2', ['web-prod'], [gap('web-prod', 'run:0')], '2026-11-04T00:00:00Z');
      // exit1 no longer finds either: it closes the baseline gap it last found, not the one hang last found.
      const again = await c.drills.recordGaps('dr-exit1-2', ['web-prod'], [], '2026-11-05T00:00:00Z');
      assert.deepEqual(
        again.closed.map((g) => [g.key, g.lastDrill, g.closedByDrill]),
        [['release:9.9', 'dr-exit1-1', 'dr-exit1-2']],
      );
      const byHang = await c.drills.recordGaps('dr-hang-3', ['web-prod'], [], '2026-11-06T00:00:00Z');
      assert.deepEqual(
        byHang.closed.map((g) => [g.key, g.firstDrill, g.lastDrill, g.closedByDrill]),
        [['run:0', 'dr-exit1-1', 'dr-hang-2', 'dr-hang-3']],
      );
      // A drill that is not on record closes nothing.
      await c.drills.recordGaps('dr-exit1-1', ['web-prod'], [gap('web-prod', 'run:1')], '2026-11-07T00:00:00Z');
      assert.deepEqual((await c.drills.recordGaps('dr-unknown', ['web-prod'], [], '2026-11-08T00:00:00Z')).closed, []);
    });

    it('keeps one open gap when drills of the same item record it at once', async (tc) => {
      // SQLite: one connection per process (see openCatalog); PostgreSQL: two replicas.
      const [a, b] = await freshCatalogs(target, tc, target.dialect === 'postgres' ? 2 : 1);
      const runs = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? a : b).drills.recordGaps(`dr-${i}`, ['api'], [gap('api', 'run:0')], '2026-11-01T00:00:00Z'),
        ),
      );
      assert.equal(
        runs.reduce((n, r) => n + r.opened.length, 0),
        1,
      );
      assert.equal((await a.drills.gaps({ open: true })).length, 1);
    });
  });
}
