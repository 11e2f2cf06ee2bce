import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

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
