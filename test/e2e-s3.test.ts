/**
 * The core flow through the CLI bundle on a real S3 server with Object Lock (Ceph RGW): init creates
 * the bucket, snapshots deduplicate, restore is byte-identical, check --read-data passes, and
 * forget/prune never delete what is locked, which the server would refuse anyway.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { S3Storage } from '../src/storage/index.js';
import { assertExit, search, snap } from './e2e.js';
import { type Fixture, fixture, wormPolicy } from './helpers.js';
import { s3Env, uniqueBucket } from './s3-support.js';

const POLICY = wormPolicy([
  { name: 'ledger', tier: 'worm', root: 'src/prod' },
  { name: 'web', tier: 'free', root: 'src/dev' },
]);

function files(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

function assertSameTree(actual: string, expected: string): void {
  const a = files(actual);
  const e = files(expected);
  assert.deepEqual([...a.keys()].sort(), [...e.keys()].sort());
  for (const [p, bytes] of e) assert.ok(a.get(p)?.equals(bytes), `${p} differs`);
}

describe('cairn on S3 with Object Lock, end to end', () => {
  let f: Fixture;
  let bucket: string;
  let env: Record<string, string>;
  let storage: S3Storage;
  const cli = (args: string[]) => f.cli(args, { env });
  const packs = async () => new Map((await storage.list('packs/')).map((o) => [o.key, o.size]));

  before(() => {
    f = fixture({ policy: POLICY, init: false });
    bucket = uniqueBucket('e2e');
    env = { ...s3Env(), CAIRN_REPOSITORY: `s3://${bucket}/team/cairn` };
    // Incompressible content, so that data, not metadata, makes most of what is stored.
    for (let i = 0; i < 40; i++) {
      f.write(`src/prod/conf/file-${i}.yaml`, `id: ${i}\nvalue: ${randomBytes(3000).toString('base64')}\n`);
    }
    storage = new S3Storage(env.CAIRN_REPOSITORY!, env);
  });
  after(() => storage.close());

  it('init refuses a missing bucket, then creates it with --create-bucket', () => {
    const refused = cli(['init', '--json']);
    assertExit(refused, 1);
    assert.match(refused.stderr + refused.stdout, /CAIRN_E_BUCKET/);
    assert.match(refused.stderr + refused.stdout, /--create-bucket/);
    const r = cli(['init', '--create-bucket', '--json']);
    assertExit(r, 0);
    const doc = r.json<{ repository: string; bucket: { name: string; created: boolean } }>();
    assert.equal(doc.repository, `s3://${bucket}/team/cairn`);
    assert.deepEqual(doc.bucket, { name: bucket, created: true });
    const again = cli(['init', '--create-bucket', '--json']);
    assertExit(again, 1);
    assert.match(again.stdout + again.stderr, /CAIRN_E_REPO_EXISTS/);
  });

  let firstPacks: Map<string, number>;
  let lockedPacks: string[];
  let firstLedger: string;

  it('snapshots every item, and a second snapshot after a small change deduplicates', async () => {
    const first = snap(f, [], env);
    assertExit(first.r, 0);
    assert.deepEqual(first.results.map((x) => x.status).sort(), ['created', 'created']);
    firstLedger = first.results.find((x) => x.item === 'ledger')!.id!;
    firstPacks = await packs();
    // The ledger's packs carry its tier's compliance lock for a day; the web item's carry none.
    lockedPacks = [];
    for (const key of firstPacks.keys()) {
      const info = await storage.stat(key);
      if (info?.mode === undefined) continue;
      assert.equal(info.mode, 'compliance', key);
      assert.ok(info.retainUntil && info.retainUntil.getTime() > Date.now() + 23 * 3600_000, key);
      lockedPacks.push(key);
    }
    assert.ok(lockedPacks.length > 0 && lockedPacks.length < firstPacks.size, `${lockedPacks.length} locked packs`);

    writeFileSync(join(f.src, 'prod/conf/file-3.yaml'), 'id: 3\nvalue: changed\n');
    f.write('src/dev/new.env', 'NEW=1\n');
    const second = snap(f, [], env);
    assertExit(second.r, 0);
    assert.deepEqual(second.results.map((x) => x.status).sort(), ['created', 'created']);
    const now = await packs();
    const added = [...now.keys()].filter((k) => !firstPacks.has(k));
    const addedBytes = added.reduce((n, k) => n + now.get(k)!, 0);
    const firstBytes = [...firstPacks.values()].reduce((a, b) => a + b, 0);
    assert.ok(addedBytes < firstBytes / 2, `the second snapshot stored ${addedBytes} bytes, the first ${firstBytes}`);
  });

  it('lists the snapshots and restores each item byte for byte', () => {
    const hits = search(f, [], env);
    assert.equal(hits.length, 4);
    for (const [item, dir] of [
      ['ledger', 'prod'],
      ['web', 'dev'],
    ] as const) {
      const latest = hits.find((h) => h.item === item)!;
      const target = join(f.dir, `restored-${item}`);
      const r = cli(['restore', latest.id, '--target', target, '--json']);
      assertExit(r, 0);
      assertSameTree(target, join(f.src, dir));
    }
  });

  it('check --read-data passes', () => {
    const r = cli(['check', '--read-data', '--json']);
    assertExit(r, 0);
  });

  it('forget and prune remove what is free and never a locked pack or snapshot', async () => {
    const forget = cli(['forget', '--apply-policy', '--prune', '--json']);
    assertExit(forget, 0);
    const left = search(f, [], env);
    // web keeps its last snapshot; ledger keeps both: the first one is locked for a day.
    assert.equal(left.filter((h) => h.item === 'web').length, 1);
    assert.ok(
      left.some((h) => h.id === firstLedger),
      'the locked ledger snapshot is kept',
    );
    const now = await packs();
    for (const key of lockedPacks) assert.ok(now.has(key), `locked pack ${key} is still there`);
    const check = cli(['check', '--read-data', '--json']);
    assertExit(check, 0);
    const target = join(f.dir, 'restored-first');
    assertExit(cli(['restore', firstLedger, '--target', target, '--json']), 0);
    assert.equal(files(target).size, files(join(f.src, 'prod')).size);
  });
});
