import { chmod, lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CairnError, errnoCode } from '../../errors/index.js';

/**
 * Where a drill restores to: a fresh folder under the system's temporary folder, deleted afterwards;
 * or, for a configuration-only restore (C5.4), a staging folder the caller names, which must be new
 * or empty and is kept. Each item goes to `<sandbox>/<item>/`; validators get `<sandbox>/.home` as
 * HOME and `<sandbox>/.tmp` as TMPDIR (item names never start with a dot, so these never collide).
 * The restored files are decrypted configuration, secrets included: every folder made here is 0700, and
 * a temporary sandbox is named after its process (`cairn-drill-<pid>-XXXXXX`), so that one left behind
 * by a process that was killed (SIGKILL, a crash) is deleted by the next drill on this machine.
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
    await mkdir(path, { recursive: true, mode: 0o700 });
  } else {
    await removeStaleSandboxes();
    // mkdtemp makes the folder 0700.
    path = await mkdtemp(join(tmpdir(), `${PREFIX}${process.pid}-`));
  }
  const home = join(path, '.home');
  const tmp = join(path, '.tmp');
  await mkdir(home, { recursive: true, mode: 0o700 });
  await mkdir(tmp, { recursive: true, mode: 0o700 });
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

const PREFIX = 'cairn-drill-';

/** Deletes the temporary sandboxes of processes that are gone (never another live process's). */
export async function removeStaleSandboxes(dir = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = /^cairn-drill-(\d+)-[A-Za-z0-9]{6}$/.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    if (await removeTree(join(dir, name))) removed.push(join(dir, name));
  }
  return removed;
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, another user's.
    return errnoCode(err) !== 'ESRCH';
  }
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
