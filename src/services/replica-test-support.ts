/**
 * Repositories in memory for the replication and repair tests: snapshots written straight through
 * the repository engine (blobs, one tree, the snapshot object), and a reader that restores a
 * snapshot's files from any store, so a replica is shown to restore, not only to hold bytes.
 */
import { Repository, type Secret, type SnapshotObject, type TreeEntry } from '../repo/index.js';
import { MemStorage, type Storage } from '../storage/index.js';

export const SECRET: Secret = { kind: 'password', value: 'replica tests' };

export const DAY = 24 * 3600 * 1000;

/** A snapshot of `files` (name → content) in one folder; objects retained until `retainUntil`. */
export async function writeSnapshot(
  repo: Repository,
  files: Readonly<Record<string, string | Buffer>>,
  opts: { retainUntil?: Date; item?: string; time?: Date } = {},
): Promise<string> {
  repo.retainUntil = opts.retainUntil;
  const entries: TreeEntry[] = [];
  for (const [name, content] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    const data = Buffer.from(content);
    const { id } = await repo.saveBlob('data', data);
    entries.push({ name, type: 'file', mode: 0o644, mtime: 0, size: data.length, blobs: [id] });
  }
  const tree = await repo.saveTree({ entries });
  await repo.flush();
  const time = (opts.time ?? new Date()).toISOString();
  const snapshot: SnapshotObject = {
    version: 1,
    meta: {
      item: opts.item ?? 'app',
      environment: null,
      tier: '0',
      component: null,
      trigger: 'manual',
      release: null,
      commit: null,
      change: null,
      deployment: null,
      pipeline: null,
      actor: 'test',
      host: 'test',
      time,
    },
    parent: null,
    tree,
    contentHash: tree,
    status: 'complete',
    files: entries.length,
    bytes: 0,
    addedBytes: 0,
    retainUntil: opts.retainUntil?.toISOString() ?? null,
    unreadable: [],
  };
  return repo.saveSnapshot(snapshot);
}

/** The files of snapshot `id` as read from `storage` alone, opened with the secret. */
export async function readSnapshot(storage: Storage, id: string): Promise<Record<string, string>> {
  const repo = await Repository.open(storage, SECRET);
  await repo.loadIndex();
  const { tree } = await repo.loadSnapshot(id);
  const out: Record<string, string> = {};
  for (const e of (await repo.loadTree(tree)).entries) {
    out[e.name] = Buffer.concat(await Promise.all((e.blobs ?? []).map((b) => repo.loadBlob(b)))).toString();
  }
  return out;
}

export async function newRepository(location: string): Promise<{ storage: MemStorage; repo: Repository }> {
  const storage = new MemStorage(location);
  return { storage, repo: await Repository.init(storage, SECRET) };
}

/** Every object of a store except locks, key → bytes. */
export async function objectsOf(storage: Storage): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const o of await storage.list('')) if (!o.key.startsWith('locks/')) out.set(o.key, await storage.get(o.key));
  return out;
}

/** A store whose list() does not carry locks (like S3, where a HEAD per object is needed). */
export function unlistedLocks(location: string): Storage {
  const inner = new MemStorage(location);
  return {
    location,
    listsRetention: false,
    put: (key, data, options) => inner.put(key, data, options),
    get: (key) => inner.get(key),
    getRange: (key, offset, length) => inner.getRange(key, offset, length),
    stat: (key) => inner.stat(key),
    list: async (prefix) => (await inner.list(prefix)).map(({ key, size }) => ({ key, size })),
    delete: (key) => inner.delete(key),
    extendRetention: (key, until, mode) => inner.extendRetention(key, until, mode),
    setLegalHold: (key, on) => inner.setLegalHold(key, on),
    repair: (key, data, options) => inner.repair(key, data, options),
    close: () => inner.close(),
  };
}
