import { promises as fs, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CairnError, errnoCode } from '../../errors/index.js';
import { type Lock, noLock } from '../retention.js';
import { makeParentDirs, syncDirectory, writeTempFile } from './atomic-file.js';
import { walkKeys } from './walk.js';

const none: ReadonlySet<string> = new Set();

/**
 * WORM on a plain disk is enforced by this software only: each locked object has a sidecar file,
 * <root>/retention/<key>, holding JSON {retainUntil?, mode?, legalHold?}. Sidecars written before
 * lock modes existed hold a bare ISO date and read as a governance lock.
 */
export class RetentionSidecars {
  readonly #dir: string;
  readonly #tmpDir: string;

  constructor(root: string, tmpDir: string) {
    this.#dir = join(root, 'retention');
    this.#tmpDir = tmpDir;
  }

  async read(key: string): Promise<Lock> {
    try {
      return parse(key, await fs.readFile(this.#path(key), 'utf8'));
    } catch (err) {
      if (isMissing(err)) return noLock;
      throw err;
    }
  }

  /** Every lock for keys starting with prefix. */
  readAll(prefix: string): Map<string, Lock> {
    const locks = new Map<string, Lock>();
    walkKeys(this.#dir, prefix, none, (key, path) => locks.set(key, parse(key, readFileSync(path, 'utf8'))));
    return locks;
  }

  /** Callers serialize writes per key; the file is replaced atomically, or removed for no lock. */
  async write(key: string, lock: Lock): Promise<void> {
    if (lock.retainUntil === undefined && !lock.legalHold) {
      await this.remove(key);
      return;
    }
    const path = this.#path(key);
    const tmp = await writeTempFile(this.#tmpDir, serialize(lock), 0o644);
    try {
      await makeParentDirs(path);
      await fs.rename(tmp, path);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    await syncDirectory(dirname(path));
  }

  async remove(key: string): Promise<void> {
    await fs.rm(this.#path(key), { force: true });
  }

  #path(key: string): string {
    return join(this.#dir, key);
  }
}

function serialize(lock: Lock): string {
  return JSON.stringify({
    ...(lock.retainUntil ? { retainUntil: lock.retainUntil.toISOString(), mode: lock.mode ?? 'governance' } : {}),
    ...(lock.legalHold ? { legalHold: true } : {}),
  });
}

function parse(key: string, text: string): Lock {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) {
    const date = new Date(trimmed);
    if (Number.isNaN(date.getTime())) throw damaged(key, text);
    return { retainUntil: date, mode: 'governance', legalHold: false };
  }
  let record: unknown;
  try {
    record = JSON.parse(trimmed);
  } catch {
    throw damaged(key, text);
  }
  const { retainUntil, mode, legalHold } = (record ?? {}) as Record<string, unknown>;
  const date = typeof retainUntil === 'string' ? new Date(retainUntil) : undefined;
  const valid =
    (retainUntil === undefined || (date !== undefined && !Number.isNaN(date.getTime()))) &&
    (mode === undefined || mode === 'governance' || mode === 'compliance') &&
    (legalHold === undefined || typeof legalHold === 'boolean');
  if (!valid) throw damaged(key, text);
  return {
    retainUntil: date,
    mode: date ? ((mode as Lock['mode']) ?? 'governance') : undefined,
    legalHold: legalHold === true,
  };
}

function damaged(key: string, text: string): CairnError {
  return new CairnError('CAIRN_E_INTEGRITY', `the retention record of ${key} is damaged: ${JSON.stringify(text)}`, {
    key,
  });
}

function isMissing(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
