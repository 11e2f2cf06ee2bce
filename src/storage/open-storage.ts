import { fileURLToPath } from 'node:url';
import { CairnError } from '../errors/index.js';
import { LocalStorage } from './local/local-storage.js';
import { MemStorage } from './mem/mem-storage.js';
import { S3Storage } from './s3/s3-storage.js';
import type { Storage } from './types.js';

// One store per "mem:" location for the whole process, so that steps of an in-process test
// (init, then snapshot, then restore) see the same repository, as they would on disk.
const memStores = new Map<string, MemStorage>();

/**
 * The backend for a repository location: a path or file:// URL (local directory), s3://bucket/prefix,
 * or, in tests only (CAIRN_TEST_MEM=1), mem: or mem:<name>. Nothing is contacted until the first call.
 */
export function openStorage(location: string): Storage {
  if (typeof location !== 'string' || location.trim() === '') {
    throw new CairnError('CAIRN_E_USAGE', 'no repository location given; pass a directory or s3://bucket/prefix');
  }
  if (location === 'mem:' || location.startsWith('mem:')) return openMem(location);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1]?.toLowerCase();
  if (scheme === undefined) return new LocalStorage(location);
  if (scheme === 'file') return new LocalStorage(fromFileUrl(location));
  if (scheme === 's3') return new S3Storage(location);
  throw new CairnError('CAIRN_E_USAGE', `unsupported repository location ${location}; use a local path or s3://`, {
    location,
  });
}

function openMem(location: string): Storage {
  if (process.env.CAIRN_TEST_MEM !== '1') {
    throw new CairnError('CAIRN_E_USAGE', `${location} is an in-memory store for tests only; use a local path`, {
      location,
    });
  }
  let store = memStores.get(location);
  if (!store) {
    store = new MemStorage(location);
    memStores.set(location, store);
  }
  return store;
}

function fromFileUrl(location: string): string {
  try {
    return fileURLToPath(location);
  } catch (err) {
    throw new CairnError('CAIRN_E_USAGE', `invalid file URL ${location}`, { location }, { cause: err });
  }
}
