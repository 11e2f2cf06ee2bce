/**
 * `cairn stats` on a real S3 server with Object Lock (Ceph RGW; CAIRN_TEST_S3_ENDPOINT): the stored
 * figures add up to the pack objects the bucket lists, and a tier's WORM lock is the projection's
 * floor. A missing server fails the test.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { S3Storage } from '../src/storage/index.js';
import { assertExit, snapOne, stats } from './e2e.js';
import { type Fixture, fixture, wormPolicy } from './helpers.js';
import { s3Env, uniqueBucket } from './s3-support.js';

const POLICY = wormPolicy(
  [
    { name: 'ledger', tier: 'worm', root: 'src/ledger' },
    { name: 'web', tier: 'free', root: 'src/web' },
  ],
  { mode: 'compliance', for: '2d' },
);

describe('cairn stats on S3 with Object Lock', () => {
  let f: Fixture;
  let env: Record<string, string>;
  let storage: S3Storage;
  const packs = async () => new Map((await storage.list('packs/')).map((o) => [o.key, o.size]));

  before(() => {
    f = fixture({ policy: POLICY, init: false });
    env = { ...s3Env(), CAIRN_REPOSITORY: `s3://${uniqueBucket('stats')}/cairn` };
    storage = new S3Storage(env.CAIRN_REPOSITORY!, env);
    const shared = randomBytes(512 * 1024);
    f.write('src/ledger/shared.bin', shared);
    f.write('src/ledger/ledger.yaml', `entries: ${randomBytes(2000).toString('hex')}\n`);
    f.write('src/web/shared.bin', shared);
    f.write('src/web/web.yaml', `port: 8080\n`);
  });
  after(() => storage.close());

  it('shares the bucket pack bytes out, and the lock floors the horizon', async () => {
    assertExit(f.cli(['init', '--create-bucket', '--json'], { env }), 0);
    snapOne(f, 'ledger', [], env);
    const ledgerPacks = await packs();
    snapOne(f, 'web', [], env);
    const all = await packs();
    const webBytes = [...all].filter(([k]) => !ledgerPacks.has(k)).reduce((n, [, size]) => n + size, 0);
    const ledgerBytes = [...ledgerPacks.values()].reduce((n, size) => n + size, 0);
    f.write('src/ledger/ledger.yaml', 'entries: changed\n');
    snapOne(f, 'ledger', [], env);
    const after = await packs();
    const churn = [...after].filter(([k]) => !all.has(k)).reduce((n, [, size]) => n + size, 0);

    const doc = stats(f, [], env);
    const [ledger, web] = doc.items;
    assert.deepEqual(web?.stored, { unique: webBytes, shared: ledger?.stored.shared });
    assert.equal(ledger!.stored.unique + ledger!.stored.shared, ledgerBytes + churn);
    assert.ok(ledger!.stored.shared >= 512 * 1024 + 28, 'the shared file, sealed');
    const total = [...after.values()].reduce((n, size) => n + size, 0);
    assert.deepEqual(doc.repository, {
      packs: after.size,
      packBytes: total,
      uniqueToItems: ledger!.stored.unique + webBytes,
      sharedBetweenItems: ledger!.stored.shared,
      unreferenced: 0,
      unindexed: 0,
      missingPacks: 0,
      missingBlobs: 0,
    });
    // keep last 1 reaches no history, but the compliance lock keeps every snapshot 2 days.
    assert.equal(ledger?.churn.addedBytes, churn);
    const p = ledger!.projection;
    assert.deepEqual([p.lockDays, p.keepDays, p.horizonDays], [2, 0, 2]);
    assert.equal(p.growthBytes, Math.round(ledger!.churn.bytesPerDay * (2 - p.historyDays)));
    assert.deepEqual([web?.projection.lockDays, web?.projection.horizonDays, web?.projection.growthBytes], [0, 0, 0]);
  });
});
