import { CairnError } from '../errors/index.js';

/**
 * A tree is one directory: its entries sorted by name. Trees are blobs like file content, so an
 * unchanged directory is stored once across all snapshots. Names are single path components:
 * a tree that says otherwise is refused on read (restore never writes outside its target).
 */
export type EntryType = 'file' | 'dir' | 'symlink';

export interface TreeEntry {
  readonly name: string;
  readonly type: EntryType;
  readonly mode: number; // permission bits
  readonly mtime: number; // ms since epoch, as lstat reports it
  readonly size?: number;
  /** Change detection against the next snapshot: unchanged (size, mtime, ctime, inode) means unread. */
  readonly ctime?: number;
  readonly ino?: number;
  readonly sha256?: string; // of the whole file: checked on every restore
  readonly blobs?: readonly string[];
  readonly tree?: string; // subtree id for dirs
  readonly target?: string; // for symlinks
}

export interface Tree {
  readonly entries: readonly TreeEntry[];
}

export function assertSafeName(name: string, where: string): void {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new CairnError('CAIRN_E_UNSAFE_PATH', `unsafe name ${JSON.stringify(name)} in tree ${where}`, {
      name,
      where,
    });
  }
}

export function parseTree(json: Buffer, id: string): Tree {
  let tree: Tree;
  try {
    tree = JSON.parse(json.toString('utf8')) as Tree;
  } catch {
    throw new CairnError('CAIRN_E_REPO_FORMAT', `tree ${id.slice(0, 12)} is not valid JSON`);
  }
  if (!Array.isArray(tree.entries))
    throw new CairnError('CAIRN_E_REPO_FORMAT', `tree ${id.slice(0, 12)} has no entries`);
  const seen = new Set<string>();
  for (const e of tree.entries) {
    assertSafeName(e.name, id.slice(0, 12));
    if (seen.has(e.name)) {
      throw new CairnError(
        'CAIRN_E_UNSAFE_PATH',
        `duplicate name ${JSON.stringify(e.name)} in tree ${id.slice(0, 12)}`,
      );
    }
    seen.add(e.name);
    if (e.type !== 'file' && e.type !== 'dir' && e.type !== 'symlink') {
      throw new CairnError('CAIRN_E_REPO_FORMAT', `entry ${e.name} of tree ${id.slice(0, 12)} has unknown type`);
    }
  }
  return tree;
}

export function serializeTree(tree: Tree): Buffer {
  const entries = [...tree.entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return Buffer.from(JSON.stringify({ entries }));
}
