/**
 * FORMAT.md "Retention (WORM)" on the local backend, once as it is (list() carries locks) and once
 * seen the way S3 is (list() without locks, listsRetention false): the scenarios of locks-support.ts.
 * Behind Cairn's back means rewriting the retention sidecar, as someone with the disk could.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalStorage, type Storage } from '../src/storage/index.js';
import { scratch } from './helpers.js';
import { type Backend, wormSuite } from './locks-support.js';

const roots = new Map<Storage, string>();

async function rewriteSidecar(storage: Storage, key: string, change: (lock: Record<string, unknown>) => void) {
  const path = join(roots.get(storage)!, 'retention', key);
  const lock = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  change(lock);
  writeFileSync(path, JSON.stringify(lock));
}

const local: Backend = {
  name: 'local',
  async make() {
    const root = join(scratch('cairn-locks-repo-'), 'repo');
    const storage = new LocalStorage(root);
    roots.set(storage, root);
    return storage;
  },
  shorten: (storage, key, until) =>
    rewriteSidecar(storage, key, (lock) => {
      lock.retainUntil = until.toISOString();
    }),
  weaken: (storage, key) =>
    rewriteSidecar(storage, key, (lock) => {
      lock.mode = 'governance';
    }),
};

wormSuite(local, { hideLocks: false });
wormSuite({ ...local, name: 'local, listed without locks as on S3' }, { hideLocks: true });
