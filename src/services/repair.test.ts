import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCairnError } from '../errors/index.js';
import { MemStorage } from '../storage/index.js';
import { repairFromReplica } from './repair.js';
import { DAY, newRepository, objectsOf, readSnapshot, writeSnapshot } from './replica-test-support.js';
import { replicateRepository } from './replicate.js';

/** A primary with two snapshots (a pack each) and its replica. */
async function replicated() {
  const { storage, repo } = await newRepository('mem:primary');
  const a = await writeSnapshot(repo, { 'a.yaml': 'a: 1\n'.repeat(50) });
  const b = await writeSnapshot(repo, { 'b.yaml': 'b: 2\n'.repeat(50) });
  const replica = new MemStorage('mem:replica');
  assert.equal((await replicateRepository(repo, { to: replica })).ok, true);
  const packs = (await storage.list('packs/')).map((o) => o.key).sort();
  assert.equal(packs.length, 2);
  return { storage, repo, replica, a, b, packs };
}

describe('repair --from a replica', () => {
  it('restores a deleted pack and a corrupted one; a second run finds nothing', async () => {
    const { storage, repo, replica, a, b, packs } = await replicated();
    const [lost, damaged] = packs as [string, string];
    const original = await storage.get(damaged);
    await storage.delete(lost);
    const flipped = Buffer.from(original);
    flipped[30] = flipped[30]! ^ 0xff;
    await storage.repair(damaged, flipped); // the same size: only the content address tells
    const result = await repairFromReplica(repo, { from: replica });
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.deepEqual(
      result.repaired.map((r) => [r.key, r.reason]),
      [
        [lost, 'missing'],
        [damaged, 'damaged'],
      ].sort(),
    );
    assert.deepEqual(await storage.get(damaged), original);
    assert.deepEqual(await objectsOf(storage), await objectsOf(replica));
    assert.deepEqual(await readSnapshot(storage, a), { 'a.yaml': 'a: 1\n'.repeat(50) });
    assert.deepEqual(await readSnapshot(storage, b), { 'b.yaml': 'b: 2\n'.repeat(50) });
    const again = await repairFromReplica(repo, { from: replica });
    assert.deepEqual(again.repaired, []);
    assert.equal(again.checked.objects, result.checked.objects + 1);
  });

  it('--dry-run verifies the replica’s copies and writes nothing', async () => {
    const { storage, repo, replica, packs } = await replicated();
    await storage.delete(packs[0]!);
    const before = await objectsOf(storage);
    const result = await repairFromReplica(repo, { from: replica, dryRun: true });
    assert.equal(result.dryRun, true);
    assert.deepEqual(
      result.repaired.map((r) => r.key),
      [packs[0]],
    );
    assert.deepEqual(await objectsOf(storage), before);
  });

  it('reports what it cannot repair: damaged in the replica too, or not there', async () => {
    const { storage, repo, replica, packs } = await replicated();
    const [first, second] = packs as [string, string];
    await storage.repair(first, Buffer.from('garbage'));
    await replica.repair(first, Buffer.from('garbage too'));
    await storage.delete(second);
    await replica.delete(second);
    const result = await repairFromReplica(repo, { from: replica });
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.failed.map((f) => [f.key, f.reason, f.code]),
      [
        [first, 'damaged', 'CAIRN_E_INTEGRITY'],
        [second, 'missing', 'CAIRN_E_NOT_FOUND'],
      ].sort(),
    );
    assert.match(result.failed.find((f) => f.key === first)!.message, /damaged in mem:replica/);
  });

  it('restores a snapshot the replica holds under a lock; leaves one that has none', async () => {
    const { repo, storage, replica, a, b } = await replicated();
    await storage.delete(`snapshots/${a}`);
    await storage.delete(`snapshots/${b}`);
    const until = new Date(Date.now() + 10 * DAY);
    await replica.extendRetention(`snapshots/${a}`, until, 'compliance');
    const result = await repairFromReplica(repo, { from: replica });
    assert.deepEqual(
      result.repaired.map((r) => [r.key, r.reason]),
      [[`snapshots/${a}`, 'missing']],
    );
    assert.deepEqual(result.notRestored, [`snapshots/${b}`]);
    const restored = await storage.stat(`snapshots/${a}`);
    assert.equal(restored?.retainUntil?.toISOString(), until.toISOString());
    assert.equal(restored?.mode, 'compliance');
  });

  it('restores a lost index file that names a pack no other index file names', async () => {
    const { repo, storage, replica } = await replicated();
    const [index] = await storage.list('index/');
    await storage.delete(index!.key);
    const result = await repairFromReplica(repo, { from: replica });
    assert.deepEqual(
      result.repaired.map((r) => r.key),
      [index!.key],
    );
    assert.deepEqual(await storage.get(index!.key), await replica.get(index!.key));
  });

  it('refuses a source that is not a replica of the repository', async () => {
    const { repo } = await replicated();
    const { storage: other } = await newRepository('mem:other');
    await assert.rejects(repairFromReplica(repo, { from: other }), (err: unknown) =>
      isCairnError(err, 'CAIRN_E_REPO_EXISTS'),
    );
    await assert.rejects(repairFromReplica(repo, { from: new MemStorage('mem:empty') }), (err: unknown) =>
      isCairnError(err, 'CAIRN_E_NO_REPOSITORY'),
    );
  });
});
