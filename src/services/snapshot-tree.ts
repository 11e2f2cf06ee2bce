import { createHash } from 'node:crypto';
import type { Repository, TreeEntry } from '../repo/index.js';

export interface BuiltEntry {
  readonly path: string;
  readonly entry: Omit<TreeEntry, 'name' | 'tree'>;
}

/** SHA-256 over what the configuration IS (paths, types, modes, contents), not when it was touched. */
export function contentHash(entries: readonly BuiltEntry[]): string {
  const h = createHash('sha256');
  for (const { path, entry } of [...entries].sort((a, b) => cmp(a.path, b.path))) {
    h.update(`${entry.type}\0${entry.mode.toString(8)}\0${path}\0${entry.sha256 ?? entry.target ?? ''}\n`);
  }
  return h.digest('hex');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface DirNode {
  entry?: Omit<TreeEntry, 'name' | 'tree'>;
  children: Map<string, DirNode>;
  leaf?: Omit<TreeEntry, 'name'>;
}

/** Builds and saves the directory trees bottom-up; returns the root tree id. `saved` collects every tree's id. */
export async function saveTrees(
  repo: Repository,
  entries: readonly BuiltEntry[],
  saved?: Set<string>,
): Promise<string> {
  const root: DirNode = { children: new Map() };
  for (const { path, entry } of entries) {
    const parts = path.split('/');
    let node = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const name = parts[i]!;
      let next = node.children.get(name);
      if (!next) {
        next = { children: new Map() };
        node.children.set(name, next);
      }
      node = next;
    }
    const name = parts[parts.length - 1]!;
    if (entry.type === 'dir') {
      const existing = node.children.get(name);
      if (existing) existing.entry = entry;
      else node.children.set(name, { entry, children: new Map() });
    } else {
      node.children.set(name, { leaf: entry, children: new Map() });
    }
  }
  const save = async (node: DirNode): Promise<string> => {
    const out: TreeEntry[] = [];
    for (const [name, child] of node.children) {
      if (child.leaf) out.push({ ...child.leaf, name });
      else {
        const tree = await save(child);
        const meta = child.entry ?? { type: 'dir' as const, mode: 0o755, mtime: 0 };
        out.push({ name, type: 'dir', mode: meta.mode, mtime: meta.mtime, tree });
      }
    }
    const id = await repo.saveTree({ entries: out });
    saved?.add(id);
    return id;
  };
  return save(root);
}
