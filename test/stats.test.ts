/**
 * `cairn stats` end to end: two items share one file of exactly 512 KiB of random bytes (one blob, a
 * segment of its own, stored uncompressed: 12 bytes of nonce and 16 of tag on top), so the stored
 * figures can be checked against the pack files on disk: the item snapshotted second wrote one pack
 * that only it needs, the first one pack holding its own data and the shared file.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { assertExit, jsonError, snapOne, stats } from './e2e.js';
import { type Fixture, fixture } from './helpers.js';

const POLICY = `version: 1
governance:
  retentionClasses:
    short: { keep: 0d }
tiers:
  "1":
    retentionClass: short
    keep: { daily: 7 }
  "2":
    retentionClass: short
    keep: { last: 2 }
items:
  - name: alpha
    owner: team@example.com
    tier: "2"
    sources:
      - files: { root: src/alpha }
  - name: beta
    owner: team@example.com
    tier: "1"
    sources:
      - files: { root: src/beta }
`;

const KIB512 = 512 * 1024;
const SEALED = KIB512 + 12 + 16;

/** Pack files on disk and their sizes. */
function packs(f: Fixture): Map<string, number> {
  const out = new Map<string, number>();
  const dir = join(f.repo, 'packs');
  for (const sub of readdirSync(dir)) {
    for (const name of readdirSync(join(dir, sub))) out.set(name, statSync(join(dir, sub, name)).size);
  }
  return out;
}

