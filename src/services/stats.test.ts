/**
 * `cairn stats` on a repository small enough to add up by hand: three indexed packs whose segment
 * lengths and header sizes are chosen (docs/STATS.md, "Stored size"), one pack no index names, one
 * indexed pack that storage lost, two items sharing a blob, a blob no snapshot needs and a second copy
 * of a blob. Every figure below is worked out in the comments; the catalog part runs on both databases.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Catalog, openCatalog } from '../catalog/index.js';
import { catalogTargets, hexId, snapshotRecord } from '../catalog/test-support.js';
import { isCairnError } from '../errors/index.js';
import { parsePolicy } from '../policy/index.js';
import { type BlobType, type PackRecord, packKey, type Tree } from '../repo/index.js';
import { repositoryStats, type StatsRequest } from './stats.js';
import { parsePeriod } from './stats-projection.js';
import { blobShares, type StoredSource } from './stats-stored.js';

const DAY = 86_400_000;
const NOW = new Date('2026-03-31T00:00:00.000Z');
const ago = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();

const id = (name: string) => hexId(`blob ${name}`);
const [A, A2, S, B, G, TA, TA2, TB, X] = ['A', 'A2', 'S', 'B', 'G', 'TA', 'TA2', 'TB', 'X'].map(id) as [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
];
const blob = (bid: string, type: BlobType, off: number, len: number) => [bid, type, off, len] as const;

// P1, 1100 bytes: segment 1 (sealed 500) holds A (600 plain) and S (400): A 300, S 200; segment 2
// (sealed 100) holds tree TA: 100. The other 500 bytes (header, trailer) by those shares:
// A floor(500·300/600) = 250, S floor(500·500/600) − 250 = 166, TA 500 − 416 = 84.
// So A 550, S 366, TA 184.
const P1: PackRecord = {
  id: hexId('pack 1'),
  size: 1100,
  segments: [
    { off: 0, len: 500, raw: 1000, z: 1, blobs: [blob(A, 'data', 0, 600), blob(S, 'data', 600, 400)] },
    { off: 500, len: 100, raw: 150, z: 1, blobs: [blob(TA, 'tree', 0, 150)] },
  ],
};
// P2, 700 bytes: B 300 + G 100 of sealed 400, TB 100; overhead 200: B 120, G 40, TB 40.
// So B 420, G 140 (no snapshot needs G), TB 140.
const P2: PackRecord = {
  id: hexId('pack 2'),
  size: 700,
  segments: [
    { off: 0, len: 400, raw: 400, z: 0, blobs: [blob(B, 'data', 0, 300), blob(G, 'data', 300, 100)] },
    { off: 400, len: 100, raw: 100, z: 1, blobs: [blob(TB, 'tree', 0, 100)] },
  ],
};
// P3, 333 bytes: A2 (150 plain) and a second copy of B (300) in sealed 250: A2 floor(250·150/450) = 83,
// B 167; TA2 50; overhead 33: A2 floor(33·83/300) = 9, B floor(33·250/300) − 9 = 18, TA2 6.
// So A2 92, the copy of B 185 (unreferenced: reads use P2's), TA2 56.
const P3: PackRecord = {
  id: hexId('pack 3'),
  size: 333,
  segments: [
    { off: 0, len: 250, raw: 450, z: 1, blobs: [blob(A2, 'data', 0, 150), blob(B, 'data', 150, 300)] },
    { off: 250, len: 50, raw: 60, z: 1, blobs: [blob(TA2, 'tree', 0, 60)] },
  ],
};
// Indexed, but storage lost it: counted as missing, not as bytes.
const P5: PackRecord = {
  id: hexId('pack 5'),
  size: 999,
  segments: [{ off: 0, len: 900, raw: 900, z: 0, blobs: [blob(X, 'data', 0, 900)] }],
};
const UNINDEXED = { key: packKey(hexId('pack 4')), size: 77 };

const file = (name: string, blobs: string[]) => ({ name, type: 'file' as const, mode: 0o644, mtime: 0, blobs });
const TREES = new Map<string, Tree>([
  [TA, { entries: [file('a.conf', [A]), file('shared.conf', [S])] }],
  [TA2, { entries: [file('a.conf', [A2]), file('shared.conf', [S])] }],
  [TB, { entries: [file('b.conf', [B]), file('shared.conf', [S])] }],
]);

function fakeRepository(): StoredSource {
  const packs = new Map([P1, P2, P3, P5].map((p) => [p.id, p]));
  const home = new Map<string, string>();
  for (const p of packs.values())
    for (const s of p.segments) for (const [b] of s.blobs) if (!home.has(b)) home.set(b, p.id);
  return {
    async loadIndex() {},
    index: { packs, find: (b) => (home.has(b) ? { pack: home.get(b)! } : undefined) },
    async loadTree(tree) {
      const t = TREES.get(tree);
      if (!t) throw new Error(`no tree ${tree}`);
      return t;
    },
    storage: {
      async list(prefix) {
        assert.equal(prefix, 'packs/');
        return [...[P1, P2, P3].map((p) => ({ key: packKey(p.id), size: p.size })), UNINDEXED];
      },
    },
  };
}

const { policy } = parsePolicy(
  `version: 1
governance:
  retentionClasses:
    month: { keep: 30d }
tiers:
  gold:
    lock: { mode: compliance, for: 90d }
    keep: { daily: 7, weekly: 4 }
  silver:
    retentionClass: month
    keep: { last: 3 }
items:
  - { name: app-prod, owner: o@example.com, tier: gold, sources: [files: { root: src/prod }] }
  - { name: app-dev, owner: o@example.com, tier: silver, sources: [files: { root: src/dev }] }
  - { name: app-new, owner: o@example.com, tier: silver, sources: [files: { root: src/new }] }
`,
  '/tmp/cairn.yaml',
);

const request: StatsRequest = {
  policy,
  projection: parsePeriod('12m', '--projection'),
  window: parsePeriod('30d', '--window'),
  now: NOW,
};

// prod: its first snapshot 40 days ago (outside the window), a second 5 days ago that added P3.
const prod1 = snapshotRecord({
  item: 'app-prod',
  tier: 'gold',
  time: ago(40),
  tree: TA,
  bytes: 1000,
  addedBytes: 1100,
});
const prod2 = snapshotRecord({
  item: 'app-prod',
  tier: 'gold',
  time: ago(5),
  tree: TA2,
  bytes: 350,
  addedBytes: 333,
  parent: prod1.id,
});
// dev: one snapshot 10 days ago; a first snapshot stores the item's state, which is not churn.
const dev1 = snapshotRecord({ item: 'app-dev', tier: 'silver', time: ago(10), tree: TB, bytes: 700, addedBytes: 700 });

for (const target of catalogTargets) {
  describe(`repositoryStats on ${target.dialect}`, () => {
    let catalog: Catalog;
    let remove: () => Promise<void>;
    before(async () => {
      const fresh = await target.fresh();
      remove = fresh.remove;
      catalog = await openCatalog(fresh.options);
      for (const s of [prod1, prod2, dev1]) await catalog.putSnapshot(s);
    });
    after(async () => {
      await catalog.close();
      await remove();
    });

    it('adds stored bytes up to the pack bytes in storage, unique and shared apart', async () => {
      const r = await repositoryStats(fakeRepository(), catalog, request);
      assert.deepEqual(r.repository, {
        packs: 4,
        packBytes: 1100 + 700 + 333 + 77,
        uniqueToItems: 882 + 560, // prod: A 550 + TA 184 + A2 92 + TA2 56; dev: B 420 + TB 140
        sharedBetweenItems: 366, // S
        unreferenced: 140 + 185, // G, and the second copy of B
        unindexed: 77,
        missingPacks: 1,
        missingBlobs: 0,
      });
      const p = r.repository;
      assert.equal(p.uniqueToItems + p.sharedBetweenItems + p.unreferenced + p.unindexed, p.packBytes);
      const byName = new Map(r.items.map((i) => [i.item, i]));
      assert.deepEqual(byName.get('app-prod')?.stored, { unique: 882, shared: 366 });
      assert.deepEqual(byName.get('app-dev')?.stored, { unique: 560, shared: 366 });
      assert.deepEqual(byName.get('app-new')?.stored, { unique: 0, shared: 0 });
      assert.deepEqual(r.total.stored, { unique: 1442, shared: 366 }, 'the shared blob counted once');
    });

    it('reports logical sizes, churn and the projection with its inputs', async () => {
      const r = await repositoryStats(fakeRepository(), catalog, request);
      const [dev, newItem, prod] = r.items;
      assert.deepEqual(
        r.items.map((i) => [i.item, i.tier, i.snapshots, i.logical.latest, i.logical.retained]),
        [
          ['app-dev', 'silver', 1, 700, 700],
          ['app-new', 'silver', 0, 0, 0],
          ['app-prod', 'gold', 2, 350, 1350],
        ],
      );
      // prod: 333 bytes added in the window, over 30 days (its history is longer); one snapshot in 30 days.
      assert.deepEqual(prod?.churn, {
        days: 30,
        addedBytes: 333,
        snapshots: 1,
        bytesPerDay: 333 / 30,
        snapshotsPerDay: 1 / 30,
      });
      // gold: lock 90d; daily 7 at one snapshot per 30 days reaches 6 gaps of 30 days = 180, weekly 4 3 × 30.
      // Horizon 180 days, history 40: churn fills 140 more days, 333/30 × 140 = 1554.
      assert.deepEqual(prod?.projection, {
        lockDays: 90,
        keepDays: 180,
        horizonDays: 180,
        historyDays: 40,
        growthBytes: 1554,
        storedBytes: 882 + 366 + 1554,
      });
      // dev: its only snapshot is its first: no churn. 10 days of history, one snapshot: 0.1 a day.
      assert.deepEqual(dev?.churn, { days: 10, addedBytes: 0, snapshots: 1, bytesPerDay: 0, snapshotsPerDay: 0.1 });
      // silver: class 30d; last 3 at one per 10 days reaches 20 days.
      assert.deepEqual(dev?.projection, {
        lockDays: 30,
        keepDays: 20,
        horizonDays: 30,
        historyDays: 10,
        growthBytes: 0,
        storedBytes: 560 + 366,
      });
      // No snapshot yet: honest zeros; count rules with no snapshots coming keep without end.
      assert.equal(newItem?.snapshots, 0);
      assert.equal(newItem?.oldest, null);
      assert.deepEqual(newItem?.projection, {
        lockDays: 30,
        keepDays: null,
        horizonDays: null,
        historyDays: 0,
        growthBytes: 0,
        storedBytes: 0,
      });

      assert.deepEqual(
        r.tiers.map((t) => [t.tier, t.items, t.stored, t.projection]),
        [
          ['gold', ['app-prod'], { unique: 882, shared: 366 }, { growthBytes: 1554, storedBytes: 2802 }],
          ['silver', ['app-dev', 'app-new'], { unique: 560, shared: 366 }, { growthBytes: 0, storedBytes: 926 }],
        ],
      );
      assert.equal(r.total.items, 3);
      assert.equal(r.total.snapshots, 3);
      assert.deepEqual(r.total.logical, { latest: 1050, retained: 2050 });
      assert.deepEqual(r.total.projection, { growthBytes: 1554, storedBytes: 1442 + 366 + 1554 });
      assert.deepEqual(r.total.churn, {
        addedBytes: 333,
        snapshots: 2,
        bytesPerDay: 333 / 30,
        snapshotsPerDay: 0.1 + 1 / 30,
      });
      assert.deepEqual(r.days, [
        { day: ago(10).slice(0, 10), snapshots: 1, addedBytes: 0 },
        { day: ago(5).slice(0, 10), snapshots: 1, addedBytes: 333 },
      ]);
      assert.deepEqual(r.window, { period: '30d', days: 30, since: ago(30) });
      assert.equal(r.projection.days, 365);
    });

    it('narrows to --item and --tier; a shared blob stays shared when its other item is left out', async () => {
      const prodOnly = await repositoryStats(fakeRepository(), catalog, { ...request, items: ['app-prod'] });
      assert.deepEqual(
        prodOnly.items.map((i) => i.item),
        ['app-prod'],
      );
      assert.deepEqual(prodOnly.total.stored, { unique: 882, shared: 366 });
      assert.deepEqual(prodOnly.days, [{ day: ago(5).slice(0, 10), snapshots: 1, addedBytes: 333 }]);
      assert.equal(prodOnly.repository.packBytes, 2210, 'the repository line is always the whole repository');
      const silver = await repositoryStats(fakeRepository(), catalog, { ...request, tier: 'silver' });
      assert.deepEqual(
        silver.items.map((i) => i.item),
        ['app-dev', 'app-new'],
      );
      assert.deepEqual(silver.total.stored, { unique: 560, shared: 366 });
    });

    it('refuses an unknown item or tier with a usage error that lists the known ones', async () => {
      await assert.rejects(
        repositoryStats(fakeRepository(), catalog, { ...request, items: ['app-prod', 'nope'] }),
        (err: unknown) =>
          isCairnError(err, 'CAIRN_E_USAGE') && /--item "nope".*app-dev, app-new, app-prod/.test(err.message),
      );
      await assert.rejects(
        repositoryStats(fakeRepository(), catalog, { ...request, tier: 'platinum' }),
        (err: unknown) => isCairnError(err, 'CAIRN_E_USAGE') && /--tier "platinum".*gold, silver/.test(err.message),
      );
    });

    it('without a policy keeps everything: churn grows for the whole projection', async () => {
      const r = await repositoryStats(fakeRepository(), catalog, { ...request, policy: undefined });
      const prod = r.items.find((i) => i.item === 'app-prod');
      assert.equal(prod?.inPolicy, false);
      assert.equal(prod?.projection.horizonDays, null);
      assert.equal(prod?.projection.growthBytes, Math.round((333 / 30) * 365));
      assert.deepEqual(
        r.items.map((i) => i.item),
        ['app-dev', 'app-prod'],
        'items come from the catalog alone',
      );
    });
  });
}

describe('repositoryStats on an empty repository', () => {
  it('answers zeros, not an error', async () => {
    const { options, remove } = await catalogTargets[0]!.fresh();
    const catalog = await openCatalog(options);
    try {
      const empty: StoredSource = {
        async loadIndex() {},
        index: { packs: new Map(), find: () => undefined },
        loadTree: () => Promise.reject(new Error('no trees')),
        storage: { list: async () => [] },
      };
      const r = await repositoryStats(empty, catalog, { ...request, policy: undefined });
      assert.deepEqual(r.items, []);
      assert.deepEqual(r.tiers, []);
      assert.deepEqual(r.days, []);
      assert.equal(r.total.snapshots, 0);
      assert.deepEqual(r.total.stored, { unique: 0, shared: 0 });
      assert.deepEqual(r.total.projection, { growthBytes: 0, storedBytes: 0 });
      assert.equal(r.repository.packBytes, 0);
    } finally {
      await catalog.close();
      await remove();
    }
  });
});

describe('blobShares', () => {
  it('gives every byte of a pack to one blob, by plaintext length within a segment', () => {
    assert.deepEqual(blobShares(P1), {
      blobs: [
        [A, 550],
        [S, 366],
        [TA, 184],
      ],
      unassigned: 0,
    });
    assert.deepEqual(blobShares(P3).blobs, [
      [A2, 92],
      [B, 185],
      [TA2, 56],
    ]);
  });

  it('shares a segment of empty blobs by count, and leaves bytes no blob can take unassigned', () => {
    const empty: PackRecord = {
      id: hexId('empty blobs'),
      size: 100,
      segments: [{ off: 0, len: 61, raw: 0, z: 0, blobs: [blob(A, 'data', 0, 0), blob(B, 'data', 0, 0)] }],
    };
    // 61 by count: 30 and 31; the 39 others by those: floor(39·30/61) = 19, then 20.
    assert.deepEqual(blobShares(empty).blobs, [
      [A, 49],
      [B, 51],
    ]);
    assert.deepEqual(blobShares({ id: hexId('no segments'), size: 40, segments: [] }), { blobs: [], unassigned: 40 });
  });

  it('stays exact when a product passes 2^53 (a pack of gigabytes)', () => {
    const big: PackRecord = {
      id: hexId('big'),
      size: 3 * 2 ** 31 + 3,
      segments: [
        {
          off: 0,
          len: 3 * 2 ** 31,
          raw: 2 ** 32,
          z: 1,
          blobs: [blob(A, 'data', 0, 2 ** 32 - 1), blob(B, 'data', 2 ** 32 - 1, 1)],
        },
      ],
    };
    const [[, a], [, b]] = blobShares(big).blobs as [[string, number], [string, number]];
    // A: floor(3·2^31 · (2^32 − 1) / 2^32) = 3·2^31 − 2 (1.5 short of a whole), B the other 2; then the 3 left over.
    assert.equal(a + b, big.size);
    assert.equal(b, 2 + 3 - Math.floor((3 * (3 * 2 ** 31 - 2)) / (3 * 2 ** 31)));
  });
});
