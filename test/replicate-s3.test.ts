/**
 * Replication and repair against the real S3 server (Ceph RGW with Object Lock): a local repository
 * replicated to a bucket keeps each object's retention and mode and restores from the bucket alone;
 * an S3 repository damaged behind Cairn's back (a new version over a pack, a delete marker on
 * another) is named by check and repaired from a local replica.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { openStorage } from '../src/storage/index.js';
import { assertNoStackTrace, takeSnapshot } from './craft.js';
import { type Fixture, fixture } from './helpers.js';
import {
  assertExitCode,
  contentOf,
  newLockedBucket,
  objectFilesOf,
  replicaPolicy,
  replicate,
  S3_ENV,
  s3Client,
  useS3InProcess,
} from './replicate-support.js';
import { createBucket, uniqueBucket } from './s3-support.js';

function binaryFiles(f: Fixture, n: number): void {
  for (let i = 0; i < n; i++) {
    const data = randomBytes(1024 * 1024);
    data[0] = 0;
    f.write(`src/prod/blob${i}.bin`, data);
  }
}

describe('cairn replicate and repair on S3 (RGW with Object Lock)', () => {
  let client: S3Client;
  before(() => {
    client = s3Client();
    useS3InProcess();
  });
  after(() => client.destroy());

  it('a replica bucket without Object Lock is refused before anything is copied; --create-bucket makes a fit one', async () => {
    const f = fixture({ policy: replicaPolicy() });
    takeSnapshot(f, 'app-prod');
    const plain = await createBucket({ plain: true, tag: 'plainrep' });
    const refused = replicate(f, ['--to', `s3://${plain}/replica`], S3_ENV);
    assertExitCode(refused.r, 1);
    assert.match(refused.r.stderr, /CAIRN_E_BUCKET/);
    assert.match(refused.r.stderr, /Object Lock/);
    assertNoStackTrace(refused.r.stderr);
    const remote = openStorage(`s3://${plain}/replica`);
    try {
      assert.deepEqual(await remote.list(''), []);
    } finally {
      await remote.close();
    }
    const fresh = `s3://${uniqueBucket('newrep')}/replica`;
    const made = replicate(f, ['--to', fresh, '--create-bucket'], S3_ENV);
    assertExitCode(made.r, 0);
    assert.equal(made.result.ok, true);
  });

  it('local to S3: verified copies keep retention and mode; a second run copies nothing; the bucket alone restores', async () => {
    const f = fixture({ policy: replicaPolicy() });
    binaryFiles(f, 3);
    const id = takeSnapshot(f, 'app-prod');
    takeSnapshot(f, 'app-dev');
    const to = `s3://${await newLockedBucket(client, 'replica')}/replica`;
    const { r, result } = replicate(f, ['--to', to], S3_ENV);
    assertExitCode(r, 0);
    assert.equal(result.ok, true);
    assert.equal(result.copied, result.objects);
    assert.equal(result.verified.bytes, result.copiedBytes);

    const primary = openStorage(f.repo);
    const remote = openStorage(to);
    try {
      const objects = (await primary.list('')).filter((o) => !o.key.startsWith('locks/'));
      assert.deepEqual((await remote.list('')).map((o) => o.key).sort(), objects.map((o) => o.key).sort());
      let locked = 0;
      for (const o of objects) {
        const there = await remote.stat(o.key);
        assert.equal(there?.size, o.size, o.key);
        if (!o.retainUntil) continue;
        locked++;
        assert.ok(there?.retainUntil, `${o.key} has a retention on S3`);
        assert.ok(Math.abs(there.retainUntil.getTime() - o.retainUntil.getTime()) < 1000, o.key);
        assert.equal(there.mode, o.mode, o.key);
      }
      assert.ok(locked >= 2, 'tier 0 packs and snapshot objects are locked');
    } finally {
      await remote.close();
      await primary.close();
    }

    assert.equal(replicate(f, ['--to', to], S3_ENV).result.copied, 0);

    rmSync(f.repo, { recursive: true, force: true });
    const fresh = { ...S3_ENV, CAIRN_REPOSITORY: to, CAIRN_HOME: join(f.dir, 'fresh-home') };
    assertExitCode(f.cli(['check', '--read-data'], { env: fresh }), 0);
    const target = join(f.dir, 'restored');
    assertExitCode(f.cli(['restore', id, '--target', target], { env: fresh }), 0);
    assert.deepEqual(contentOf(target), contentOf(join(f.src, 'prod')));
  });

  it('S3 primary: a new version over a pack and a delete marker on another are named by check and repaired', async () => {
    const bucket = await newLockedBucket(client, 'primary');
    const repo = `s3://${bucket}/primary`;
    const f = fixture({ policy: replicaPolicy(), init: false });
    const env = { ...S3_ENV, CAIRN_REPOSITORY: repo };
    assertExitCode(f.cli(['init'], { env }), 0);
    binaryFiles(f, 12);
    const snap = f.cli(['snapshot', '--item', 'app-prod', '--json'], { env });
    assertExitCode(snap, 0);
    const id = snap.json<{ snapshots: Array<{ id: string }> }>().snapshots[0]!.id;
    const replica = join(f.dir, 'replica');
    assertExitCode(replicate(f, ['--to', replica], env).r, 0);
    const packs = objectFilesOf(replica).filter((k) => k.startsWith('packs/'));
    assert.ok(packs.length >= 2, `several packs: ${packs}`);
    const [lost, damaged] = packs as [string, string];

    // Behind Cairn's back, with the SDK: both are allowed under Object Lock (the locked versions stay).
    const garbage = randomBytes(2048);
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `primary/${damaged}`,
        Body: garbage,
        ContentMD5: createHash('md5').update(garbage).digest('base64'),
      }),
    );
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: `primary/${lost}` }));

    const check = () => {
      const r = f.cli(['check', '--read-data', '--json'], { env });
      assertNoStackTrace(r.stderr);
      return { r, report: r.json<{ errors: Array<{ object?: string; message: string }> }>() };
    };
    const broken = check();
    assertExitCode(broken.r, 1);
    const named = broken.report.errors.map((e) => e.object);
    // A lost pack that holds the root tree also makes the snapshot unreadable: check says so too.
    for (const key of [lost, damaged]) assert.ok(named.includes(key), `check names ${key}: ${named}`);

    const r = f.cli(['repair', '--from', replica, '--json'], { env });
    assertNoStackTrace(r.stderr);
    assertExitCode(r, 0);
    assert.deepEqual(
      r
        .json<{ repaired: Array<{ key: string; reason: string }> }>()
        .repaired.map((o) => [o.key, o.reason])
        .sort(),
      [
        [damaged, 'damaged'],
        [lost, 'missing'],
      ].sort(),
    );
    assertExitCode(check().r, 0);
    const target = join(f.dir, 'restored');
    assertExitCode(f.cli(['restore', id, '--target', target], { env }), 0);
    assert.deepEqual(contentOf(target), contentOf(join(f.src, 'prod')));
  });
});
