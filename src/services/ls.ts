import type { SnapshotRecord } from '../catalog/index.js';
import { CairnError } from '../errors/index.js';
import type { Repository, TreeEntry } from '../repo/index.js';
import { flattenTree } from './tree-walk.js';

export interface ListedEntry {
  readonly path: string;
  readonly type: TreeEntry['type'];
  readonly mode: number;
  readonly size: number;
  readonly mtime: string;
  readonly sha256?: string;
  readonly target?: string;
}

/** `cairn ls ID [PATH]`: the entries of a snapshot, or those at and below PATH. */
export async function listSnapshot(repo: Repository, snapshot: SnapshotRecord, path?: string): Promise<ListedEntry[]> {
  await repo.loadIndex();
  const prefix = (path ?? '').replace(/^\/+|\/+$/g, '');
  const all = await flattenTree(repo, snapshot.tree);
  const chosen = prefix ? all.filter((e) => e.path === prefix || e.path.startsWith(`${prefix}/`)) : all;
  if (prefix && chosen.length === 0) {
    throw new CairnError('CAIRN_E_NOT_FOUND', `no path ${prefix} in snapshot ${snapshot.id.slice(0, 12)}`);
  }
  return chosen.map(({ path: p, entry }) => ({
    path: p,
    type: entry.type,
    mode: entry.mode,
    size: entry.size ?? 0,
    mtime: new Date(entry.mtime).toISOString(),
    ...(entry.sha256 ? { sha256: entry.sha256 } : {}),
    ...(entry.target !== undefined ? { target: entry.target } : {}),
  }));
}
