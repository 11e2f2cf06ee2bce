import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCairnError } from '../errors/index.js';
import { packKey, Repository } from '../repo/index.js';
import { FaultStorage, MemStorage } from '../storage/index.js';
import {
  DAY,
  newRepository,
  objectsOf,
  readSnapshot,
  SECRET,
  unlistedLocks,
  writeSnapshot,
} from './replica-test-support.js';
import { replicateRepository } from './replicate.js';

const FILES = { 'app.yaml': 'replicas: 3\n', 'db.env': 'DB_HOST=db\n' };

describe('replicate', () => {
  it('copies every object; the replica opens with the same secret and restores byte-identically', async () => {
    const { storage, repo } = await newRepository('mem:primary');
    const id = await writeSnapshot(repo, FILES);
    const target = new MemStorage('mem:replica');
    const result = await replicateRepository(repo, { to: target });
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.alreadyThere, 0);
    assert.equal(result.copied, result.objects);
    assert.equal(result.verified.objects, result.copied);
    assert.equal(result.verified.bytes, result.copiedBytes);
    assert.deepEqual(await objectsOf(target), await objectsOf(storage));
    assert.equal((await Repository.open(target, SECRET)).id, repo.id);
    assert.deepEqual(await readSnapshot(target, id), FILES);
    assert.deepEqual(await target.list('locks/'), [], 'locks are never copied');
  });

  it('is idempotent: a second run copies nothing and says so', async () => {
    const { repo } = await newRepository('mem:primary');
    await writeSnapshot(repo, FILES);
    const target = new MemStorage('mem:replica');
    const first = await replicateRepository(repo, { to: target });
    const second = await replicateRepository(repo, { to: target });
    assert.equal(second.ok, true);
    assert.equal(second.copied, 0);
    assert.equal(second.alreadyThere, first.objects);
    assert.equal(second.verified.objects, 0);
  });

  it('an interrupted run leaves whole objects and no snapshot without its packs; the next run completes', async () => {
    const { storage, repo } = await newRepository('mem:primary');
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await writeSnapshot(repo, { [`f${i}.yaml`]: `n: ${i}\n`.repeat(100) }));
    const inner = new MemStorage('mem:replica');
    let puts = 0;
    const target = new FaultStorage(inner).failOn('put', () => ++puts > 5, 'EIO');
    const broken = await replicateRepository(repo, { to: target });
    assert.equal(broken.ok, false);
    assert.ok(broken.failed.length > 0);
    assert.ok(
      broken.failed.every((f) => f.code === 'CAIRN_E_STORAGE'),
      JSON.stringify(broken.failed),
    );
    assert.equal((await inner.list('snapshots/')).length, 0, 'no snapshot whose packs are missing');
    target.reset();
    const resumed = await replicateRepository(repo, { to: target });
    assert.equal(resumed.ok, true, JSON.stringify(resumed));
    assert.equal(resumed.alreadyThere, broken.copied);
    assert.equal(resumed.copied, resumed.objects - broken.copied);
    assert.deepEqual(await objectsOf(inner), await objectsOf(storage));
    for (const [i, id] of ids.entries())
      assert.deepEqual(await readSnapshot(inner, id), { [`f${i}.yaml`]: `n: ${i}\n`.repeat(100) });
  });

  it('holds back a snapshot whose pack is damaged on the primary, and never sends the damaged pack', async () => {
    const mem = new MemStorage('mem:primary');
    const primary = new FaultStorage(mem);
    const repo = await Repository.init(primary, SECRET);
    const good = await writeSnapshot(repo, { 'a.yaml': 'a: 1\n' });
    const bad = await writeSnapshot(repo, { 'b.yaml': 'b: 2\n' });
    assert.equal((await mem.list('packs/')).length, 2, 'one pack per snapshot');
    const target = new MemStorage('mem:replica');
    await repo.loadIndex();
    const badFile = (await repo.loadTree((await repo.loadSnapshot(bad)).tree)).entries[0]!;
    const packOfBad = packKey(repo.index.get(badFile.blobs![0]!).pack);
    primary.corrupt(packOfBad, 40);
    const result = await replicateRepository(repo, { to: target });
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.failed.map((f) => [f.key, f.code]),
      [[packOfBad, 'CAIRN_E_INTEGRITY']],
    );
    assert.match(result.failed[0]!.message, /does not match its content address/);
    assert.deepEqual(
      result.heldBack.map((h) => h.key),
      [`snapshots/${bad}`],
    );
    assert.equal(await target.stat(packOfBad), undefined);
    assert.ok(await target.stat(`snapshots/${good}`));
    assert.deepEqual(await readSnapshot(target, good), { 'a.yaml': 'a: 1\n' });
  });

  it('refuses a target that holds another repository, or foreign objects, and writes nothing there', async () => {
    const { repo } = await newRepository('mem:primary');
    await writeSnapshot(repo, FILES);
    const { storage: other } = await newRepository('mem:other');
    const before = await objectsOf(other);
    await assert.rejects(replicateRepository(repo, { to: other }), (err: unknown) => {
      assert.ok(isCairnError(err, 'CAIRN_E_REPO_EXISTS'));
      assert.match(err.message, /mem:other holds another cairn repository/);
      return true;
    });
    assert.deepEqual(await objectsOf(other), before);
    const junk = new MemStorage('mem:junk');
    await junk.put('notes.txt', Buffer.from('hello'));
    await assert.rejects(replicateRepository(repo, { to: junk }), (err: unknown) => {
      assert.ok(isCairnError(err, 'CAIRN_E_REPO_EXISTS'));
      assert.match(err.message, /holds notes\.txt/);
      return true;
    });
    assert.deepEqual([...(await objectsOf(junk)).keys()], ['notes.txt']);
    await assert.rejects(replicateRepository(repo, { to: repo.storage }), (err: unknown) =>
      isCairnError(err, 'CAIRN_E_USAGE'),
    );
  });

  it('carries retention, lock mode and legal hold to the target', async () => {
    const { storage, repo } = await newRepository('mem:primary');
    const until = new Date(Date.now() + 30 * DAY);
    const id = await writeSnapshot(repo, FILES, { retainUntil: until });
    const snapKey = `snapshots/${id}`;
    const [pack] = await storage.list('packs/');
    await storage.extendRetention(pack!.key, until, 'compliance');
    await storage.setLegalHold(snapKey, true);
    const target = new MemStorage('mem:replica');
    assert.equal((await replicateRepository(repo, { to: target })).ok, true);
    const copiedPack = await target.stat(pack!.key);
    assert.equal(copiedPack?.retainUntil?.toISOString(), until.toISOString());
    assert.equal(copiedPack?.mode, 'compliance');
    const copiedSnap = await target.stat(snapKey);
    assert.equal(copiedSnap?.retainUntil?.toISOString(), until.toISOString());
    assert.equal(copiedSnap?.mode, 'governance');
    assert.equal(copiedSnap?.legalHold, true);
    assert.equal((await target.stat('config'))?.retainUntil, undefined);
  });

  it('raises the locks of objects already on the target to the primary’s, never lowers them', async () => {
    const { storage, repo } = await newRepository('mem:primary');
    const until = new Date(Date.now() + 10 * DAY);
    const id = await writeSnapshot(repo, FILES, { retainUntil: until });
    const target = new MemStorage('mem:replica');
    await replicateRepository(repo, { to: target });
    const [pack] = await storage.list('packs/');
    const later = new Date(Date.now() + 40 * DAY);
    await storage.extendRetention(pack!.key, later, 'compliance');
    await storage.setLegalHold(`snapshots/${id}`, true);
    await target.setLegalHold('config', true); // the replica's own hold stays
    const again = await replicateRepository(repo, { to: target });
    assert.equal(again.copied, 0);
    assert.equal(again.locksRaised, 2);
    const p = await target.stat(pack!.key);
    assert.equal(p?.retainUntil?.toISOString(), later.toISOString());
    assert.equal(p?.mode, 'compliance');
    assert.equal((await target.stat(`snapshots/${id}`))?.legalHold, true);
    assert.equal((await target.stat('config'))?.legalHold, true);
  });

  it('where listings carry no locks, a new snapshot still locks the older packs it reuses on the target', async () => {
    const storage = unlistedLocks('mem:primary');
    const repo = await Repository.init(storage, SECRET);
    const first = new Date(Date.now() + 5 * DAY);
    await writeSnapshot(repo, FILES, { retainUntil: first });
    const target = unlistedLocks('mem:replica');
    await replicateRepository(repo, { to: target });
    const [pack] = await storage.list('packs/');
    assert.equal((await target.stat(pack!.key))?.retainUntil?.toISOString(), first.toISOString());
    // Same files: the second snapshot writes no pack and reuses the first one.
    const second = new Date(Date.now() + 50 * DAY);
    const id = await writeSnapshot(repo, FILES, { retainUntil: second, time: new Date(Date.now() + 1000) });
    assert.equal((await storage.list('packs/')).length, 1);
    const result = await replicateRepository(repo, { to: target });
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.deepEqual(result.copiedByKind, { snapshots: 1 });
    assert.ok(result.locksRaised >= 1);
    assert.equal((await target.stat(pack!.key))?.retainUntil?.toISOString(), second.toISOString());
    assert.equal((await target.stat(`snapshots/${id}`))?.retainUntil?.toISOString(), second.toISOString());
  });

  it('finds a copy of different size on the target and names the repair command', async () => {
    const { repo } = await newRepository('mem:primary');
    await writeSnapshot(repo, FILES);
    const target = new MemStorage('mem:replica');
    await replicateRepository(repo, { to: target });
    const [pack] = await target.list('packs/');
    await target.repair(pack!.key, Buffer.from('short'));
    const result = await replicateRepository(repo, { to: target });
    assert.equal(result.ok, false);
    assert.equal(result.failed[0]?.key, pack!.key);
    assert.match(result.failed[0]!.message, /cairn repair --repo mem:replica --from mem:primary/);
  });
});
