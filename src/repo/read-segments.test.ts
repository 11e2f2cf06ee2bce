import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CairnError } from '../errors/index.js';
import { FaultStorage, LocalStorage, MemStorage, type Storage } from '../storage/index.js';
import { packKey, type SegmentRecord } from './pack-format.js';
import { Repository } from './repository.js';

const pw = { kind: 'password', value: 'correct horse' } as const;

/** A repository with one pack of `n` incompressible blobs of 600 KiB: each blob is a segment of its own. */
async function onePack(storage: Storage, n: number) {
  const repo = await Repository.init(storage, pw);
  const blobs: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const data = randomBytes(600 * 1024);
    blobs.push(data);
    await repo.saveBlob('data', data);
  }
  const { packs } = await repo.flush();
  assert.equal(packs.length, 1, 'expected a single pack');
  const pack = packs[0]!;
  assert.equal(pack.segments.length, n, 'expected one segment per blob');
  // Segments in pack order, with the blob each holds.
  const segs = [...pack.segments].sort((a, b) => a.off - b.off);
  const plain = (s: SegmentRecord) => blobs.find((b) => repo.blobId(b).id === s.blobs[0]![0])!;
  return { repo, pack: pack.id, segs, plain };
}

function errorCode(r: Buffer | CairnError): string | undefined {
  return r instanceof CairnError ? r.code : undefined;
}

describe('readSegments', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) {
      chmodSync(d, 0o755);
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('reads neighbouring segments with one ranged read and returns them in the order asked', async () => {
    const storage = new FaultStorage(new MemStorage());
    const { repo, pack, segs, plain } = await onePack(storage, 5);
    storage.reset();
    const asked = [segs[3]!, segs[0]!, segs[1]!, segs[2]!, segs[4]!];
    const got = await repo.readSegments(pack, asked);
    assert.equal(storage.counts.getRange, 1);
    assert.deepEqual(got, asked.map(plain));
  });

  it('splits at a gap wider than 256 KiB: two reads, not one over the segment in between', async () => {
    const storage = new FaultStorage(new MemStorage());
    const { repo, pack, segs, plain } = await onePack(storage, 3);
    storage.reset();
    const got = await repo.readSegments(pack, [segs[0]!, segs[2]!]);
    assert.equal(storage.counts.getRange, 2);
    assert.deepEqual(got, [plain(segs[0]!), plain(segs[2]!)]);
  });

  it('a flipped byte fails its own segment only; the others in the same read are returned', async () => {
    const storage = new FaultStorage(new MemStorage());
    const { repo, pack, segs, plain } = await onePack(storage, 4);
    const bad = segs[2]!;
    storage.corrupt(packKey(pack), bad.off + Math.floor(bad.len / 2));
    const got = await repo.readSegments(pack, segs);
    assert.deepEqual(got.map(errorCode), [undefined, undefined, 'CAIRN_E_INTEGRITY', undefined]);
    assert.match((got[2] as CairnError).message, new RegExp(`segment at ${bad.off}`));
    for (const i of [0, 1, 3]) assert.deepEqual(got[i], plain(segs[i]!));
  });

  it('a pack cut short: the segments before the cut are returned, the others say truncated', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cairn-read-segments-'));
    dirs.push(root);
    const { repo, pack, segs, plain } = await onePack(new LocalStorage(root), 4);
    const path = join(root, packKey(pack));
    chmodSync(path, 0o644);
    truncateSync(path, segs[2]!.off + 10);
    assert.equal(statSync(path).size, segs[2]!.off + 10);
    const got = await repo.readSegments(pack, segs);
    assert.deepEqual(got.slice(0, 2), [plain(segs[0]!), plain(segs[1]!)]);
    for (const r of got.slice(2)) {
      assert.equal(errorCode(r), 'CAIRN_E_INTEGRITY');
      assert.equal((r as CairnError).message, `pack ${pack.slice(0, 12)} is truncated`);
    }
  });

  it('a missing pack: every segment says so', async () => {
    const storage = new MemStorage();
    const { repo, pack, segs } = await onePack(storage, 2);
    await storage.delete(packKey(pack));
    const got = await repo.readSegments(pack, segs);
    for (const r of got)
      assert.equal((r as CairnError).message, `pack ${pack.slice(0, 12)} is missing from the repository`);
  });

  it('a storage failure that is not damage is each segment’s error; any other error is thrown', async () => {
    const storage = new FaultStorage(new MemStorage());
    const { repo, pack, segs } = await onePack(storage, 2);
    storage.failOn('getRange', packKey(pack), 'EIO');
    const got = await repo.readSegments(pack, segs);
    assert.deepEqual(got.map(errorCode), ['CAIRN_E_STORAGE', 'CAIRN_E_STORAGE']);
    storage.reset();
    storage.failOn('getRange', packKey(pack), new TypeError('bug'));
    await assert.rejects(repo.readSegments(pack, segs), TypeError);
  });
});
