import type { Repository, TreeEntry } from '../repo/index.js';

export interface FlatEntry {
  readonly path: string;
  readonly entry: TreeEntry;
}

/**
 * Every entry of a snapshot's tree with its full path, parents before children. With `within`,
 * only the folders on the way to and below those paths are read (restoring one file of 50,000
 * loads a handful of trees, not all of them).
 */
export async function flattenTree(
  repo: Pick<Repository, 'loadTree'>,
  rootId: string,
  within?: readonly string[],
): Promise<FlatEntry[]> {
  const out: FlatEntry[] = [];
  const bases = within?.map((w) => w.replace(/^\/+|\/+$/g, ''));
  const descend = (path: string) =>
    !bases || bases.some((b) => b === '' || b === path || b.startsWith(`${path}/`) || path.startsWith(`${b}/`));
  const visit = async (treeId: string, prefix: string): Promise<void> => {
    const tree = await repo.loadTree(treeId);
    for (const entry of tree.entries) {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      out.push({ path, entry });
      if (entry.type === 'dir' && entry.tree && descend(path)) await visit(entry.tree, path);
    }
  };
  await visit(rootId, '');
  return out;
}

/** Ids of every tree reachable from a root, the root included. */
export async function reachableTrees(
  repo: Pick<Repository, 'loadTree'>,
  rootId: string,
  into: Set<string>,
): Promise<void> {
  if (into.has(rootId)) return;
  into.add(rootId);
  const tree = await repo.loadTree(rootId);
  for (const e of tree.entries) if (e.type === 'dir' && e.tree) await reachableTrees(repo, e.tree, into);
}
