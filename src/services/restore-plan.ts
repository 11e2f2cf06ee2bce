import { isAbsolute, posix } from 'node:path';
import picomatch from 'picomatch';
import { CairnError } from '../errors/index.js';
import type { FlatEntry } from './tree-walk.js';

/**
 * What a restore will write, checked before anything is written: every path stays inside the
 * target and every symlink points inside it too. One bad entry refuses the whole restore.
 */
export function planRestore(entries: readonly FlatEntry[], include: readonly string[]): FlatEntry[] {
  for (const { path, entry } of entries) {
    if (entry.type !== 'symlink') continue;
    const target = entry.target ?? '';
    const resolved = posix.normalize(posix.join(posix.dirname(path), target));
    if (isAbsolute(target) || target.includes('\0') || resolved === '..' || resolved.startsWith('../')) {
      throw new CairnError(
        'CAIRN_E_UNSAFE_PATH',
        `refusing to restore: symlink ${path} points outside the restore target (${target}); nothing was written`,
        { path, target },
      );
    }
  }
  if (include.length === 0) return [...entries];
  const matchers = include.map((g) => picomatch(g.replace(/^\/+/, ''), { dot: true }));
  const wanted = (p: string) => matchers.some((m) => m(p));
  const chosen = new Set<string>();
  for (const { path } of entries) {
    // A match on a folder takes everything below it; a match below a folder takes the folders above.
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      if (wanted(parts.slice(0, i).join('/'))) {
        chosen.add(path);
        for (let j = 1; j < parts.length; j++) chosen.add(parts.slice(0, j).join('/'));
        break;
      }
    }
  }
  return entries.filter((e) => chosen.has(e.path));
}
