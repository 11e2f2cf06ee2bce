import { isAbsolute } from 'node:path';
import picomatch from 'picomatch';
import { CairnError } from '../errors/index.js';
import type { FlatEntry } from './tree-walk.js';

/**
 * What a restore will write, checked before anything is written: every path stays inside the
 * target and every symlink points inside it too. One bad entry refuses the whole restore.
 */
export function planRestore(entries: readonly FlatEntry[], include: readonly string[]): FlatEntry[] {
  const links = new Map<string, string>();
  for (const { path, entry } of entries) if (entry.type === 'symlink') links.set(path, entry.target ?? '');
  for (const [path, target] of links) {
    if (isAbsolute(target) || target.includes('\0') || leavesRoot(path, target, links)) {
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

/**
 * Whether the symlink at `path` resolves outside the restore folder once every symlink of the
 * snapshot exists, resolved as the kernel will: a `..` applies after the symlinks before it, so
 * with `d/up -> ..` the link `x -> d/up/../y` is the target's sibling, though it reads as `d/y`.
 */
function leavesRoot(path: string, target: string, links: ReadonlyMap<string, string>): boolean {
  const at = path.split('/').slice(0, -1);
  const todo = target.split('/');
  let hops = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (at.length === 0) return true;
      at.pop();
      continue;
    }
    at.push(part);
    const next = links.get(at.join('/'));
    if (next === undefined) continue;
    if (isAbsolute(next)) return true;
    // Past the kernel's limit of 40 links the lookup fails (ELOOP): it never gets outside.
    if (++hops > 40) return false;
    at.pop();
    todo.unshift(...next.split('/'));
  }
  return false;
}
