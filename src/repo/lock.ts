import { hostname } from 'node:os';
import { CairnError, isCairnError } from '../errors/index.js';
import type { Storage } from '../storage/index.js';
import { randomId } from './crypto.js';

/**
 * Repository locks as objects under locks/ (as restic does): snapshots take shared locks, prune
 * and forget take an exclusive one. A holder refreshes its lock; one not refreshed for STALE_MS,
 * or held by a dead process on this host, is stale and ignored (and removed).
 */
export interface LockInfo {
  readonly exclusive: boolean;
  readonly host: string;
  readonly pid: number;
  readonly time: string;
  readonly operation: string;
}

const STALE_MS = 30 * 60 * 1000;
const REFRESH_MS = 5 * 60 * 1000;

export interface RepoLock {
  release(): Promise<void>;
}

export async function acquireLock(storage: Storage, exclusive: boolean, operation: string): Promise<RepoLock> {
  let key = `locks/${randomId().slice(0, 32)}`;
  const write = async (): Promise<void> => {
    const info: LockInfo = { exclusive, host: hostname(), pid: process.pid, time: new Date().toISOString(), operation };
    // A fresh random id each time: nothing else can be under it.
    await storage.put(key, Buffer.from(JSON.stringify(info)), { contentAddressed: true });
  };
  await write();
  const conflict = await findConflict(storage, key, exclusive);
  if (conflict) {
    await storage.delete(key).catch(() => undefined);
    throw new CairnError(
      'CAIRN_E_REPO_LOCKED',
      `repository is locked by ${conflict.operation} (pid ${conflict.pid} on ${conflict.host} since ${conflict.time}); ` +
        'try again when it has finished',
      { holder: conflict },
    );
  }
  const timer = setInterval(() => {
    const old = key;
    key = `locks/${randomId().slice(0, 32)}`;
    void write()
      .then(() => storage.delete(old))
      .catch(() => undefined);
  }, REFRESH_MS);
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      await storage.delete(key).catch((err: unknown) => {
        if (!isCairnError(err, 'CAIRN_E_NOT_FOUND')) throw err;
      });
    },
  };
}

async function findConflict(storage: Storage, own: string, exclusive: boolean): Promise<LockInfo | undefined> {
  for (const { key } of await storage.list('locks/')) {
    if (key === own) continue;
    let info: LockInfo;
    try {
      info = JSON.parse((await storage.get(key)).toString('utf8')) as LockInfo;
    } catch {
      continue; // vanished between list and get, or unreadable: not a live lock
    }
    if (isStale(info)) {
      await storage.delete(key).catch(() => undefined);
      continue;
    }
    if (exclusive || info.exclusive) return info;
  }
  return undefined;
}

function isStale(info: LockInfo): boolean {
  if (Date.now() - Date.parse(info.time) > STALE_MS) return true;
  if (info.host !== hostname()) return false;
  if (info.pid === process.pid) return false;
  try {
    process.kill(info.pid, 0);
    return false;
  } catch (err) {
    return (err as { code?: string }).code === 'ESRCH';
  }
}
