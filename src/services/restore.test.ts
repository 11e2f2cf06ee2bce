import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { SnapshotRecord } from '../catalog/index.js';
import { packKey, Repository, sha256Hex, type TreeEntry } from '../repo/index.js';
import { FaultStorage, MemStorage } from '../storage/index.js';
import type { Progress } from './progress.js';
import { restoreSnapshot } from './restore.js';
import { batchUnits } from './restore-reads.js';

const pw = { kind: 'password', value: 'correct horse' } as const;
const MTIME = Date.parse('2024-03-04T05:06:07.000Z');

/**
 * Two packs' worth of files: 60 small ones (100 KiB, incompressible: about ten to a segment)
 * and four large ones of three 600 KiB chunks (a segment each), saved through the repo layer.
 */
async function corpus() {
  const storage = new FaultStorage(new MemStorage());
  const repo = await Repository.init(storage, pw);
  const contents = new Map<string, Buffer>();
  const entries: TreeEntry[] = [];
  const add = async (name: string, chunks: Buffer[]) => {
    const blobs: string[] = [];
    for (const c of chunks) blobs.push((await repo.saveBlob('data', c)).id);
    const data = Buffer.concat(chunks);
    contents.set(name, data);
    entries.push({ name, type: 'file', mode: 0o644, mtime: MTIME, size: data.length, sha256: sha256Hex(data), blobs });
  };
  for (let i = 0; i < 60; i++) await add(`small-${String(i).padStart(2, '0')}.bin`, [randomBytes(100 * 1024)]);
  for (let i = 0; i < 4; i++)
    await add(
      `large-${i}.bin`,
      [0, 1, 2].map(() => randomBytes(600 * 1024)),
    );
  const tree = await repo.saveTree({ entries: entries.sort((a, b) => (a.name < b.name ? -1 : 1)) });
  const { packs } = await repo.flush();
  await repo.close();
  const snapshot = { id: 'a'.repeat(64), item: 'app', tree } as SnapshotRecord;
  const reopen = async () => {
    const r = await Repository.open(storage, pw);
    await r.loadIndex();
    return r;
  };
  return { storage, packs, contents, snapshot, reopen };
}

describe('restore reads', () => {
  const dirs: string[] = [];
  const target = () => {
    const d = mkdtempSync(join(tmpdir(), 'cairn-restore-'));
    dirs.push(d);
    return join(d, 'out');
  };
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('reads each pack with one ranged read, not one per segment, and restores every file byte for byte', async () => {
    const { storage, packs, contents, snapshot, reopen } = await corpus();
    assert.equal(packs.length, 2, 'expected two packs');
    const dataSegments = packs.flatMap((p) => p.segments).filter((s) => s.blobs[0]![1] === 'data').length;
    const treeSegments = packs.flatMap((p) => p.segments).length - dataSegments;
    const repo = await reopen();
    storage.reset();
    const seen: Progress[] = [];
    const out = target();
    const result = await restoreSnapshot(repo, snapshot, { target: out }, (p) => seen.push(p));
    assert.deepEqual(result.failed, []);
    assert.equal(result.files, contents.size);
    for (const [name, data] of contents) assert.deepEqual(readFileSync(join(out, name)), data, name);
    // One read per pack for the data (trees are read on their own while the snapshot is walked).
    assert.ok(dataSegments >= 15, `only ${dataSegments} data segments`);
    assert.ok(
      storage.counts.getRange <= packs.length + treeSegments,
      `${storage.counts.getRange} ranged reads for ${packs.length} packs and ${dataSegments} data segments`,
    );
    // Progress is unchanged: one event per file, ending at the totals.
    assert.equal(seen.length, contents.size);
    const last = seen.at(-1)!;
    assert.equal(last.files, contents.size);
    assert.equal(last.bytes, last.totalBytes);
    assert.equal(
      last.bytes,
      [...contents.values()].reduce((n, b) => n + b.length, 0),
    );
  });

  it('a flipped byte in one segment fails exactly the files in it; the rest restore', async () => {
    const { storage, contents, snapshot, reopen } = await corpus();
    const repo = await reopen();
    // Damage the segment of small-00.bin (shared with its neighbours) and one chunk of large-1.bin.
    const tree = await repo.loadTree(snapshot.tree);
    const blobsOf = (name: string) => tree.entries.find((e) => e.name === name)!.blobs!;
    const victims = [repo.index.get(blobsOf('small-00.bin')[0]!), repo.index.get(blobsOf('large-1.bin')[1]!)];
    for (const v of victims) storage.corrupt(packKey(v.pack), v.segment.off + Math.floor(v.segment.len / 2));
    const damaged = tree.entries
      .filter((e) =>
        e.blobs!.some((b) => {
          const l = repo.index.get(b);
          return victims.some((v) => v.pack === l.pack && v.segment.off === l.segment.off);
        }),
      )
      .map((e) => e.name)
      .sort();
    assert.ok(damaged.length > 2 && damaged.includes('large-1.bin'), `damaged: ${damaged}`);

    const out = target();
    const result = await restoreSnapshot(repo, snapshot, { target: out });
    assert.deepEqual(result.failed.map((f) => f.path).sort(), damaged);
    for (const f of result.failed) {
      assert.equal(f.code, 'CAIRN_E_INTEGRITY');
      assert.match(f.message, /failed authentication/);
    }
    for (const [name, data] of contents) {
      if (damaged.includes(name)) assert.equal(existsSync(join(out, name)), false, `${name} restored although damaged`);
      else assert.deepEqual(readFileSync(join(out, name)), data, name);
    }
  });

  it('batches hold at most the budget of segment plaintext, a bigger file alone, a shared segment counted once', () => {
    const seg = (off: number, raw: number) => ({ off, len: raw, raw, z: 0 as const, blobs: [] });
    const loc = (pack: string, s: ReturnType<typeof seg>) => ({
      pack,
      segment: s,
      offset: 0,
      length: 1,
      type: 'data' as const,
    });
    const a = seg(0, 40);
    const b = seg(40, 40);
    const big = seg(80, 500);
    const units = [
      { item: 'big', locs: [loc('p', big)] },
      { item: 'b', locs: [loc('p', b)] },
      { item: 'a1', locs: [loc('p', a)] },
      { item: 'a2', locs: [loc('p', a)] },
      { item: 'other pack', locs: [loc('q', seg(0, 10))] },
      { item: 'no data', locs: [] },
    ];
    const batches = batchUnits(units, 100).map((bs) => bs.map((u) => u.item));
    assert.deepEqual(batches, [['no data', 'a1', 'a2', 'b'], ['big'], ['other pack']]);
  });
});
