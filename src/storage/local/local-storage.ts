import { promises as fs, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { errnoCode } from '../../errors/index.js';
import { assertValidKey, assertValidPrefix, assertValidRange, reservedTopLevel } from '../key.js';
import { KeyedLock } from '../keyed-lock.js';
import {
  assertDeletable,
  assertValidDate,
  assertValidMode,
  extendedLock,
  type Lock,
  lockInfo,
  noLock,
  sameLock,
} from '../retention.js';
import { alreadyExists, notFound, storageFailure, tooShort } from '../storage-errors.js';
import type { LockMode, ObjectInfo, PutOptions, RepairOptions, Storage } from '../types.js';
import { makeParentDirs, syncDirectory, writeTempFile } from './atomic-file.js';
import { RetentionSidecars } from './retention-sidecars.js';
import { walkKeys } from './walk.js';

/**
 * Objects as read-only files under a directory: "packs/ab/<id>" is <root>/packs/ab/<id>.
 * <root>/tmp holds writes in progress and <root>/retention the WORM sidecars; neither is an object.
 */
export class LocalStorage implements Storage {
  readonly location: string;
  readonly listsRetention: boolean = true;
  readonly #root: string;
  readonly #tmpDir: string;
  readonly #retention: RetentionSidecars;
  readonly #locks = new KeyedLock();

  constructor(root: string) {
    this.#root = resolve(root);
    this.#tmpDir = join(this.#root, 'tmp');
    this.#retention = new RetentionSidecars(this.#root, this.#tmpDir);
    this.location = this.#root;
  }

  async put(key: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    assertValidKey(key);
    const retainUntil = validRetention(key, options);
    const path = this.#path(key);
    try {
      if (await isPresent(path)) throw alreadyExists(key, this.location);
      // The sidecar is written first: a crash may leave a retention record without its object,
      // never an object without its retention.
      if (retainUntil) await this.#update(key, (lock) => extendedLock(lock, retainUntil, options?.mode));
      await this.#link(key, path, data);
    } catch (err) {
      if (retainUntil) await this.#dropOrphanRetention(key, path);
      throw storageFailure('write', key, this.location, err);
    }
  }

  async get(key: string): Promise<Buffer> {
    assertValidKey(key);
    try {
      return await fs.readFile(this.#path(key));
    } catch (err) {
      throw this.#readFailure(key, err);
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    assertValidKey(key);
    assertValidRange(key, offset, length);
    const buffer = Buffer.alloc(length);
    let got = 0;
    try {
      const handle = await fs.open(this.#path(key), 'r');
      try {
        while (got < length) {
          const { bytesRead } = await handle.read(buffer, got, length - got, offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
      } finally {
        await handle.close();
      }
    } catch (err) {
      throw this.#readFailure(key, err);
    }
    if (got < length) throw tooShort(key, offset, length, got);
    return buffer;
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    assertValidKey(key);
    try {
      const stats = await fs.stat(this.#path(key));
      if (!stats.isFile()) return undefined;
      return { key, size: stats.size, ...lockInfo(await this.#retention.read(key)) };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw storageFailure('stat', key, this.location, err);
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    assertValidPrefix(prefix);
    try {
      const found: { key: string; size: number }[] = [];
      walkKeys(this.#root, prefix, reservedTopLevel, (key, path) => {
        const stats = statSync(path, { throwIfNoEntry: false });
        if (stats) found.push({ key, size: stats.size });
      });
      const locks = found.length === 0 ? new Map<string, Lock>() : this.#retention.readAll(prefix);
      return found.map(({ key, size }) => ({ key, size, ...lockInfo(locks.get(key) ?? noLock) }));
    } catch (err) {
      throw storageFailure('list', prefix, this.location, err);
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    const path = this.#path(key);
    await this.#locks.run(key, async () => {
      try {
        if (!(await isObject(path))) throw notFound(key, this.location);
        assertDeletable(key, await this.#retention.read(key));
        // Sidecar first: it has expired, and removing it last could leave an orphan that would
        // retain a later object put under the same key.
        await this.#retention.remove(key);
        await unlinkReadOnly(path);
      } catch (err) {
        throw storageFailure('delete', key, this.location, err);
      }
    });
  }

  async extendRetention(key: string, until: Date, mode?: LockMode): Promise<void> {
    assertValidKey(key);
    assertValidDate(key, until);
    assertValidMode(key, mode);
    try {
      if (!(await isObject(this.#path(key)))) throw notFound(key, this.location);
      await this.#update(key, (lock) => extendedLock(lock, until, mode));
    } catch (err) {
      throw storageFailure('extend retention of', key, this.location, err);
    }
  }

  async setLegalHold(key: string, on: boolean): Promise<void> {
    assertValidKey(key);
    try {
      if (!(await isObject(this.#path(key)))) throw notFound(key, this.location);
      await this.#update(key, (lock) => ({ ...lock, legalHold: on === true }));
    } catch (err) {
      throw storageFailure('set legal hold on', key, this.location, err);
    }
  }

  /** The bytes are replaced by rename(2), atomically; the sidecar, and so the lock, is left alone. */
  async repair(key: string, data: Uint8Array, options?: RepairOptions): Promise<void> {
    assertValidKey(key);
    const retainUntil = validRetention(key, options);
    const path = this.#path(key);
    if (!(await isObject(path).catch(() => false))) {
      if (!options?.create) throw notFound(key, this.location);
      await this.put(key, data, options);
      return;
    }
    try {
      if (retainUntil) await this.#update(key, (lock) => extendedLock(lock, retainUntil, options?.mode));
      await this.#locks.run(key, async () => {
        if (!(await isObject(path))) throw notFound(key, this.location);
        const tmp = await writeTempFile(this.#tmpDir, data, 0o444);
        try {
          await fs.rename(tmp, path);
        } catch (err) {
          await fs.rm(tmp, { force: true });
          throw err;
        }
        await syncDirectory(dirname(path));
      });
    } catch (err) {
      throw storageFailure('repair', key, this.location, err);
    }
  }

  async close(): Promise<void> {}

  #path(key: string): string {
    return join(this.#root, key);
  }

  async #update(key: string, change: (lock: Lock) => Lock): Promise<void> {
    await this.#locks.run(key, async () => {
      const current = await this.#retention.read(key);
      const next = change(current);
      if (!sameLock(current, next)) await this.#retention.write(key, next);
    });
  }

  /** Never overwrites: link(2) fails with EEXIST where rename(2) would replace the object. */
  async #link(key: string, path: string, data: Uint8Array): Promise<void> {
    const tmp = await writeTempFile(this.#tmpDir, data, 0o444);
    try {
      await makeParentDirs(path);
      await fs.link(tmp, path);
    } catch (err) {
      throw errnoCode(err) === 'EEXIST' ? alreadyExists(key, this.location) : err;
    } finally {
      await fs.rm(tmp, { force: true });
    }
    await syncDirectory(dirname(path));
  }

  async #dropOrphanRetention(key: string, path: string): Promise<void> {
    try {
      if (!(await isPresent(path))) await this.#retention.remove(key);
    } catch {
      // An orphan retention record only keeps a later object of this key longer: safe to leave.
    }
  }

  #readFailure(key: string, err: unknown): Error {
    if (isMissing(err) || errnoCode(err) === 'EISDIR') return notFound(key, this.location);
    return storageFailure('read', key, this.location, err);
  }
}

async function isPresent(path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

async function isObject(path: string): Promise<boolean> {
  try {
    return (await fs.lstat(path)).isFile();
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

/** Unlinking needs write access to the directory only, except on platforms that also check the file. */
async function unlinkReadOnly(path: string): Promise<void> {
  try {
    await fs.unlink(path);
  } catch (err) {
    const code = errnoCode(err);
    if (code !== 'EPERM' && code !== 'EACCES') throw err;
    await fs.chmod(path, 0o644);
    await fs.unlink(path);
  }
}

function validRetention(key: string, options: PutOptions | undefined): Date | undefined {
  const retainUntil = options?.retainUntil;
  if (retainUntil === undefined) return undefined;
  assertValidDate(key, retainUntil);
  assertValidMode(key, options?.mode);
  return retainUntil;
}

function isMissing(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
