/**
 * S3 faults through the CLI bundle: wrong credentials, a bucket without Object Lock (init writes
 * nothing), the endpoint down at start, and the endpoint cut in the middle of a snapshot: retried,
 * then a clear error, no snapshot recorded anywhere, and the next run completes and checks clean.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { S3Storage } from '../src/storage/index.js';
import { assertExit, cliAsync, search } from './e2e.js';
import { type CliResult, type Fixture, fixture, policyYaml } from './helpers.js';
import { closedPort, createBucket, rawClient, S3_ENDPOINT, s3Env, startProxy, uniqueBucket } from './s3-support.js';

const POLICY = policyYaml({
  classes: { none: '0d' },
  tiers: { worm: { class: 'none', lock: { mode: 'governance', for: '1d' }, last: 3 } },
  items: [{ name: 'ledger', tier: 'worm', root: 'src/prod' }],
});

const output = (r: CliResult) => `${r.stdout}\n${r.stderr}`;

describe('S3 faults through the CLI', () => {
  let f: Fixture;
  let env: Record<string, string>;
  let location: string;

  before(async () => {
    f = fixture({ policy: POLICY, init: false });
    location = `s3://${await createBucket({ tag: 'faults' })}/repo`;
    env = { ...s3Env(), CAIRN_REPOSITORY: location };
    assertExit(f.cli(['init'], { env }), 0);
  });

  it('wrong credentials: exit 1 with their own error, naming the endpoint and the bucket', () => {
    for (const wrong of [{ AWS_SECRET_ACCESS_KEY: 'WRONG' }, { AWS_ACCESS_KEY_ID: 'NOBODY' }]) {
      const r = f.cli(['snapshots', '--json'], { env: { ...env, ...wrong } });
      assertExit(r, 1);
      assert.match(output(r), /CAIRN_E_STORAGE_AUTH/);
      assert.ok(output(r).includes(S3_ENDPOINT), output(r));
      assert.ok(output(r).includes(location.split('/')[2]!), output(r));
    }
  });

  it('a bucket without versioning and Object Lock is refused by init, and nothing is written', async () => {
    const plain = await createBucket({ plain: true, tag: 'plain' });
    const keyFile = join(f.dir, 'new.key');
    for (const extra of [[], ['--create-bucket']]) {
      const r = f.cli(['init', '--key-file', keyFile, '--json', ...extra], {
        env: { ...env, CAIRN_REPOSITORY: `s3://${plain}/repo`, CAIRN_HOME: join(f.dir, 'home-plain') },
      });
      assertExit(r, 1);
      assert.match(output(r), /CAIRN_E_BUCKET/);
      assert.match(output(r), /versioning is not enabled/);
      assert.match(output(r), /Object Lock is not enabled/);
      assert.ok(!existsSync(keyFile), 'no key file is left behind');
    }
    const raw = rawClient();
    const listed = await raw.send(new ListObjectVersionsCommand({ Bucket: plain }));
    raw.destroy();
    assert.equal((listed.Versions ?? []).length, 0);
    assert.equal((listed.DeleteMarkers ?? []).length, 0);
  });

  it('a bucket with a default retention rule is refused too: lock files must stay deletable', async () => {
    const { PutObjectLockConfigurationCommand } = await import('@aws-sdk/client-s3');
    const bucket = uniqueBucket('rule');
    const raw = rawClient();
    await raw.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
    await raw.send(
      new PutObjectLockConfigurationCommand({
        Bucket: bucket,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } },
        },
      }),
    );
    raw.destroy();
    const r = f.cli(['init', '--json'], { env: { ...env, CAIRN_REPOSITORY: `s3://${bucket}/x` } });
    assertExit(r, 1);
    assert.match(output(r), /CAIRN_E_BUCKET/);
    assert.match(output(r), /default retention rule/);
  });

  it('the endpoint down at start: retried, then exit 1 naming it, quickly', async () => {
    const port = await closedPort();
    const start = Date.now();
    const r = f.cli(['snapshot', '--json'], {
      env: { ...env, CAIRN_S3_ENDPOINT: `http://127.0.0.1:${port}`, CAIRN_S3_MAX_ATTEMPTS: '3' },
    });
    assertExit(r, 1);
    assert.match(output(r), /CAIRN_E_STORAGE_UNAVAILABLE/);
    assert.ok(output(r).includes(`127.0.0.1:${port}`), output(r));
    assert.match(output(r), /after 3 attempts/);
    assert.ok(Date.now() - start < 20_000);
  });

  describe('the endpoint cut in the middle of a snapshot', () => {
    let proxy: Awaited<ReturnType<typeof startProxy>>;
    const storage = () => new S3Storage(location, env);
    before(() => {
      // 24 MiB that does not compress: several packs, a few seconds of uploads.
      for (let i = 0; i < 24; i++) f.write(`src/prod/data/blob-${i}.bin`, randomBytes(1 << 20));
      for (let i = 0; i < 200; i++)
        f.write(`src/prod/conf/c-${i}.yaml`, `n: ${i}\n${randomBytes(500).toString('hex')}\n`);
    });
    after(() => proxy?.close());

    it('fails with a clear error and records no snapshot; the next run completes and checks clean', async () => {
      proxy = await startProxy();
      const cutAt = 4 << 20;
      const running = cliAsync(f, ['snapshot', '--json'], {
        ...env,
        CAIRN_S3_ENDPOINT: proxy.endpoint,
        CAIRN_S3_MAX_ATTEMPTS: '3',
      });
      const watch = setInterval(() => {
        if (proxy.bytesUp > cutAt) void proxy.cut();
      }, 5);
      const r = await running;
      clearInterval(watch);
      assert.ok(proxy.bytesUp > cutAt, `the snapshot ended before the cut (${proxy.bytesUp} bytes):\n${output(r)}`);
      assertExit(r, 1);
      assert.match(output(r), /CAIRN_E_STORAGE_UNAVAILABLE/);
      assert.ok(output(r).includes(proxy.endpoint), output(r));

      const s = storage();
      assert.deepEqual(await s.list('snapshots/'), [], 'no snapshot object in the repository');
      await s.close();
      assert.deepEqual(search(f, [], env), [], 'no snapshot in the catalog');

      const next = f.cli(['snapshot', '--json'], { env });
      assertExit(next, 0);
      assert.equal(search(f, [], env).length, 1);
      const check = f.cli(['check', '--read-data', '--json'], { env });
      assertExit(check, 0);
    });
  });
});
