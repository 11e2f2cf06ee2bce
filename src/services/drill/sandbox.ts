import { chmod, lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CairnError, errnoCode } from '../../errors/index.js';

/**
 * Where a drill restores to: a fresh folder under the system's temporary folder, deleted afterwards;
 * or, for a configuration-only restore (C5.4), a staging folder the caller names, which must be new
 * or empty and is kept. Each item goes to `<sandbox>/<item>/`; validators get `<sandbox>/.home` as
 * HOME and `<sandbox>/.tmp` as TMPDIR (item names never start with a dot, so these never collide).
 */
export interface Sandbox {
  readonly path: string;
  readonly home: string;
  readonly tmp: string;
  /** A staging folder: kept after the drill. */
  readonly kept: boolean;
  itemDir(item: string): string;
  /** Deletes the folder (not a staging one); true when it is gone. Never throws. */
  cleanup(): Promise<boolean>;
}

export async function openSandbox(staging?: string): Promise<Sandbox> {
  let path: string;
  if (staging !== undefined) {
    path = resolve(staging);
    await refuseNonEmpty(path);
    await mkdir(path, { recursive: true });
  } else {
    path = await mkdtemp(join(tmpdir(), 'cairn-drill-'));
  }
  const home = join(path, '.home');
  const tmp = join(path, '.tmp');
  await mkdir(home, { recursive: true });
  await mkdir(tmp, { recursive: true });
  const kept = staging !== undefined;
  return {
    path,
    home,
    tmp,
    kept,
    itemDir: (item) => join(path, item),
    async cleanup() {
      if (kept) return false;
      return removeTree(path);
    },
  };
}

async function refuseNonEmpty(path: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(path);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw new CairnError('CAIRN_E_USAGE', `--staging ${path} is a file, not a folder`);
    throw err;
  }
  if (names.length > 0) {
    throw new CairnError(
      'CAIRN_E_TARGET_NOT_EMPTY',
      `staging folder ${path} is not empty (${names.length} entries); name a new or empty folder`,
      { staging: path },
    );
  }
}

/** rm -rf, also through folders restored without write permission (a non-root user cannot empty those). */
export async function removeTree(path: string): Promise<boolean> {
  try {
    await rm(path, { recursive: true, force: true });
    return true;
  } catch (err) {
    if (errnoCode(err) !== 'EACCES' && errnoCode(err) !== 'EPERM') return false;
  }
  await openUp(path).catch(() => undefined);
  try {
    await rm(path, { recursive: true, force: true });
    return true;
  } catch {
    return false;
  }
}

async function openUp(dir: string): Promise<void> {
  const st = await lstat(dir);
  if (!st.isDirectory()) return;
  await chmod(dir, 0o700);
  for (const name of await readdir(dir)) await openUp(join(dir, name));
}
