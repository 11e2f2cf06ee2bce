/**
 * The storage contract and the S3-only guarantees on a real S3 server with Object Lock (Ceph RGW):
 * WORM enforced by the server itself, every version removed by delete, bytes checked on arrival,
 * clear errors for bad credentials, a missing bucket and an unreachable endpoint, request counts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DeleteObjectCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { isCairnError } from '../src/errors/index.js';
import { rejectsWithCode, storageContract } from '../src/storage/contract.js';
import { S3Storage } from '../src/storage/index.js';
import { closedPort, createBucket, rawClient, s3Env, startProxy } from './s3-support.js';

let contractBucket: Promise<string> | undefined;
let n = 0;
storageContract('S3Storage on Ceph RGW', async () => {
  contractBucket ??= createBucket({ tag: 'contract' });
  const storage = new S3Storage(`s3://${await contractBucket}/t${n++}`, s3Env());
  return { storage, cleanup: async () => {} };
});

describe('S3Storage on Ceph RGW', () => {
  const later = new Date('2099-06-01T12:00:00.000Z');
  let bucket: string;
  let raw: S3Client;
  let t = 0;
  const open = (env: Record<string, string> = {}) => new S3Storage(`s3://${bucket}/s${t++}`, { ...s3Env(), ...env });
  const versions = async (key: string) => {
    const out = await raw.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
    return { versions: out.Versions ?? [], markers: out.DeleteMarkers ?? [] };
  };

  before(async () => {
    bucket = await createBucket({ tag: 's3' });
    raw = rawClient();
  });
  after(() => raw.destroy());

  it('the server itself refuses to delete a locked version, even asked directly through the SDK', async () => {
    const s = open();
    await s.put('packs/aa/locked', Buffer.from('worm'), { retainUntil: later, mode: 'compliance' });
    await s.put('packs/aa/governed', Buffer.from('worm'), { retainUntil: later });
    const key = `${s.settings.prefix}packs/aa/locked`;
    const head = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    assert.equal(head.ObjectLockMode, 'COMPLIANCE');
    for (const bypass of [false, true]) {
      await assert.rejects(
        raw.send(
          new DeleteObjectCommand({
            Bucket: bucket,
            Key: key,
            VersionId: head.VersionId,
            BypassGovernanceRetention: bypass,
          }),
        ),
        (err: { $metadata?: { httpStatusCode?: number } }) => err.$metadata?.httpStatusCode === 403,
      );
    }
    const governed = `${s.settings.prefix}packs/aa/governed`;
    const gHead = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: governed }));
    await assert.rejects(
      raw.send(new DeleteObjectCommand({ Bucket: bucket, Key: governed, VersionId: gHead.VersionId })),
      (err: { $metadata?: { httpStatusCode?: number } }) => err.$metadata?.httpStatusCode === 403,
    );
    assert.equal((await s.get('packs/aa/locked')).toString(), 'worm');
    await s.close();
  });

  it('delete refuses a locked object without asking the server to delete it', async () => {
    const s = open();
    await s.put('snapshots/r', Buffer.from('x'), { retainUntil: later });
    const before = s.requests.DELETE;
    await rejectsWithCode(s.delete('snapshots/r'), 'CAIRN_E_RETAINED', later.toISOString());
    await s.setLegalHold('snapshots/r', true);
    await rejectsWithCode(s.delete('snapshots/r'), 'CAIRN_E_RETAINED', 'legal hold');
    assert.equal(s.requests.DELETE, before);
    await s.close();
  });

  it('a held version is refused by the server too, and a server refusal maps to CAIRN_E_RETAINED', async () => {
    const s = open();
    await s.put('locks/h', Buffer.from('x'));
    await s.setLegalHold('locks/h', true);
    const key = `${s.settings.prefix}locks/h`;
    const head = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    assert.equal(head.ObjectLockLegalHoldStatus, 'ON');
    await assert.rejects(
      raw.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: head.VersionId })),
      (err: { $metadata?: { httpStatusCode?: number }; message?: string }) =>
        err.$metadata?.httpStatusCode === 403 && /object lock/i.test(err.message ?? ''),
    );
    // A second version without the hold, put behind Cairn's back: the HEAD sees no hold, the server
    // still refuses to delete the old held version, and that refusal is reported as retention.
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from('y') }));
    await rejectsWithCode(s.delete('locks/h'), 'CAIRN_E_RETAINED', 'locks/h', 'Object Lock');
    await s.close();
  });

  it('delete removes every version of the key and leaves no delete marker', async () => {
    const s = open();
    await s.put('index/i', Buffer.from('one'));
    await s.repair('index/i', Buffer.from('two'));
    await s.repair('index/i', Buffer.from('three'));
    await s.put('index/i2', Buffer.from('neighbour'));
    const key = `${s.settings.prefix}index/i`;
    assert.equal((await versions(key)).versions.filter((v) => v.Key === key).length, 3);
    await s.delete('index/i');
    const left = await versions(key);
    assert.deepEqual(
      [...left.versions, ...left.markers].map((v) => v.Key),
      [`${key}2`],
    );
    assert.equal((await s.get('index/i2')).toString(), 'neighbour');
    await s.close();
  });

  it('repair writes a new version with the lock of the damaged one, which stays locked', async () => {
    const s = open();
    await s.put('packs/bb/p', Buffer.from('damaged'), { retainUntil: later, mode: 'compliance' });
    await s.setLegalHold('packs/bb/p', true);
    await s.repair('packs/bb/p', Buffer.from('good'));
    const key = `${s.settings.prefix}packs/bb/p`;
    const { versions: all } = await versions(key);
    assert.equal(all.length, 2);
    for (const v of all) {
      const h = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: v.VersionId }));
      assert.equal(h.ObjectLockMode, 'COMPLIANCE');
      assert.deepEqual(h.ObjectLockRetainUntilDate, later);
      assert.equal(h.ObjectLockLegalHoldStatus, 'ON');
    }
    assert.equal((await s.get('packs/bb/p')).toString(), 'good');
    await s.setLegalHold('packs/bb/p', false);
    for (const v of all) {
      const h = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: v.VersionId }));
      assert.equal(h.ObjectLockLegalHoldStatus, 'OFF');
    }
    await s.close();
  });

  it('an object deleted behind Cairn’s back is missing, and repair with create brings it back', async () => {
    const s = open();
    await s.put('packs/cc/gone', Buffer.from('bytes'), { retainUntil: later });
    await raw.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${s.settings.prefix}packs/cc/gone` }));
    assert.equal(await s.stat('packs/cc/gone'), undefined);
    await rejectsWithCode(s.get('packs/cc/gone'), 'CAIRN_E_NOT_FOUND', 'packs/cc/gone');
    await rejectsWithCode(s.repair('packs/cc/gone', Buffer.from('bytes')), 'CAIRN_E_NOT_FOUND');
    await s.repair('packs/cc/gone', Buffer.from('bytes'), { create: true, retainUntil: later });
    assert.deepEqual((await s.stat('packs/cc/gone'))?.retainUntil, later);
    await s.close();
  });

  it('raising governance to compliance shows on the server', async () => {
    const s = open();
    await s.put('snapshots/g', Buffer.from('x'), { retainUntil: later });
    await s.extendRetention('snapshots/g', later, 'compliance');
    const out = await raw.send(
      new GetObjectRetentionCommand({ Bucket: bucket, Key: `${s.settings.prefix}snapshots/g` }),
    );
    assert.equal(out.Retention?.Mode, 'COMPLIANCE');
    assert.deepEqual(out.Retention?.RetainUntilDate, later);
    await s.close();
  });

  it('the server checks every byte: a body changed in transit is refused and nothing is stored', async () => {
    const marker = Buffer.from('CAIRN-TAMPER-ME');
    let md5Header = false;
    const proxy = await startProxy({
      tamper: (chunk) => {
        if (/^content-md5: /im.test(chunk.toString('latin1'))) md5Header = true;
        const at = chunk.indexOf(marker);
        if (at === -1) return chunk;
        const copy = Buffer.from(chunk);
        copy[at] = 0x78;
        return copy;
      },
    });
    const s = open({ CAIRN_S3_ENDPOINT: proxy.endpoint, CAIRN_S3_MAX_ATTEMPTS: '1' });
    try {
      const body = Buffer.concat([Buffer.alloc(1000, 1), marker, Buffer.alloc(1000, 2)]);
      await rejectsWithCode(s.put('packs/dd/t', body), 'CAIRN_E_INTEGRITY', 'packs/dd/t', 'in transit');
      assert.ok(md5Header, 'the PUT carries Content-MD5');
      assert.equal(await s.stat('packs/dd/t'), undefined);
      await s.put('packs/dd/u', Buffer.from('fine'));
      assert.equal((await s.get('packs/dd/u')).toString(), 'fine');
    } finally {
      await s.close();
      await proxy.close();
    }
  });

  it('counts requests by kind and appends them to CAIRN_S3_REQUEST_LOG on close', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'cairn-s3-log-')), 'requests.jsonl');
    const s = open({ CAIRN_S3_REQUEST_LOG: log });
    await s.put('packs/ee/a', Buffer.alloc(1000, 7));
    // One HEAD for the bucket on first use, then HEAD + PUT per new object.
    assert.deepEqual(s.requests, { GET: 0, PUT: 1, HEAD: 2, LIST: 0, DELETE: 0, other: 0 });
    await s.get('packs/ee/a');
    await s.list('packs/');
    await s.extendRetention('packs/ee/a', later);
    await s.close();
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    assert.equal(lines.length, 1);
    assert.deepEqual(JSON.parse(lines[0]!), {
      location: s.location,
      counts: { GET: 1, PUT: 1, HEAD: 3, LIST: 1, DELETE: 0, other: 1 },
      bytesUp: 1000,
      bytesDown: 1000,
    });
    // Usable after close; the next close appends the next line.
    assert.equal((await s.stat('packs/ee/a'))?.size, 1000);
    await s.close();
    assert.equal(readFileSync(log, 'utf8').trim().split('\n').length, 2);
  });

  it('a content-addressed put costs one PUT and no HEAD; an existing key is still refused without the hint', async () => {
    const s = open();
    await s.put('packs/ef/first', Buffer.from('x'));
    const heads = s.requests.HEAD;
    const puts = s.requests.PUT;
    await s.put('packs/ef/cafe', Buffer.from('same bytes'), { contentAddressed: true, retainUntil: later });
    assert.equal(s.requests.HEAD, heads);
    assert.equal(s.requests.PUT, puts + 1);
    assert.equal((await s.get('packs/ef/cafe')).toString(), 'same bytes');
    assert.equal((await s.stat('packs/ef/cafe'))?.mode, 'governance');
    await rejectsWithCode(s.put('packs/ef/cafe', Buffer.from('other')), 'CAIRN_E_EXISTS');
  });

  it('extending a lock in a given mode is one request; what S3 refuses falls back to looking first, never lowering', async () => {
    const s = open();
    const soon = new Date(Date.now() + 86_400_000);
    const next = new Date(Date.now() + 2 * 86_400_000);
    await s.put('packs/ab/g', Buffer.from('g'), { retainUntil: soon, mode: 'governance' });
    await s.put('packs/ab/c', Buffer.from('c'), { retainUntil: next, mode: 'compliance' });
    const before = { ...s.requests };
    await s.extendRetention('packs/ab/g', next, 'governance');
    assert.equal(s.requests.HEAD, before.HEAD, 'no HEAD before a plain extension');
    assert.equal(s.requests.other, before.other + 1, 'one PutObjectRetention');
    const g = await s.stat('packs/ab/g');
    assert.ok(Math.abs((g?.retainUntil?.getTime() ?? 0) - next.getTime()) < 1000, 'extended to the date asked');
    assert.equal(g?.mode, 'governance');
    // A governance request on a compliance lock: S3 refuses the optimistic call; the lock stays compliance.
    await s.extendRetention('packs/ab/c', new Date(next.getTime() + 86_400_000), 'governance');
    assert.equal((await s.stat('packs/ab/c'))?.mode, 'compliance');
    // An earlier date is refused by the server and changes nothing.
    await s.extendRetention('packs/ab/g', soon, 'governance');
    const after = (await s.stat('packs/ab/g'))?.retainUntil?.getTime() ?? 0;
    assert.ok(Math.abs(after - next.getTime()) < 1000, 'not shortened');
    // Raising governance to compliance still works (through the look-first path with the bypass).
    await s.extendRetention('packs/ab/g', next, 'compliance');
    assert.equal((await s.stat('packs/ab/g'))?.mode, 'compliance');
  });

  it('wrong credentials fail at once with their own message', async () => {
    const wrong: Record<string, string>[] = [{ AWS_SECRET_ACCESS_KEY: 'WRONG' }, { AWS_ACCESS_KEY_ID: 'NOBODY' }];
    for (const env of wrong) {
      const s = open(env);
      const start = Date.now();
      await assert.rejects(s.get('config'), (err: unknown) => {
        assert.ok(isCairnError(err, 'CAIRN_E_STORAGE_AUTH'), String(err));
        assert.match(err.message, new RegExp(`bucket ${bucket}`));
        assert.match(err.message, /AWS_ACCESS_KEY_ID/);
        return true;
      });
      assert.ok(Date.now() - start < 3000, 'no retries on refused credentials');
      await s.close();
    }
  });

  it('a missing bucket is named, with how to create it', async () => {
    const s = new S3Storage('s3://cairn-no-such-bucket-here/x', s3Env());
    await rejectsWithCode(s.list(''), 'CAIRN_E_BUCKET', 'cairn-no-such-bucket-here', '--create-bucket');
    await s.close();
  });

  it('an endpoint that is down is retried with backoff, then named in the error', async () => {
    const port = await closedPort();
    const s = open({ CAIRN_S3_ENDPOINT: `http://127.0.0.1:${port}`, CAIRN_S3_MAX_ATTEMPTS: '3' });
    await assert.rejects(s.put('packs/ff/x', Buffer.from('x')), (err: unknown) => {
      assert.ok(isCairnError(err, 'CAIRN_E_STORAGE_UNAVAILABLE'), String(err));
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      assert.match(err.message, new RegExp(bucket));
      assert.match(err.message, /after 3 attempts/);
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    });
    assert.equal(s.requests.HEAD, 3);
    await s.close();
  });

  it('an endpoint that goes away mid-way fails the next request clearly, and a new one works', async () => {
    const proxy = await startProxy();
    const s = open({ CAIRN_S3_ENDPOINT: proxy.endpoint, CAIRN_S3_MAX_ATTEMPTS: '2' });
    await s.put('packs/ab/1', Buffer.from('1'));
    await proxy.cut();
    await rejectsWithCode(
      s.put('packs/ab/2', Buffer.from('2')),
      'CAIRN_E_STORAGE_UNAVAILABLE',
      proxy.endpoint,
      'packs/ab/2',
    );
    await s.close();
    const direct = new S3Storage(`s3://${bucket}/${s.settings.prefix}`, s3Env());
    assert.deepEqual(
      (await direct.list('packs/ab/')).map((o) => o.key),
      ['packs/ab/1'],
    );
    await direct.close();
  });
});
