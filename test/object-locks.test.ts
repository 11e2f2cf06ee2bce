/**
 * The catalog's record of object locks (src/catalog/object-locks.ts): a lower bound of the storage's
 * locks that lets a snapshot skip the stat (S3: a HEAD) of every pack it reuses whose lock already
 * covers it, and extend without a look the ones it shows too short; `check --locks` refreshes it from
 * the storage, lowering it where a lock was weakened behind Cairn's back, so the next snapshot
 * extends that lock again. On a local folder seen as S3 sees it (list() without locks).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openCatalog } from '../src/catalog/index.js';
import { catalogTargets } from '../src/catalog/test-support.js';
import type { LockMode } from '../src/policy/index.js';
import { type Policy, parsePolicy } from '../src/policy/index.js';
import { checkLocks, initRepository, openSession, type Session, takeSnapshots } from '../src/services/index.js';
import { NeededPacks } from '../src/services/worm.js';
import { LocalStorage } from '../src/storage/index.js';
import { policyYaml, scratch } from './helpers.js';
import { Recording } from './locks-support.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const SECRET = { kind: 'password', value: 'lock record passphrase' } as const;

for (const target of catalogTargets) {
  describe(`the record of object locks (${target.dialect})`, () => {
    it('raise keeps the later date and the stronger mode; observe replaces and forgets; per location', async () => {
      const { options, remove } = await target.fresh();
      const catalog = await openCatalog(options);
      try {
        const t = Date.parse('2030-01-01T00:00:00.000Z');
        await catalog.locks.raise('s3://a/repo', [
          { key: 'packs/1', retainUntil: new Date(t), mode: 'compliance' },
          { key: 'packs/2', retainUntil: new Date(t), mode: 'governance' },
          { key: 'packs/2', retainUntil: new Date(t + DAY), mode: 'governance' },
        ]);
        // Later but weaker: the date rises, the mode stays compliance; earlier: nothing falls.
        await catalog.locks.raise('s3://a/repo', [
          { key: 'packs/1', retainUntil: new Date(t + 2 * DAY), mode: 'governance' },
          { key: 'packs/2', retainUntil: new Date(t - DAY), mode: 'compliance' },
        ]);
        const got = await catalog.locks.get('s3://a/repo', ['packs/1', 'packs/2', 'packs/3']);
        assert.deepEqual([...got.values()].map((l) => [l.key, l.retainUntil.getTime() - t, l.mode]).sort(), [
          ['packs/1', 2 * DAY, 'compliance'],
          ['packs/2', DAY, 'compliance'],
        ]);
        assert.equal((await catalog.locks.get('s3://b/repo', ['packs/1'])).size, 0, 'another storage shares nothing');
        await catalog.locks.observe('s3://a/repo', [
          { key: 'packs/1', retainUntil: new Date(t), mode: 'governance' },
          { key: 'packs/2', retainUntil: null, mode: null },
        ]);
        const seen = await catalog.locks.get('s3://a/repo', ['packs/1', 'packs/2']);
        assert.equal(seen.size, 1);
        assert.equal(seen.get('packs/1')?.retainUntil.getTime(), t);
        assert.equal(seen.get('packs/1')?.mode, 'governance');
      } finally {
        await catalog.close();
        await remove();
      }
    });
  });
}

/** Counts extendRetention calls besides the stats and deletes Recording keeps. */
class Counting extends Recording {
  readonly extended: string[] = [];
  override async extendRetention(key: string, until: Date, mode?: LockMode): Promise<void> {
    this.extended.push(key);
    return super.extendRetention(key, until, mode);
  }
}

