import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { flattenTree, type TreeSource } from '../tree-walk.js';

/** One entry of a restored item's folder, its path relative to that folder, '/'-separated. */
export interface RestoredEntry {
  readonly path: string;
  readonly abs: string;
  readonly type: 'file' | 'symlink';
  /** A symlink's target. */
  readonly target?: string;
}

/** Every file and symlink under `root` (folders are walked, not listed), sorted by path. Never follows symlinks. */
export async function restoredEntries(root: string): Promise<RestoredEntry[]> {
  const out: RestoredEntry[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const d of await readdir(dir, { withFileTypes: true })) {
      const path = prefix ? `${prefix}/${d.name}` : d.name;
      const abs = join(dir, d.name);
      if (d.isDirectory()) await walk(abs, path);
      else if (d.isSymbolicLink()) out.push({ path, abs, type: 'symlink', target: await readlink(abs) });
      else if (d.isFile()) out.push({ path, abs, type: 'file' });
    }
  };
  await walk(root, '');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => hash.update(d))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/**
 * A restored file as the restore left it: the SHA-256 the restore checked it against (from the
 * snapshot's tree) and what lstat said right after the restore. While inode, size, mtime and ctime are
 * the same, the file is still what the restore verified (a write changes mtime and ctime, and ctime
 * cannot be set back): its SHA-256 need not be read again.
 */
interface RestoredFile {
  readonly sha256: string;
  readonly ino: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
}

export type RestoredState = ReadonlyMap<string, RestoredFile>;

/** The state of the files of snapshot tree `treeId` just restored into `root` (call before any validator runs). */
export async function recordRestored(repo: TreeSource, treeId: string, root: string): Promise<RestoredState> {
  const out = new Map<string, RestoredFile>();
  for (const { path, entry } of await flattenTree(repo, treeId)) {
    if (entry.type !== 'file' || !entry.sha256) continue;
    const st = await lstat(join(root, path), { bigint: true }).catch(() => undefined);
    if (!st?.isFile()) continue;
    out.set(path, { sha256: entry.sha256, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs });
  }
  return out;
}

/** The SHA-256 of a restored file: as the restore verified it if untouched since, else read again. */
export async function restoredSha256(e: RestoredEntry, state: RestoredState | undefined): Promise<string> {
  const was = state?.get(e.path);
  if (was) {
    const st: BigIntStats | undefined = await lstat(e.abs, { bigint: true }).catch(() => undefined);
    if (
      st?.isFile() &&
      st.ino === was.ino &&
      st.size === was.size &&
      st.mtimeNs === was.mtimeNs &&
      st.ctimeNs === was.ctimeNs
    ) {
      return was.sha256;
    }
  }
  return sha256File(e.abs);
}
