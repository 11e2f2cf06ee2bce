import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { CairnError } from '../errors/index.js';
import { packKey, Repository, type Tree, type TreeEntry } from '../repo/index.js';
import { FaultStorage, MemStorage } from '../storage/index.js';
import { type FlatEntry, flattenTree, reachableTrees, type TreeSource } from './tree-walk.js';

const pw = { kind: 'password', value: 'correct horse' } as const;
const MTIME = Date.parse('2024-03-04T05:06:07.000Z');

/**
 * A snapshot three levels deep: the root, 6 folders, 3 folders in each (25 trees). Every tree
 * carries a 600 KiB symlink target so that it is a segment of its own, as a large folder is.
 */
async function deepTree() {
  const storage = new FaultStorage(new MemStorage());
  const repo = await Repository.init(storage, pw);
  const pad = (): TreeEntry => ({
    name: 'pad',
    type: 'symlink',
    mode: 0o777,
    mtime: MTIME,
    // Compresses to little, as tree JSON does: a level's segments lie close together in the pack.
    target: `${'a'.repeat(600 * 1024)}${randomBytes(8).toString('hex')}`,
  });
  const file = (name: string): TreeEntry => ({ name, type: 'file', mode: 0o644, mtime: MTIME, size: 0, blobs: [] });
  const dir = (name: string, tree: string): TreeEntry => ({ name, type: 'dir', mode: 0o755, mtime: MTIME, tree });
  const top: TreeEntry[] = [];
  for (let i = 0; i < 6; i++) {
    const mid: TreeEntry[] = [];
    for (let j = 0; j < 3; j++) {
      const leaf = await repo.saveTree({ entries: [file(`f${i}${j}.yaml`), pad()] });
      mid.push(dir(`leaf${j}`, leaf));
    }
    top.push(dir(`dir${i}`, await repo.saveTree({ entries: [...mid, pad()] })));
  }
  const root = await repo.saveTree({ entries: [...top, file('root.yaml'), pad()] });
  const { packs } = await repo.flush();
  await repo.close();
  const reopen = async () => {
    const r = await Repository.open(storage, pw);
    await r.loadIndex();
    return r;
  };
  return { storage, packs, root, reopen };
}

/** The walk as it was: depth first, one loadTree per folder. */
async function oneByOne(repo: Repository, id: string, prefix = ''): Promise<FlatEntry[]> {
  const out: FlatEntry[] = [];
  for (const entry of (await repo.loadTree(id)).entries) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    out.push({ path, entry });
    if (entry.type === 'dir' && entry.tree) out.push(...(await oneByOne(repo, entry.tree, path)));
  }
  return out;
}

/** Counts the loadTrees calls and the trees each asked for. */
function counting(repo: Repository): TreeSource & { calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    loadTrees: async (ids: Iterable<string>) => {
      const all = [...ids];
      calls.push(all.length);
      return repo.loadTrees(all);
    },
  };
}

describe('tree walk', () => {
  it('loads one level per call with a few ranged reads, and lists exactly what a one-by-one walk lists', async () => {
    const { storage, packs, root, reopen } = await deepTree();
    const trees = packs.flatMap((p) => p.segments).length;
    assert.equal(trees, 25, 'expected one segment per tree');
    const repo = await reopen();
    const source = counting(repo);
    storage.reset();
    const flat = await flattenTree(source, root);
    assert.deepEqual(source.calls, [1, 6, 18], 'one loadTrees per level');
    assert.equal(packs.length, 1);
    // The root's read takes the pack's other tree segments with it: one ranged read, where a walk of
    // loadTree calls sends 25.
    assert.equal(storage.counts.getRange, 1, `${storage.counts.getRange} ranged reads for 25 trees`);
    assert.deepEqual(flat, await oneByOne(await reopen(), root));
    assert.equal(flat.filter((e) => e.entry.type === 'file').length, 19);
  });

  it('reads trees again from the cache, and only the folders asked for with `within`', async () => {
    const { storage, root, reopen } = await deepTree();
    const repo = await reopen();
    await flattenTree(repo, root);
    storage.reset();
    await flattenTree(repo, root);
    assert.equal(storage.counts.getRange, 0, 'a second walk should be served by the segment cache');

    const fresh = counting(await reopen());
    const some = await flattenTree(fresh, root, ['dir2/leaf1']);
    assert.deepEqual(fresh.calls, [1, 1, 1]);
    const paths = some.map((e) => e.path);
    assert.ok(paths.includes('dir2/leaf1/f21.yaml'));
    assert.ok(!paths.some((p) => p.startsWith('dir2/leaf0/') || p.startsWith('dir3/')), paths.join(' '));
  });

  it('reachableTrees finds every tree once and skips those already known', async () => {
    const { root, reopen } = await deepTree();
    const repo = await reopen();
    const into = new Set<string>();
    const source = counting(repo);
    await reachableTrees(source, root, into);
    assert.equal(into.size, 25);
    assert.deepEqual(source.calls, [1, 6, 18]);
    const again = counting(repo);
    await reachableTrees(again, root, into);
    assert.deepEqual(again.calls, []);
  });

  it('a damaged tree fails the walk clearly, naming its pack', async () => {
    const { storage, root, reopen } = await deepTree();
    const repo = await reopen();
    const leaf = (await repo.loadTree((await repo.loadTree(root)).entries[3]!.tree!)).entries[2]!.tree!;
    const loc = repo.index.get(leaf);
    storage.corrupt(packKey(loc.pack), loc.segment.off + Math.floor(loc.segment.len / 2));
    const damaged = await reopen();
    await assert.rejects(flattenTree(damaged, root), (err: unknown) => {
      assert.ok(err instanceof CairnError);
      assert.equal(err.code, 'CAIRN_E_INTEGRITY');
      assert.equal(err.details?.pack, loc.pack);
      return true;
    });
    await assert.rejects(reachableTrees(await reopen(), root, new Set()), { code: 'CAIRN_E_INTEGRITY' });
  });

  it('checks each tree against its id: authentic bytes under another id are refused', async () => {
    const { packs, root, reopen } = await deepTree();
    const repo = await reopen();
    const tree: Tree = await repo.loadTree(root);
    const real = tree.entries[0]!.tree!;
    const forged = 'f'.repeat(64);
    // An index that names a real tree's bytes with another id (a tampered index file).
    const victim = repo.index.get(real);
    const fake = await Repository.open(repo.storage, pw);
    for (const p of packs) {
      fake.index.addPack({
        ...p,
        segments: p.segments.map((s) =>
          p.id === victim.pack && s.off === victim.segment.off
            ? { ...s, blobs: s.blobs.map((b) => (b[0] === real ? ([forged, b[1], b[2], b[3]] as typeof b) : b)) }
            : s,
        ),
      });
    }
    await assert.rejects(fake.loadTrees([root, forged]), (err: unknown) => {
      assert.ok(err instanceof CairnError);
      assert.equal(err.code, 'CAIRN_E_INTEGRITY');
      assert.match(err.message, /blob ffffffffffff .*is damaged/);
      return true;
    });
    await assert.rejects(fake.loadTrees(['e'.repeat(64)]), /blob eeeeeeeeeeee is not in the index/);
  });
});