describe('snapshots and check --locks with the record of locks', () => {
  const work = scratch('cairn-lock-record-');
  const src = join(work, 'src');
  const root = join(work, 'repo');
  let storage: Counting;
  let session: Session;
  let policy: Policy;
  const t0 = Date.now();
  const snapAt = async (now: number) => {
    storage.statted.length = 0;
    storage.extended.length = 0;
    const [r] = await takeSnapshots(session, policy, { run: {}, items: ['app'], now: new Date(now) });
    assert.equal(r?.status, 'created', JSON.stringify(r?.error));
    return r!;
  };
  const packsOf = async (id: string) => {
    const s = await session.repo.loadSnapshot(id);
    return [...(await new NeededPacks(session.repo).ofTree(s.tree))];
  };
  const touch = (n: number) => writeFileSync(join(src, 'app', 'changing.txt'), `revision ${n}\n`);

  before(async () => {
    mkdirSync(join(src, 'app'), { recursive: true });
    writeFileSync(join(src, 'app', 'big.bin'), randomBytes(200 * 1024));
    mkdirSync(join(src, 'app', 'etc'), { recursive: true });
    writeFileSync(join(src, 'app', 'etc', 'values.json'), JSON.stringify({ replicas: 3 }));
    touch(0);
    const text = policyYaml({
      classes: { week: '7d' },
      tiers: { gov: { class: 'week', last: 1 } },
      items: [{ name: 'app', tier: 'gov', root: `${src}/app` }],
    });
    writeFileSync(join(work, 'cairn.yaml'), text);
    policy = parsePolicy(text, join(work, 'cairn.yaml')).policy;
    storage = new Counting(new LocalStorage(root), true);
    await initRepository({ repository: storage.location, secret: SECRET, storage });
    session = await openSession({ repository: storage.location, secret: SECRET, home: join(work, 'home'), storage });
  });
  after(async () => {
    await session?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('a snapshot whose reused packs the record covers stats none of them; one it shows short extends them without a stat', async () => {
    const first = await snapAt(t0);
    const firstPacks = await packsOf(first.id!);
    assert.ok(firstPacks.length > 0);
    assert.deepEqual(
      storage.statted.filter((k) => k.startsWith('packs/')),
      [],
      'its own packs are not looked at',
    );

    // An hour earlier: the packs' recorded locks (t0 + 7d) cover t0 - 1h + 7d.
    touch(1);
    const covered = await snapAt(t0 - HOUR);
    const reused = (await packsOf(covered.id!)).filter((k) => firstPacks.includes(k));
    assert.ok(reused.length > 0, 'the second snapshot reuses packs of the first');
    assert.deepEqual(
      storage.statted.filter((k) => k.startsWith('packs/')),
      [],
      'no stat of a covered pack',
    );
    assert.deepEqual(storage.extended, [], 'nothing to extend');

    // An hour later: the record shows the locks short; they are extended, still without a stat first.
    touch(2);
    const later = await snapAt(t0 + HOUR);
    const needed = await packsOf(later.id!);
    assert.deepEqual(
      storage.statted.filter((k) => k.startsWith('packs/')),
      [],
    );
    const until = Date.parse(later.retainUntil!);
    for (const key of needed) {
      const info = await storage.inner.stat(key);
      assert.ok(info?.retainUntil && info.retainUntil.getTime() >= until - 1000, `${key} extended to ${until}`);
    }
    assert.ok(
      firstPacks.filter((k) => needed.includes(k)).every((k) => storage.extended.includes(k)),
      'every reused pack was extended',
    );
  });

  it('check --locks finds a lock weakened behind Cairn’s back, lowers the record, and the next snapshot extends it again', async () => {
    const latest = (await session.catalog.latestSnapshot('app'))!;
    // The pack of big.bin, which every snapshot keeps needing.
    const rootTree = await session.repo.loadTree(latest.tree);
    const big = rootTree.entries.find((e) => e.name === 'big.bin')!;
    const [victim] = [...new NeededPacks(session.repo).ofBlobs(big.blobs!.slice(0, 1))];
    const until = Date.parse(latest.retainUntil!);
    // Someone with the disk (S3: a governance bypass) shortens the lock.
    const sidecar = join(root, 'retention', victim!);
    const lock = JSON.parse(readFileSync(sidecar, 'utf8')) as Record<string, unknown>;
    lock.retainUntil = new Date(Date.now() + HOUR).toISOString();
    writeFileSync(sidecar, JSON.stringify(lock));

    // The record still says covered: a snapshot at the same time does not look (the record is a lower bound
    // of the storage's locks only as long as nobody bypasses them: that is what the control is for).
    touch(3);
    await snapAt(until - 7 * DAY);
    assert.ok(!storage.statted.includes(victim!) && !storage.extended.includes(victim!));

    const report = await checkLocks(session.repo, policy, { locks: session.catalog.locks });
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.findings.map((f) => [f.object, f.problems]),
      [[victim, ['shorter']]],
    );
    const recorded = (await session.catalog.locks.get(storage.location, [victim!])).get(victim!);
    assert.ok(recorded && recorded.retainUntil.getTime() < Date.now() + 2 * HOUR, 'the record was lowered');

    touch(4);
    await snapAt(until - 7 * DAY);
    assert.ok(storage.extended.includes(victim!), 'the weakened pack is extended again');
    const info = await storage.inner.stat(victim!);
    assert.ok(info?.retainUntil && info.retainUntil.getTime() >= until - 1000, info?.retainUntil?.toISOString());
    assert.ok((await checkLocks(session.repo, policy, { locks: session.catalog.locks })).ok);
  });
});
