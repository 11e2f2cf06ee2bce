import type { Repository, Tree, TreeEntry } from '../repo/index.js';

/**
 * Walks a snapshot's trees level by level: every subtree of one level is loaded with one
 * `loadTrees` call, so a walk costs about one batch of ranged reads per folder depth instead of one
 * request per tree (Repository.loadTrees authenticates each tree and bounds what one read holds).
 */
export type TreeSource = Pick<Repository, 'loadTrees'>;

export interface FlatEntry {
  readonly path: string;
  readonly entry: TreeEntry;
}

/**
 * Every entry of a snapshot's tree with its full path, parents before children (depth first, as a
 * recursive listing). With `within`, only the folders on the way to and below those paths are read
 * (restoring one file of 50,000 loads a handful of trees, not all of them).
 */
export async function flattenTree(repo: TreeSource, rootId: string, within?: readonly string[]): Promise<FlatEntry[]> {
  const bases = within?.map((w) => w.replace(/^\/+|\/+$/g, ''));
  const descend = (path: string) =>
    !bases || bases.some((b) => b === '' || b === path || b.startsWith(`${path}/`) || path.startsWith(`${b}/`));
  const trees = new Map<string, Tree>();
  let level: Array<{ id: string; path: string }> = [{ id: rootId, path: '' }];
  while (level.length > 0) {
    for (const [id, tree] of await repo.loadTrees(level.map((t) => t.id).filter((id) => !trees.has(id))))
      trees.set(id, tree);
    const next: typeof level = [];
    for (const { id, path: prefix } of level) {
      for (const entry of trees.get(id)!.entries) {
        const path = prefix ? `${prefix}/${entry.name}` : entry.name;
        if (entry.type === 'dir' && entry.tree && descend(path)) next.push({ id: entry.tree, path });
      }
    }
    level = next;
  }
  const out: FlatEntry[] = [];
  const visit = (treeId: string, prefix: string): void => {
    for (const entry of trees.get(treeId)!.entries) {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      out.push({ path, entry });
      if (entry.type === 'dir' && entry.tree && descend(path)) visit(entry.tree, path);
    }
  };
  visit(rootId, '');
  return out;
}

/** Ids of every tree reachable from a root, the root included; trees already in `into` are not read again. */
export async function reachableTrees(repo: TreeSource, rootId: string, into: Set<string>): Promise<void> {
  let level = into.has(rootId) ? [] : [rootId];
  for (const id of level) into.add(id);
  while (level.length > 0) {
    const next: string[] = [];
    for (const tree of (await repo.loadTrees(level)).values()) {
      for (const e of tree.entries) {
        if (e.type !== 'dir' || !e.tree || into.has(e.tree)) continue;
        into.add(e.tree);
        next.push(e.tree);
      }
    }
    level = next;
  }
}
