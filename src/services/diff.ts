import { createTwoFilesPatch } from 'diff';
import type { SnapshotRecord } from '../catalog/index.js';
import type { Repository, TreeEntry } from '../repo/index.js';
import { flattenTree } from './tree-walk.js';

export type ChangeKind = 'added' | 'removed' | 'modified' | 'mode' | 'type';

export interface Change {
  readonly path: string;
  readonly kind: ChangeKind;
  readonly type: TreeEntry['type'];
  readonly before?: {
    readonly size?: number;
    readonly sha256?: string;
    readonly mode: number;
    readonly target?: string;
  };
  readonly after?: {
    readonly size?: number;
    readonly sha256?: string;
    readonly mode: number;
    readonly target?: string;
  };
  readonly patch?: string;
}

export interface DiffResult {
  readonly from: string;
  readonly to: string;
  readonly changes: readonly Change[];
  readonly summary: Readonly<Record<ChangeKind, number>>;
}

const PATCH_LIMIT = 2 * 1024 * 1024;

/** What changed between two snapshots: by content hash, never by timestamps. */
export async function diffSnapshots(
  repo: Repository,
  a: SnapshotRecord,
  b: SnapshotRecord,
  opts: { patch?: boolean } = {},
): Promise<DiffResult> {
  await repo.loadIndex();
  const before = new Map((await flattenTree(repo, a.tree)).map((e) => [e.path, e.entry]));
  const after = new Map((await flattenTree(repo, b.tree)).map((e) => [e.path, e.entry]));
  const fullBefore = foldersWithEntries(before.keys());
  const fullAfter = foldersWithEntries(after.keys());
  const changes: Change[] = [];
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  for (const path of paths) {
    const x = before.get(path);
    const y = after.get(path);
    let kind: ChangeKind | undefined;
    if (!x) kind = 'added';
    else if (!y) kind = 'removed';
    else if (x.type !== y.type) kind = 'type';
    else if ((x.sha256 ?? x.target) !== (y.sha256 ?? y.target)) kind = 'modified';
    else if (x.mode !== y.mode) kind = 'mode';
    if (!kind) continue;
    // A folder that came or went shows through its files; an empty one has nothing else to show it.
    const dir = kind !== 'mode' && (x ?? y)!.type === 'dir' && (y ?? x)!.type === 'dir';
    if (dir && (x ? fullBefore : fullAfter).has(path)) continue;
    const change: Change = {
      path,
      kind,
      type: (y ?? x)!.type,
      ...(x ? { before: facts(x) } : {}),
      ...(y ? { after: facts(y) } : {}),
    };
    changes.push(opts.patch && kind !== 'mode' ? { ...change, patch: await patchOf(repo, path, x, y) } : change);
  }
  const summary = { added: 0, removed: 0, modified: 0, mode: 0, type: 0 };
  for (const c of changes) summary[c.kind]++;
  return { from: a.id, to: b.id, changes, summary };
}

function foldersWithEntries(paths: Iterable<string>): Set<string> {
  return new Set([...paths].map((p) => p.slice(0, Math.max(0, p.lastIndexOf('/')))));
}

function facts(e: TreeEntry) {
  return {
    mode: e.mode,
    ...(e.size !== undefined ? { size: e.size } : {}),
    ...(e.sha256 ? { sha256: e.sha256 } : {}),
    ...(e.target !== undefined ? { target: e.target } : {}),
  };
}

async function textOf(repo: Repository, e: TreeEntry | undefined): Promise<string | undefined> {
  if (e?.type !== 'file') return '';
  if ((e.size ?? 0) > PATCH_LIMIT) return undefined;
  const parts: Buffer[] = [];
  for (const id of e.blobs ?? []) parts.push(await repo.loadBlob(id));
  const data = Buffer.concat(parts);
  if (data.subarray(0, 8192).includes(0)) return undefined;
  return data.toString('utf8');
}

async function patchOf(repo: Repository, path: string, x?: TreeEntry, y?: TreeEntry): Promise<string> {
  const [old, now] = await Promise.all([textOf(repo, x), textOf(repo, y)]);
  if (old === undefined || now === undefined) return `Binary or large files a/${path} and b/${path} differ\n`;
  return createTwoFilesPatch(x ? `a/${path}` : '/dev/null', y ? `b/${path}` : '/dev/null', old, now, '', '', {
    context: 3,
  });
}
