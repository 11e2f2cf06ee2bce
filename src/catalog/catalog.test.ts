import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { type ErrorCode, isCairnError } from '../errors/index.js';
import {
  type Catalog,
  type CatalogOptions,
  openCatalog,
  type SnapshotFilter,
  type SnapshotHit,
  type SnapshotRecord,
} from './index.js';
import { catalogTargets, hexId, snapshotRecord, verificationRecord } from './test-support.js';

/** One suite, run on every database the catalog supports. */
for (const target of catalogTargets) {
  describe(`catalog on ${target.dialect}`, () => {
    /** A new catalog of the test's own, closed and removed when the test ends. */
    async function fresh(t: TestContext): Promise<{ catalog: Catalog; options: CatalogOptions }> {
      const { options, remove } = await target.fresh();
      t.after(remove);
      const catalog = await openCatalog(options);
      t.after(() => catalog.close());
      return { catalog, options };
    }

    it('reports its dialect and opens an existing catalog again without redoing migrations', async (t) => {
      const { catalog, options } = await fresh(t);
      assert.equal(catalog.dialect, target.dialect);
      const record = snapshotRecord();
      await catalog.putSnapshot(record);
      await catalog.migrate();

      const again = await openCatalog(options);
      t.after(() => again.close());
      await again.migrate();
      assert.deepEqual(await again.getSnapshot(record.id), record);
    });

    it('returns a stored snapshot exactly: nulls, JSON paths, byte counts above 2^32', async (t) => {
      const { catalog } = await fresh(t);
      const record = snapshotRecord({
        environment: null,
        tier: null,
        component: null,
        release: null,
        commit: null,
        change: null,
        deployment: null,
        pipeline: null,
        parent: hexId('parent'),
        status: 'partial',
        files: 2_000_000,
        bytes: 5_000_000_000_123,
        addedBytes: 4_294_967_297,
        retainUntil: '2033-01-01T00:00:00.000Z',
        unreadable: ['etc/ssl/private.key', 'dir with space/"quoted" ü.conf'],
      });
      await catalog.putSnapshot(record);
      assert.deepEqual(await catalog.getSnapshot(record.id), record);
      assert.equal(await catalog.getSnapshot(hexId('missing')), undefined);
    });

    it('stores times as UTC with milliseconds, whatever offset they are given in', async (t) => {
      const { catalog } = await fresh(t);
      const record = snapshotRecord({ time: '2026-11-29T08:12:00+01:00', retainUntil: '2027-01-01T00:00Z' });
      await catalog.putSnapshot(record);
      const stored = await catalog.getSnapshot(record.id);
      assert.equal(stored?.time, '2026-11-29T07:12:00.000Z');
      assert.equal(stored?.retainUntil, '2027-01-01T00:00:00.000Z');
    });

    it('refuses records with a malformed id or time', async (t) => {
      const { catalog } = await fresh(t);
      await assertCairnError(catalog.putSnapshot(snapshotRecord({ id: 'abc' })), 'CAIRN_E_CATALOG', /64 lowercase hex/);
      await assertCairnError(catalog.putSnapshot(snapshotRecord({ time: 'yesterday' })), 'CAIRN_E_CATALOG', /time/);
      const snapshot = snapshotRecord();
      await assertCairnError(
        catalog.putVerification(verificationRecord(snapshot, { snapshotId: snapshot.id.toUpperCase() })),
        'CAIRN_E_CATALOG',
        /snapshotId/,
      );
    });

    it('puts snapshots and verifications idempotently: the first write of an id stays', async (t) => {
      const { catalog } = await fresh(t);
      const record = snapshotRecord();
      await catalog.putSnapshot(record);
      await catalog.putSnapshot({ ...record, release: '9.9.9' });
      assert.equal((await catalog.getSnapshot(record.id))?.release, record.release);

      const verification = verificationRecord(record, { release: '2.4.1' });
      await catalog.putVerification(verification);
      await catalog.putVerification({ ...verification, release: '9.9.9' });
      assert.deepEqual(await catalog.verificationsOf(record.id), [verification]);
    });

    it('finds a snapshot by a unique prefix of 4 or more hex characters, in any case', async (t) => {
      const { catalog } = await fresh(t);
      const record = snapshotRecord();
      await catalog.putSnapshot(record);
      assert.deepEqual(await catalog.getSnapshot(record.id.slice(0, 4)), record);
      assert.deepEqual(await catalog.getSnapshot(record.id.slice(0, 10).toUpperCase()), record);
      assert.equal(await catalog.getSnapshot(nextHex(record.id.slice(0, 6))), undefined);
    });

    it('refuses a prefix shorter than 4 hex characters or not hex', async (t) => {
      const { catalog } = await fresh(t);
      for (const bad of ['', 'abc', 'wxyz', 'abcd-ef', `${hexId('x')}0`]) {
        await assertCairnError(catalog.getSnapshot(bad), 'CAIRN_E_USAGE', /at least its first 4 hex/);
      }
    });

    it('reports an ambiguous prefix with every candidate', async (t) => {
      const { catalog } = await fresh(t);
      const a = snapshotRecord({ id: `abcd1${'0'.repeat(59)}` });
      const b = snapshotRecord({ id: `abcd2${'0'.repeat(59)}` });
      const other = snapshotRecord({ id: `abce${'0'.repeat(60)}` });
      for (const record of [a, b, other]) await catalog.putSnapshot(record);

      const err = await assertCairnError(catalog.getSnapshot('abcd'), 'CAIRN_E_AMBIGUOUS', /give more characters/);
      assert.match(err.message, new RegExp(`${a.id}.*${b.id}`));
      assert.deepEqual(err.details?.candidates, [a.id, b.id]);
      assert.deepEqual(await catalog.getSnapshot('abcd2'), b);
    });

    describe('filters', () => {
      // Three snapshots that differ in every field a filter looks at; no verifications.
      const s1 = snapshotRecord({
        item: 'nginx',
        environment: 'prod',
        tier: 'gold',
        release: '2.4.0',
        commit: 'a1b2c3d4e5f6',
        change: 'CHG-1',
        deployment: 'D-1',
        trigger: 'pre-deploy',
        actor: 'alice',
        time: '2026-11-01T10:00:00.000Z',
        status: 'complete',
      });
      const s2 = snapshotRecord({
        item: 'haproxy',
        environment: 'staging',
        tier: 'silver',
        release: '2.4.1',
        commit: 'a1b2ffff0000',
        change: 'CHG-2',
        deployment: 'D-2',
        trigger: 'scheduled',
        actor: 'bob',
        time: '2026-11-02T10:00:00.000Z',
        status: 'partial',
      });
      const s3 = snapshotRecord({
        item: 'nginx',
        environment: 'staging',
        tier: 'gold',
        release: null,
        commit: null,
        change: null,
        deployment: null,
        trigger: 'manual',
        actor: 'carol',
        time: '2026-11-03T10:00:00.000Z',
        status: 'complete',
      });
      const day2 = new Date(s2.time);

      const cases: [string, SnapshotFilter, SnapshotRecord[]][] = [
        ['none', {}, [s3, s2, s1]],
        ['ids', { ids: [s1.id, s3.id] }, [s3, s1]],
        ['ids, empty', { ids: [] }, []],
        ['item', { item: ['nginx'] }, [s3, s1]],
        ['item, several (or)', { item: ['haproxy', 'nginx'] }, [s3, s2, s1]],
        ['item, empty', { item: [] }, []],
        ['environment', { environment: 'staging' }, [s3, s2]],
        ['tier', { tier: 'gold' }, [s3, s1]],
        ['release', { release: '2.4.1' }, [s2]],
        ['commit, prefix', { commit: 'a1b2' }, [s2, s1]],
        ['commit, longer prefix', { commit: 'a1b2c' }, [s1]],
        ['commit, whole', { commit: 'a1b2ffff0000' }, [s2]],
        ['change', { change: 'CHG-1' }, [s1]],
        ['deployment', { deployment: 'D-2' }, [s2]],
        ['trigger', { trigger: 'manual' }, [s3]],
        ['actor', { actor: 'alice' }, [s1]],
        ['since (inclusive)', { since: day2 }, [s3, s2]],
        ['until (exclusive)', { until: day2 }, [s1]],
        ['status', { status: 'partial' }, [s2]],
        ['no match', { release: '0.0.1' }, []],
        ['item and environment', { item: ['nginx'], environment: 'staging' }, [s3]],
        ['tier and since', { tier: 'gold', since: day2 }, [s3]],
        ['since and until', { since: new Date(s1.time), until: new Date(s3.time) }, [s2, s1]],
        ['release and actor of different snapshots', { release: '2.4.0', actor: 'bob' }, []],
        [
          'every run field of one snapshot',
          {
            environment: 'prod',
            release: '2.4.0',
            commit: 'a1b2c3',
            change: 'CHG-1',
            deployment: 'D-1',
            trigger: 'pre-deploy',
            actor: 'alice',
            since: new Date(s1.time),
            until: day2,
          },
          [s1],
        ],
        [
          'ids, item, tier and status',
          { ids: [s1.id, s2.id], item: ['nginx'], tier: 'gold', status: 'complete' },
          [s1],
        ],
      ];

      let catalog: Catalog;
      let remove: () => Promise<void> = async () => {};
      before(async () => {
        const fresh = await target.fresh();
        remove = fresh.remove;
        catalog = await openCatalog(fresh.options);
        for (const record of [s1, s2, s3]) await catalog.putSnapshot(record);
      });
      after(async () => {
        await catalog?.close();
        await remove();
      });

      for (const [name, filter, expected] of cases) {
        it(name, async () => {
          const hits = await catalog.findSnapshots(filter);
          assert.deepEqual(hits, expected.map(withNoVerifications));
        });
      }

      it('refuses a commit prefix under 4 characters, a bad time and a bad limit', async () => {
        await assertCairnError(catalog.findSnapshots({ commit: 'a1b' }), 'CAIRN_E_USAGE', /at least 4/);
        await assertCairnError(catalog.findSnapshots({ since: new Date('nope') }), 'CAIRN_E_USAGE', /since/);
        for (const limit of [0, -1, 1.5]) {
          await assertCairnError(catalog.findSnapshots({ limit }), 'CAIRN_E_USAGE', /limit/);
        }
      });
    });

    it('treats since as inclusive and until as exclusive, to the millisecond', async (t) => {
      const { catalog } = await fresh(t);
      const record = snapshotRecord({ time: '2026-11-29T07:12:00.000Z' });
      await catalog.putSnapshot(record);
      const at = new Date(record.time);
      const later = new Date(at.getTime() + 1);
      const found = async (filter: SnapshotFilter) => (await catalog.findSnapshots(filter)).length === 1;
      assert.equal(await found({ since: at }), true);
      assert.equal(await found({ since: later }), false);
      assert.equal(await found({ until: at }), false);
      assert.equal(await found({ until: later }), true);
      assert.equal(await found({ since: at, until: later }), true);
      assert.equal(await found({ since: at, until: at }), false);
    });

    it('finds a snapshot through a verification taken under other run metadata (C3.4)', async (t) => {
      const { catalog } = await fresh(t);
      const snapshot = snapshotRecord({ release: '2.4.0', deployment: 'D-1', time: '2026-11-01T10:00:00.000Z' });
      const v1 = verificationRecord(snapshot, {
        release: '2.4.1',
        commit: 'bbbb1111',
        change: 'CHG-7',
        deployment: 'D-9',
        trigger: 'post-deploy',
        actor: 'dave',
        time: '2026-11-05T10:00:00.000Z',
      });
      const v2 = verificationRecord(snapshot, {
        release: '2.4.2',
        environment: 'staging',
        time: '2026-11-06T10:00:00.000Z',
      });
      const unrelated = snapshotRecord({ item: 'haproxy', release: '1.0.0', time: '2026-11-02T10:00:00.000Z' });
      await catalog.putSnapshot(snapshot);
      await catalog.putSnapshot(unrelated);
      await catalog.putVerification(v1);
      await catalog.putVerification(v2);

      const hits = async (filter: SnapshotFilter) =>
        (await catalog.findSnapshots(filter)).map((hit) => [hit.id, hit.verifications.map((v) => v.id)]);
      assert.deepEqual(await hits({ release: '2.4.1' }), [[snapshot.id, [v1.id]]]);
      assert.deepEqual(await hits({ release: '2.4.0' }), [[snapshot.id, []]]);
      // Hits sort by the snapshot's own time, not by when it was last verified.
      assert.deepEqual(await hits({}), [
        [unrelated.id, []],
        [snapshot.id, [v2.id, v1.id]],
      ]);
      for (const filter of [
        { commit: 'bbbb' },
        { change: 'CHG-7' },
        { deployment: 'D-9' },
        { trigger: 'post-deploy' as const },
        { actor: 'dave' },
        { release: '2.4.1', deployment: 'D-9', since: new Date('2026-11-05T00:00:00Z') },
      ]) {
        assert.deepEqual(await hits(filter), [[snapshot.id, [v1.id]]], JSON.stringify(filter));
      }
      assert.deepEqual(await hits({ environment: 'staging' }), [[snapshot.id, [v2.id]]]);
      assert.deepEqual(await hits({ since: new Date('2026-11-04T00:00:00Z') }), [[snapshot.id, [v2.id, v1.id]]]);
      assert.deepEqual(await hits({ until: new Date('2026-11-02T00:00:00Z') }), [[snapshot.id, []]]);
      // Criteria are met by one run, never pieced together from the snapshot and a verification.
      assert.deepEqual(await hits({ release: '2.4.1', deployment: 'D-1' }), []);
      assert.deepEqual(await hits({ release: '2.4.2', environment: 'prod' }), []);
      // Snapshot-only criteria still apply to a snapshot found through a verification.
      assert.deepEqual(await hits({ release: '2.4.1', item: ['haproxy'] }), []);
      assert.deepEqual(await hits({ release: '2.4.1', status: 'partial' }), []);
    });

    it('orders hits newest first, by time then id, and limit keeps the newest', async (t) => {
      const { catalog } = await fresh(t);
      const older = snapshotRecord({ time: '2026-11-01T00:00:00.000Z' });
      const tieLow = snapshotRecord({ id: `1${'0'.repeat(63)}`, time: '2026-11-02T00:00:00.000Z' });
      const tieHigh = snapshotRecord({ id: `f${'0'.repeat(63)}`, time: '2026-11-02T00:00:00.000Z' });
      const newest = snapshotRecord({ time: '2026-11-02T00:00:00.001Z' });
      for (const record of [tieLow, newest, older, tieHigh]) await catalog.putSnapshot(record);

      const ids = async (filter: SnapshotFilter) => (await catalog.findSnapshots(filter)).map((hit) => hit.id);
      assert.deepEqual(await ids({}), [newest.id, tieHigh.id, tieLow.id, older.id]);
      assert.deepEqual(await ids({ limit: 2 }), [newest.id, tieHigh.id]);
      assert.deepEqual(await ids({ limit: 10 }), [newest.id, tieHigh.id, tieLow.id, older.id]);
    });

    it('lists verifications newest first, and latestSnapshot ignores them', async (t) => {
      const { catalog } = await fresh(t);
      const first = snapshotRecord({ item: 'nginx', time: '2026-11-01T00:00:00.000Z' });
      const second = snapshotRecord({ item: 'nginx', time: '2026-11-02T00:00:00.000Z' });
      const otherItem = snapshotRecord({ item: 'haproxy', time: '2026-11-03T00:00:00.000Z' });
      const early = verificationRecord(first, { time: '2026-11-05T00:00:00.000Z' });
      const late = verificationRecord(first, { time: '2026-11-10T00:00:00.000Z' });
      for (const record of [first, second, otherItem]) await catalog.putSnapshot(record);
      await catalog.putVerification(early);
      await catalog.putVerification(late);

      assert.deepEqual(await catalog.verificationsOf(first.id), [late, early]);
      assert.deepEqual(await catalog.verificationsOf(second.id), []);
      assert.deepEqual(await catalog.latestSnapshot('nginx'), second);
      assert.deepEqual(await catalog.latestSnapshot('haproxy'), otherItem);
      assert.equal(await catalog.latestSnapshot('postgres'), undefined);
    });

    it('counts snapshots per item and status in the database', async (t) => {
      const { catalog } = await fresh(t);
      assert.deepEqual(await catalog.snapshotCounts(), []);
      await catalog.putSnapshot(snapshotRecord({ item: 'nginx', time: '2026-11-01T00:00:00.000Z' }));
      await catalog.putSnapshot(snapshotRecord({ item: 'nginx', time: '2026-11-02T00:00:00.000Z' }));
      await catalog.putSnapshot(snapshotRecord({ item: 'nginx', time: '2026-11-03T00:00:00.000Z', status: 'partial' }));
      await catalog.putSnapshot(snapshotRecord({ item: 'haproxy', time: '2026-11-03T00:00:00.000Z' }));
      assert.deepEqual(await catalog.snapshotCounts(), [
        { item: 'haproxy', status: 'complete', count: 1 },
        { item: 'nginx', status: 'complete', count: 2 },
        { item: 'nginx', status: 'partial', count: 1 },
      ]);
    });

    it('deletes a snapshot with its verifications and nothing else', async (t) => {
      const { catalog } = await fresh(t);
      const doomed = snapshotRecord();
      const kept = snapshotRecord();
      const doomedCheck = verificationRecord(doomed);
      const keptCheck = verificationRecord(kept);
      for (const record of [doomed, kept]) await catalog.putSnapshot(record);
      for (const record of [doomedCheck, keptCheck]) await catalog.putVerification(record);

      await catalog.deleteSnapshot(doomed.id);
      await catalog.deleteSnapshot(doomed.id); // already gone: nothing to do
      assert.equal(await catalog.getSnapshot(doomed.id), undefined);
      assert.deepEqual(await catalog.verificationsOf(doomed.id), []);
      assert.deepEqual(await catalog.verificationsOf(kept.id), [keptCheck]);
      assert.deepEqual(await catalog.getSnapshot(kept.id), kept);
      await assertCairnError(catalog.deleteSnapshot(kept.id.slice(0, 8)), 'CAIRN_E_USAGE', /full id/);
    });

    it('replaceAll swaps every snapshot and verification, more than one batch of each', async (t) => {
      const { catalog } = await fresh(t);
      const old = snapshotRecord();
      await catalog.putSnapshot(old);
      await catalog.putVerification(verificationRecord(old));

      const snapshots = Array.from({ length: 1201 }, (_, i) =>
        snapshotRecord({ time: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString() }),
      );
      const verifications = snapshots.slice(0, 600).map((snapshot) => verificationRecord(snapshot));
      await catalog.replaceAll(snapshots, verifications);

      const hits = await catalog.findSnapshots({});
      assert.equal(hits.length, 1201);
      assert.equal(hits[0]?.id, snapshots[1200]?.id);
      assert.equal(hits.flatMap((hit) => hit.verifications).length, 600);
      assert.equal(await catalog.getSnapshot(old.id), undefined);
      assert.deepEqual(await catalog.verificationsOf(old.id), []);
      assert.deepEqual(await catalog.getSnapshot(snapshots[700]?.id ?? ''), snapshots[700]);
    });

    it('replaceAll leaves the previous catalog untouched when an insert fails midway', async (t) => {
      const { catalog } = await fresh(t);
      const old = [snapshotRecord(), snapshotRecord()];
      const oldCheck = verificationRecord(old[0] ?? snapshotRecord());
      for (const record of old) await catalog.putSnapshot(record);
      await catalog.putVerification(oldCheck);
      const before = await catalog.findSnapshots({});

      // Row 700 breaks a NOT NULL constraint in the second batch, after 500 rows went in.
      const snapshots = Array.from({ length: 1200 }, (_, i) =>
        i === 700 ? ({ ...snapshotRecord(), tree: null } as unknown as SnapshotRecord) : snapshotRecord(),
      );
      await assert.rejects(catalog.replaceAll(snapshots, []));

      assert.deepEqual(await catalog.findSnapshots({}), before);
      assert.deepEqual(await catalog.verificationsOf(oldCheck.snapshotId), [oldCheck]);
      assert.equal(await catalog.getSnapshot(snapshots[0]?.id ?? ''), undefined);
    });

    it('upserts items by name and lists them by name', async (t) => {
      const { catalog } = await fresh(t);
      const nginx = { name: 'nginx', owner: 'web-team', tier: 'gold', environment: 'prod', component: 'edge' };
      const haproxy = { name: 'haproxy', owner: 'net-team', tier: 'silver', environment: null, component: null };
      await catalog.upsertItems([nginx, haproxy]);
      const moved = { ...nginx, owner: 'platform', tier: 'platinum', environment: null };
      const vault = { name: 'vault', owner: 'sec', tier: 'gold', environment: 'prod', component: null };
      await catalog.upsertItems([{ ...vault, owner: 'first' }, moved, vault]);
      await catalog.upsertItems([]);
      assert.deepEqual(await catalog.listItems(), [haproxy, moved, vault]);
    });

    it('sets, replaces and reads catalog-local settings', async (t) => {
      const { catalog } = await fresh(t);
      assert.equal(await catalog.getMeta('repository'), undefined);
      await catalog.setMeta('repository', 'r-1');
      await catalog.setMeta('repository', 'r-2');
      await catalog.setMeta('empty', '');
      assert.equal(await catalog.getMeta('repository'), 'r-2');
      assert.equal(await catalog.getMeta('empty'), '');
    });

    it('reports a catalog it cannot reach as CAIRN_E_CATALOG, without the password', async () => {
      const password = 'S3cret-pa55word';
      const options = await target.unreachable(password);
      const err = await assertCairnError(openCatalog(options), 'CAIRN_E_CATALOG', /catalog at .*; check/);
      assert.doesNotMatch(JSON.stringify(err.toJSON()), new RegExp(password));
      if (target.dialect === 'postgres') assert.match(err.message, /postgres:\/\/cairn:\*\*\*@127\.0\.0\.1:\d+\//);
    });
  });
}

describe('openCatalog options', () => {
  it('refuses a URL of another database and a schema for SQLite', async () => {
    await assertCairnError(openCatalog({ url: 'mysql://u:pw@h/db' }), 'CAIRN_E_USAGE', /postgres:\/\//);
    await assertCairnError(openCatalog({ sqlitePath: ':memory:', schema: 'x' }), 'CAIRN_E_USAGE', /PostgreSQL only/);
    await assertCairnError(openCatalog({ url: 'postgres://h/db', schema: 'a;b' }), 'CAIRN_E_USAGE', /schema/);
    await assertCairnError(openCatalog({}), 'CAIRN_E_USAGE', /no catalog/);
  });

  it('opens an in-memory SQLite catalog', async () => {
    const catalog = await openCatalog({ sqlitePath: ':memory:' });
    try {
      const record = snapshotRecord();
      await catalog.putSnapshot(record);
      assert.deepEqual(await catalog.getSnapshot(record.id), record);
    } finally {
      await catalog.close();
    }
  });
});

function withNoVerifications(record: SnapshotRecord): SnapshotHit {
  return { ...record, verifications: [] };
}

/** The hex string right after prefix, so that nothing stored starts with it. */
function nextHex(prefix: string): string {
  const last = Number.parseInt(prefix.slice(-1), 16);
  return prefix.slice(0, -1) + ((last + 1) % 16).toString(16);
}

async function assertCairnError(promise: Promise<unknown>, code: ErrorCode, message: RegExp) {
  const err = await promise.then(
    () => assert.fail(`expected ${code}`),
    (caught: unknown) => caught,
  );
  assert.ok(isCairnError(err, code), `expected ${code}, got ${String(err)}`);
  assert.match(err.message, message);
  return err;
}
