import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { isCairnError } from '../errors/index.js';
import { FaultStorage, MemStorage, type Storage } from '../storage/index.js';
import { Chunker } from './chunker.js';
import { addKey, keyFileSecret, listKeys, newKeyFileContent, removeKey } from './keys.js';
import { packKey } from './pack-format.js';
import { Repository } from './repository.js';

const pw = { kind: 'password', value: 'correct horse' } as const;

function code(c: string) {
  return (err: unknown) => isCairnError(err) && err.code === c;
}

/** Records the order of puts, to test the write-order invariants of docs/FORMAT.md. */
class Recording extends MemStorage {
  readonly puts: string[] = [];
  override async put(key: string, data: Uint8Array, opts?: { retainUntil?: Date }): Promise<void> {
    this.puts.push(key);
    return super.put(key, data, opts);
  }
}

describe('repository', () => {
  it('opens with the passphrase it was created with, and refuses a wrong one', async () => {
    const storage = new MemStorage();
    const repo = await Repository.init(storage, pw);
    const again = await Repository.open(storage, pw);
    assert.equal(again.id, repo.id);
    await assert.rejects(Repository.open(storage, { kind: 'password', value: 'wrong' }), code('CAIRN_E_WRONG_KEY'));
  });

  it('refuses a location that is not a repository, and a second init', async () => {
    const storage = new MemStorage();
    await assert.rejects(Repository.open(storage, pw), code('CAIRN_E_NO_REPOSITORY'));
    await Repository.init(storage, pw);
    await assert.rejects(Repository.init(storage, pw), code('CAIRN_E_REPO_EXISTS'));
  });

  it('opens with a key file; a passphrase key and a key-file key open the same master key', async () => {
    const storage = new MemStorage();
    const repo = await Repository.init(storage, pw);
    const kf = keyFileSecret(Buffer.from(newKeyFileContent()));
    await addKey(storage, repo.master, kf, 'ops vault');
    const viaFile = await Repository.open(storage, kf);
    assert.deepEqual(viaFile.master.encryption, repo.master.encryption);
    await assert.rejects(
      Repository.open(storage, keyFileSecret(Buffer.from(newKeyFileContent()))),
      code('CAIRN_E_WRONG_KEY'),
    );
    assert.equal((await listKeys(storage)).length, 2);
  });

  it('never removes the key in use or the last key', async () => {
    const storage = new MemStorage();
    const repo = await Repository.init(storage, pw);
    await assert.rejects(removeKey(storage, repo.keyId, repo.keyId), code('CAIRN_E_KEY_IN_USE'));
    const other = await addKey(storage, repo.master, { kind: 'password', value: 'second' });
    await assert.rejects(removeKey(storage, repo.keyId, repo.keyId), code('CAIRN_E_KEY_IN_USE'));
    await removeKey(storage, repo.keyId, other.id);
    await assert.rejects(Repository.open(storage, pw), code('CAIRN_E_WRONG_KEY'));
  });

  it('stores a blob once, finds it after reopening, and checks it on read', async () => {
    const storage = new MemStorage();
    const repo = await Repository.init(storage, pw);
    const data = Buffer.from('replicas: 3\n'.repeat(100));
    const first = await repo.saveBlob('data', data);
    const second = await repo.saveBlob('data', Buffer.from(data));
    assert.equal(first.added, true);
    assert.equal(second.added, false);
    await repo.flush();
    const reopened = await Repository.open(storage, pw);
    await reopened.loadIndex();
    assert.deepEqual(await reopened.loadBlob(first.id), data);
  });

  it('keys blob ids: the same content has different ids in two repositories', async () => {
    const a = await Repository.init(new MemStorage(), pw);
    const b = await Repository.init(new MemStorage(), pw);
    assert.notEqual(a.blobId(Buffer.from('x')).id, b.blobId(Buffer.from('x')).id);
  });

  it('MUST write a pack before the index that names it', async () => {
    const storage = new Recording();
    const repo = await Repository.init(storage, pw);
    for (let i = 0; i < 50; i++) await repo.saveBlob('data', randomBytes(50_000));
    await repo.flush();
    const firstIndex = storage.puts.findIndex((k) => k.startsWith('index/'));
    const lastPack = storage.puts.map((k) => k.startsWith('packs/')).lastIndexOf(true);
    assert.ok(firstIndex > lastPack, `index written at ${firstIndex}, a pack at ${lastPack}`);
  });

  it('a flipped byte in a pack is found when the blob is read', async () => {
    const inner = new MemStorage();
    const storage = new FaultStorage(inner);
    const repo = await Repository.init(storage, pw);
    const { id } = await repo.saveBlob('data', Buffer.from('server { listen 443; }\n'));
    const { packs } = await repo.flush();
    storage.corrupt(packKey(packs[0]!.id), 40);
    const reopened = await Repository.open(storage, pw);
    await reopened.loadIndex();
    await assert.rejects(reopened.loadBlob(id), code('CAIRN_E_INTEGRITY'));
  });

  it('a failed pack write (disk full) leaves no index and no findable blob', async () => {
    const storage = new FaultStorage(new MemStorage());
    const repo = await Repository.init(storage, pw);
    storage.failPutAfterBytes(0);
    await repo.saveBlob('data', randomBytes(1000));
    await assert.rejects(repo.flush(), code('CAIRN_E_STORAGE'));
    storage.reset();
    assert.equal((await storage.list('index/')).length, 0);
  });
});

describe('chunker', () => {
  it('cuts the same content at the same places, and an insertion changes only nearby chunks', () => {
    const c = new Chunker(42);
    const data = randomBytes(12 * 1024 * 1024);
    const a = c.split(data).map(([o, l]) =>
      data
        .subarray(o, o + l)
        .toString('hex')
        .slice(0, 32),
    );
    const edited = Buffer.concat([
      data.subarray(0, 6_000_000),
      Buffer.from('inserted line\n'),
      data.subarray(6_000_000),
    ]);
    const b = c.split(edited).map(([o, l]) =>
      edited
        .subarray(o, o + l)
        .toString('hex')
        .slice(0, 32),
    );
    const shared = a.filter((x) => b.includes(x)).length;
    assert.ok(a.length >= 6, `expected several chunks, got ${a.length}`);
    assert.ok(shared >= a.length - 2, `only ${shared} of ${a.length} chunks survived a one-line insertion`);
    for (const [, len] of c.split(data).slice(0, -1)) assert.ok(len >= 256 * 1024 && len <= 4 * 1024 * 1024);
  });

  it('a different seed cuts elsewhere', () => {
    const data = randomBytes(8 * 1024 * 1024);
    const a = new Chunker(1).split(data).map(([o]) => o);
    const b = new Chunker(2).split(data).map(([o]) => o);
    assert.notDeepEqual(a, b);
  });
});

export type { Storage };
