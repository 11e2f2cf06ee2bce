import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { isCairnError } from '../errors/index.js';
import { newestPerGroup } from './coverage-queries.js';
import { type CanaryRun, openCatalog } from './index.js';
import type { CatalogDatabase } from './schema.js';
import { catalogTargets, freshCatalogs, snapshotRecord, verificationRecord } from './test-support.js';

const t = (minutes: number) => new Date(Date.parse('2026-11-29T10:00:00.000Z') + minutes * 60_000).toISOString();

function canaryRun(fields: Partial<CanaryRun> = {}): CanaryRun {
  return {
    id: 'cr-1',
    startedAt: t(0),
    finishedAt: t(1),
    ok: true,
    latencyMs: 60_000,
    phases: { change: 5, snapshot: 30_000, restore: 20_000, verify: 9_995 },
    snapshotId: 'c'.repeat(64),
    error: null,
    ...fields,
  };
}

for (const target of catalogTargets) {
  describe(`monitoring stores (${target.dialect})`, () => {
    it('counts consecutive backup failures per item and environment, and resets them on success', async (tc) => {
      const [c] = await freshCatalogs(target, tc);
      const h = c.health;
      assert.deepEqual(
        await h.recordOutcome({ item: 'api', environment: 'prod', ok: false, at: t(0), error: 'timeout' }),
        {
          consecutiveFailures: 1,
          lastSuccessAt: null,
        },
      );
      assert.deepEqual(await h.recordOutcome({ item: 'api', environment: 'prod', ok: false, at: t(1) }), {
        consecutiveFailures: 2,
        lastSuccessAt: null,
      });
      // No environment is its own key, not prod's.
      assert.equal(
        (await h.recordOutcome({ item: 'api', environment: null, ok: false, at: t(1) })).consecutiveFailures,
        1,
      );
      assert.deepEqual(await h.recordOutcome({ item: 'api', environment: 'prod', ok: true, at: t(2) }), {
        consecutiveFailures: 0,
        lastSuccessAt: t(2),
      });
      assert.deepEqual(await h.recordOutcome({ item: 'api', environment: 'prod', ok: false, at: t(3), error: 'x' }), {
        consecutiveFailures: 1,
        lastSuccessAt: t(2),
      });
      await h.recordOutcome({ item: 'db', environment: 'prod', ok: true, at: '2026-11-29T11:00:00+01:00' });
      assert.deepEqual(await h.list(), [
        {
          item: 'api',
          environment: null,
          consecutiveFailures: 1,
          lastFailureAt: t(1),
          lastSuccessAt: null,
          lastError: 'failed',
        },
        {
          item: 'api',
          environment: 'prod',
          consecutiveFailures: 1,
          lastFailureAt: t(3),
          lastSuccessAt: t(2),
          lastError: 'x',
        },
        {
          item: 'db',
          environment: 'prod',
          consecutiveFailures: 0,
          lastFailureAt: null,
          lastSuccessAt: t(0),
          lastError: null,
        },
      ]);
      await assert.rejects(h.recordOutcome({ item: 'db', environment: null, ok: true, at: 'now' }), (e) =>
        isCairnError(e, 'CAIRN_E_CATALOG'),
      );
    });

    it('loses no failure when replicas record outcomes of one item at once', async (tc) => {
      const [a, b] = await freshCatalogs(target, tc, 2);
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? a : b).health.recordOutcome({ item: 'api', environment: 'prod', ok: false, at: t(i) }),
        ),
      );
      assert.equal((await a.health.list())[0]?.consecutiveFailures, 10);
    });

    it('records canary runs and lists them newest first', async (tc) => {
      const [c] = await freshCatalogs(target, tc);
      await c.canary.insert(canaryRun());
      await c.canary.insert(
        canaryRun({
          id: 'cr-2',
          startedAt: t(15),
          finishedAt: t(16),
          ok: false,
          snapshotId: null,
          error: 'restore differed',
        }),
      );
      await c.canary.insert(canaryRun({ id: 'cr-3', startedAt: '2026-11-29T11:30:00+01:00', finishedAt: t(31) }));
      await assert.rejects(c.canary.insert(canaryRun()), (e) => isCairnError(e, 'CAIRN_E_EXISTS'));
      const runs = await c.canary.list();
      assert.deepEqual(
        runs.map((r) => [r.id, r.startedAt, r.ok]),
        [
          ['cr-3', t(30), true],
          ['cr-2', t(15), false],
          ['cr-1', t(0), true],
        ],
      );
      assert.deepEqual(runs[2], canaryRun());
      assert.deepEqual(runs[1]?.error, 'restore differed');
      assert.deepEqual(
        (await c.canary.list(1)).map((r) => r.id),
        ['cr-3'],
      );
      await assert.rejects(c.canary.list(0), (e) => isCairnError(e, 'CAIRN_E_USAGE'));
    });

    it('finds the newest complete snapshot and the newest capture of each item and environment', async (tc) => {
      const [c] = await freshCatalogs(target, tc);
      assert.deepEqual(await c.coverage.latestCaptures(), []);
      const apiOld = snapshotRecord({ item: 'api', environment: 'prod', time: t(0) });
      const apiNew = snapshotRecord({ item: 'api', environment: 'prod', time: t(10) });
      const apiPartial = snapshotRecord({ item: 'api', environment: 'prod', time: t(20), status: 'partial' });
      const apiStaging = snapshotRecord({ item: 'api', environment: 'staging', time: t(5) });
      const bare = snapshotRecord({ item: 'bare', environment: null, time: t(1) });
      const onlyPartial = snapshotRecord({ item: 'flaky', environment: 'prod', time: t(1), status: 'partial' });
      for (const s of [apiOld, apiNew, apiPartial, apiStaging, bare, onlyPartial]) await c.putSnapshot(s);
      const verified = verificationRecord(apiNew, { time: t(30) });
      await c.putVerification(verificationRecord(apiNew, { time: t(25) }));
      await c.putVerification(verified);
      await c.putVerification(verificationRecord(apiOld, { environment: 'staging', time: t(2) })); // older than staging's snapshot
      const bareVerified = verificationRecord(bare, { time: t(40) });
      await c.putVerification(bareVerified);
      assert.deepEqual(await c.coverage.latestCaptures(), [
        {
          item: 'api',
          environment: 'prod',
          snapshotId: apiNew.id,
          snapshotAt: t(10),
          captureId: verified.id,
          captureAt: t(30),
          captureKind: 'verification',
        },
        {
          item: 'api',
          environment: 'staging',
          snapshotId: apiStaging.id,
          snapshotAt: t(5),
          captureId: apiStaging.id,
          captureAt: t(5),
          captureKind: 'snapshot',
        },
        {
          item: 'bare',
          environment: null,
          snapshotId: bare.id,
          snapshotAt: t(1),
          captureId: bareVerified.id,
          captureAt: t(40),
          captureKind: 'verification',
        },
      ]);
    });

    it('breaks a tie of two snapshots at the same time by the greater id', async (tc) => {
      const [c] = await freshCatalogs(target, tc);
      const one = snapshotRecord({ item: 'api', time: t(0) });
      const two = snapshotRecord({ item: 'api', time: t(0) });
      await c.putSnapshot(one);
      await c.putSnapshot(two);
      const expected = [one.id, two.id].sort()[1];
      assert.deepEqual(
        (await c.coverage.latestCaptures()).map((r) => [r.snapshotId, r.captureId, r.captureKind]),
        [[expected, expected, 'snapshot']],
      );
    });
  });
}

describe('coverage query plans (sqlite)', () => {
  it('reads the newest capture per item and environment from covering indexes, never sorting every row', async (tc) => {
    const sqlite = catalogTargets.find((x) => x.dialect === 'sqlite');
    assert.ok(sqlite);
    const { options, remove } = await sqlite.fresh();
    tc.after(remove);
    await (await openCatalog(options)).close(); // migrated
    const database = new Database(options.sqlitePath ?? '');
    const db = new Kysely<CatalogDatabase>({ dialect: new SqliteDialect({ database }) });
    tc.after(() => db.destroy());
    const q = newestPerGroup(db);
    for (const [query, index] of [
      [q.snapshots, 'snapshots_complete_latest_idx'],
      [q.verifications, 'verifications_item_env_time_idx'],
    ] as const) {
      const { sql, parameters } = query.compile();
      const plan = (database.prepare(`explain query plan ${sql}`).all(...parameters) as Array<{ detail: string }>)
        .map((r) => r.detail)
        .join(' | ');
      assert.match(plan, new RegExp(`USING COVERING INDEX ${index}`), plan);
      assert.doesNotMatch(plan, /TEMP B-TREE/, plan);
    }
  });
});