describe('cairn stats', () => {
  let f: Fixture;
  let alphaPack = 0;
  let betaPack = 0;
  let churnPack = 0;
  const appYaml = 'replicas: 3\n';
  before(() => {
    f = fixture({ policy: POLICY });
    const shared = randomBytes(KIB512);
    f.write('src/alpha/shared.bin', shared);
    f.write('src/alpha/a.bin', randomBytes(KIB512));
    f.write('src/alpha/app.yaml', appYaml);
    f.write('src/beta/shared.bin', shared);
    f.write('src/beta/b.bin', randomBytes(KIB512));
    const newPack = (before: Map<string, number>) => {
      const added = [...packs(f)].filter(([name]) => !before.has(name));
      assert.equal(added.length, 1, 'each snapshot here writes one pack');
      return added[0]![1];
    };
    let seen = new Map<string, number>();
    snapOne(f, 'alpha');
    alphaPack = newPack(seen);
    seen = packs(f);
    snapOne(f, 'beta');
    betaPack = newPack(seen);
  });

  it('shares the pack bytes out exactly: unique to each item, the shared file once', () => {
    const r = stats(f);
    const [alpha, beta] = r.items;
    assert.equal(alpha?.item, 'alpha');
    assert.equal(beta?.item, 'beta');
    // beta's pack holds only what beta alone needs; alpha's holds its own data and the shared file.
    assert.deepEqual(beta?.stored, { unique: betaPack, shared: alpha?.stored.shared });
    assert.equal(alpha!.stored.unique + alpha!.stored.shared, alphaPack);
    // The shared file's sealed segment, plus its share of its pack's header.
    assert.ok(
      alpha!.stored.shared >= SEALED && alpha!.stored.shared < SEALED + 1024,
      `shared ${alpha!.stored.shared}: the 512 KiB file sealed is ${SEALED} bytes`,
    );
    assert.ok(alpha!.stored.unique >= SEALED, 'alpha alone needs its own 512 KiB file');
    assert.deepEqual(r.repository, {
      packs: 2,
      packBytes: alphaPack + betaPack,
      uniqueToItems: alpha!.stored.unique + betaPack,
      sharedBetweenItems: alpha!.stored.shared,
      unreferenced: 0,
      unindexed: 0,
      missingPacks: 0,
      missingBlobs: 0,
    });
    assert.deepEqual(r.total.stored, { unique: alpha!.stored.unique + betaPack, shared: alpha!.stored.shared });
    // Logical sizes are the files' sizes.
    assert.deepEqual(alpha?.logical, { latest: 2 * KIB512 + appYaml.length, retained: 2 * KIB512 + appYaml.length });
    assert.deepEqual(beta?.logical, { latest: 2 * KIB512, retained: 2 * KIB512 });
    assert.deepEqual(r.total.logical, { latest: 4 * KIB512 + appYaml.length, retained: 4 * KIB512 + appYaml.length });
    // First snapshots store the item's state: no churn yet, so no growth.
    assert.equal(r.total.churn.addedBytes, 0);
    assert.equal(r.total.projection.growthBytes, 0);
    assert.equal(r.total.projection.storedBytes, alphaPack + betaPack);
  });

  it('measures churn from the catalog and projects it under the tier, inputs in --json', () => {
    const before = packs(f);
    f.write('src/alpha/app.yaml', 'replicas: 4\n');
    snapOne(f, 'alpha');
    const added = [...packs(f)].filter(([name]) => !before.has(name));
    assert.equal(added.length, 1);
    churnPack = added[0]![1];

    const r = stats(f);
    const alpha = r.items.find((i) => i.item === 'alpha')!;
    assert.equal(alpha.snapshots, 2);
    assert.deepEqual(alpha.logical, { latest: 2 * KIB512 + 12, retained: 4 * KIB512 + 12 + appYaml.length });
    // History of seconds: churn is averaged over one day.
    assert.deepEqual(alpha.churn, {
      days: 1,
      addedBytes: churnPack,
      snapshots: 2,
      bytesPerDay: churnPack,
      snapshotsPerDay: 2,
    });
    // Tier 2 keeps the last 2 snapshots; at two a day they reach back half a day; no lock.
    const p = alpha.projection;
    assert.equal(p.lockDays, 0);
    assert.equal(p.keepDays, 0.5);
    assert.equal(p.horizonDays, 0.5);
    assert.ok(p.historyDays > 0 && p.historyDays < 0.01, `history ${p.historyDays} days`);
    assert.equal(p.growthBytes, Math.round(churnPack * (0.5 - p.historyDays)));
    assert.equal(p.storedBytes, alpha.stored.unique + alpha.stored.shared + p.growthBytes);
    // The new pack is alpha's alone; the total still adds up to the packs on disk.
    const onDisk = [...packs(f).values()].reduce((n, s) => n + s, 0);
    assert.equal(r.repository.packBytes, onDisk);
    assert.equal(r.repository.uniqueToItems + r.repository.sharedBetweenItems + r.repository.unreferenced, onDisk);
    assert.deepEqual(
      r.days.map((d) => [d.snapshots, d.addedBytes]),
      [[3, churnPack]],
    );
    // Tier 1 (daily 7) over beta, tier 2 over alpha; beta has no churn.
    assert.deepEqual(
      r.tiers.map((t) => [t.tier, t.items, t.projection.growthBytes]),
      [
        ['1', ['beta'], 0],
        ['2', ['alpha'], p.growthBytes],
      ],
    );
    assert.equal(r.total.projection.storedBytes, onDisk + p.growthBytes);
    assert.equal(stats(f, ['--projection', '2y']).projection.days, 730);
  });

  it('narrows to --item and --tier', () => {
    const beta = stats(f, ['--item', 'beta']);
    assert.deepEqual(
      beta.items.map((i) => i.item),
      ['beta'],
    );
    assert.deepEqual(beta.total.stored, { unique: betaPack, shared: beta.items[0]!.stored.shared });
    const tier2 = stats(f, ['--tier', '2']);
    assert.deepEqual(
      tier2.items.map((i) => i.item),
      ['alpha'],
    );
  });

  it('prints an aligned table with units and a total line', () => {
    const r = f.cli(['stats']);
    assertExit(r, 0);
    const lines = r.stdout.split('\n');
    const table = lines.slice(0, lines.indexOf(''));
    assert.match(table[0]!, /^ITEM +TIER +SNAPSHOTS +LATEST +ALL SNAPSHOTS +STORED UNIQUE +SHARED +CHURN\/DAY/);
    assert.match(table[0]!, /IN 12m$/);
    assert.match(
      table.find((l) => l.startsWith('alpha'))!,
      /^alpha +2 +2 +1\.00 MiB +2\.00 MiB +\d+\.\d+ KiB +512\.\d KiB/,
    );
    assert.match(table.find((l) => l.startsWith('tier 1'))!, /^tier 1 +1 items +1 /);
    assert.match(table.at(-1)!, /^total +2 items +3 +2\.00 MiB +3\.00 MiB /);
    const widths = new Set(table.map((l) => l.length));
    assert.equal(widths.size, 1, `every line of the table is as wide:\n${table.join('\n')}`);
    assert.match(r.stdout, /^packs: \d+\.\d+ MiB in 3 packs = .* unique to items \+ 512\.\d KiB shared between items/m);
  });

  it('refuses an unknown item with exit 2, naming the items', () => {
    const r = f.cli(['stats', '--json', '--item', 'gamma']);
    assertExit(r, 2);
    const e = jsonError(r);
    assert.equal(e.code, 'CAIRN_E_USAGE');
    assert.match(e.message, /--item "gamma": no such item .*\(items: alpha, beta\)/);
    const tier = f.cli(['stats', '--tier', '9']);
    assertExit(tier, 2);
    assert.match(tier.stderr, /--tier "9": no such tier .*\(tiers: 1, 2\)/);
  });

  it('refuses a bad --projection or --window with exit 2', () => {
    for (const bad of ['12', '0m', '4h', '1.5y', '-1y', 'soon', '101y']) {
      const r = f.cli(['stats', '--json', '--projection', bad]);
      assertExit(r, 2);
      const e = jsonError(r);
      assert.equal(e.code, 'CAIRN_E_USAGE');
      assert.ok(e.message.startsWith(`--projection ${JSON.stringify(bad)} is not a period`), e.message);
    }
    const w = f.cli(['stats', '--window', '30']);
    assertExit(w, 2);
    assert.match(w.stderr, /--window "30" is not a period: .*e\.g\. 30d, 12m, 2y/);
  });

  it('with CAIRN_SERVER asks that server (test/cli-remote.test.ts); one that cannot be reached is exit 1', () => {
    const r = f.cli(['stats'], { env: { CAIRN_SERVER: 'http://127.0.0.1:1' } });
    assertExit(r, 1);
    assert.match(r.stderr, /CAIRN_E_SERVER: cannot reach the Cairn server at http:\/\/127\.0\.0\.1:1/);
  });
});

describe('cairn stats on an empty repository', () => {
  it('answers honest zeros with exit 0, one line per item of the policy', () => {
    const f = fixture({ policy: POLICY });
    const r = stats(f);
    assert.deepEqual(
      r.items.map((i) => [i.item, i.tier, i.snapshots, i.stored.unique, i.churn.bytesPerDay, i.projection.storedBytes]),
      [
        ['alpha', '2', 0, 0, 0, 0],
        ['beta', '1', 0, 0, 0, 0],
      ],
    );
    assert.equal(r.total.snapshots, 0);
    assert.deepEqual(r.total.projection, { growthBytes: 0, storedBytes: 0 });
    assert.equal(r.repository.packBytes, 0);
    assert.deepEqual(r.days, []);
    const human = f.cli(['stats']);
    assertExit(human, 0);
    assert.match(human.stdout, /^total +2 items +0 +0 B +0 B +0 B +0 B +0 B +0\.00 +0 B$/m);
  });
});
