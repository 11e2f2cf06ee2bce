import { promises as fs, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CairnError, errnoCode } from '../../errors/index.js';
import { makeParentDirs, syncDirectory, writeTempFile } from './atomic-file.js';
import { walkKeys } from './walk.js';

const none: ReadonlySet<string> = new Set();

/**
 * WORM on a plain disk is enforced by this software only: each retained object has a sidecar
 * file, <root>/retention/<key>, holding its retainUntil as an ISO date.
 */
export class RetentionSidecars {
  readonly #dir: string;
  readonly #tmpDir: string;

  constructor(root: string, tmpDir: string) {
    this.#dir = join(root, 'retention');
    this.#tmpDir = tmpDir;
  }

  async read(key: string): Promise<Date | undefined> {
    try {
      return parse(key, await fs.readFile(this.#path(key), 'utf8'));
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  /** Every retention date for keys starting with prefix. */
  readAll(prefix: string): Map<string, Date> {
    const dates = new Map<string, Date>();
    walkKeys(this.#dir, prefix, none, (key, path) => dates.set(key, parse(key, readFileSync(path, 'utf8'))));
    return dates;
  }

  /** Callers serialize writes per key; the file is replaced atomically. */
  async write(key: string, until: Date): Promise<void> {
    const path = this.#path(key);
    const tmp = await writeTempFile(this.#tmpDir, until.toISOString(), 0o644);
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

function parse(key: string, text: string): Date {
  const date = new Date(text.trim());
  if (Number.isNaN(date.getTime())) {
    throw new CairnError('CAIRN_E_INTEGRITY', `the retention record of ${key} is damaged: ${JSON.stringify(text)}`, {
      key,
    });
  }
  return date;
}

function isMissing(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
