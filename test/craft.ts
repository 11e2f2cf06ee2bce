/**
 * Helpers for tests that need a repository the CLI would never write: malicious trees, flipped
 * bytes, truncated packs and index files. Crafting goes through the real repo layer (so blobs,
 * segments and packs are well formed); damage is done to the files afterwards. The CLI picks up a
 * crafted snapshot object because the catalog re-syncs from the repository on open.
 */
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, readdirSync, readFileSync, readlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Repository, sha256Hex, type TreeEntry } from '../src/repo/index.js';
import { flattenTree } from '../src/services/tree-walk.js';
import { LocalStorage } from '../src/storage/index.js';
import { type Fixture, fixture } from './helpers.js';

export type CraftNode =
  | { readonly type: 'file'; readonly data: Buffer; readonly mode: number; readonly mtime: number }
  | { readonly type: 'dir'; readonly entries: readonly CraftEntry[]; readonly mode: number }
  | { readonly type: 'symlink'; readonly target: string };
/** A name and what it is; a list rather than a map, so a test can give the same name twice. */
export type CraftEntry = readonly [name: string, node: CraftNode];

const MTIME = Date.parse('2024-03-04T05:06:07.000Z');

export const file = (data: string | Buffer, mode = 0o644): CraftNode => ({
  type: 'file',
  data: Buffer.from(data),
  mode,
  mtime: MTIME,
});
export const dir = (entries: readonly CraftEntry[], mode = 0o755): CraftNode => ({ type: 'dir', entries, mode });
export const link = (target: string): CraftNode => ({ type: 'symlink', target });

/**
 * fixture() without the `cairn init` process: the repository is created in this process (the CLI's
 * init is tested elsewhere), which saves a second of a slow shared machine per test.
 */
export async function repoFixture(): Promise<Fixture> {
  const f = fixture({ init: false });
  const repo = await Repository.init(new LocalStorage(f.repo), { kind: 'password', value: f.env.CAIRN_PASSWORD! });
  await repo.close();
  return f;
}

export async function withRepo<T>(f: Fixture, fn: (repo: Repository) => Promise<T>): Promise<T> {
  const repo = await Repository.open(new LocalStorage(f.repo), {
    kind: 'password',
    value: f.env.CAIRN_PASSWORD!,
  });
  try {
    await repo.loadIndex();
    return await fn(repo);
  } finally {
    await repo.close();
  }
}

async function saveDir(repo: Repository, entries: readonly CraftEntry[]): Promise<string> {
  const out: TreeEntry[] = [];
  for (const [name, node] of entries) {
    if (node.type === 'file') {
      const { id } = await repo.saveBlob('data', node.data);
      out.push({
        name,
        type: 'file',
        mode: node.mode,
        mtime: node.mtime,
        size: node.data.length,
        ctime: node.mtime,
        ino: 1,
        sha256: sha256Hex(node.data),
        blobs: [id],
      });
    } else if (node.type === 'dir') {
      out.push({ name, type: 'dir', mode: node.mode, mtime: MTIME, tree: await saveDir(repo, node.entries) });
    } else {
      out.push({ name, type: 'symlink', mode: 0o777, mtime: MTIME, target: node.target });
    }
  }
  return repo.saveTree({ entries: out });
}

/** Writes blobs, trees, a pack, its index and a snapshot object of item app-prod; returns the snapshot id. */
export async function craftSnapshot(f: Fixture, entries: readonly CraftEntry[]): Promise<string> {
  return withRepo(f, async (repo) => {
    const tree = await saveDir(repo, entries);
    await repo.flush();
    return repo.saveSnapshot({
      version: 1,
      meta: {
        item: 'app-prod',
        environment: 'prod',
        tier: '2',
        component: 'app',
        trigger: 'manual',
        release: null,
        commit: null,
        change: null,
        deployment: null,
        pipeline: null,
        actor: 'crafter',
        host: 'test',
        time: new Date().toISOString(),
      },
      parent: null,
      tree,
      contentHash: '0'.repeat(64),
      status: 'complete',
      files: 0,
      bytes: 0,
      addedBytes: 0,
      retainUntil: null,
      unreadable: [],
    });
  });
}

/** `cairn snapshot --item ITEM` (and any extra flags); returns the new snapshot's id. */
export function takeSnapshot(f: Fixture, item = 'app-prod', extra: readonly string[] = []): string {
  const r = f.cli(['snapshot', '--item', item, '--json', ...extra]);
  assert.equal(r.code, 0, `snapshot failed:\n${r.stdout}\n${r.stderr}`);
  const [s] = r.json<{ snapshots: Array<{ id: string; status: string }> }>().snapshots;
  assert.ok(s && (s.status === 'created' || s.status === 'unchanged'), r.stdout);
  return s.id;
}

export interface Location {
  readonly pack: string;
  readonly segmentOff: number;
  readonly segmentLen: number;
}

/** Where each file of a snapshot keeps its data: path -> the (pack, segment) of every blob. */
export async function locateFiles(f: Fixture, snapshotId: string): Promise<Map<string, Location[]>> {
  return withRepo(f, async (repo) => {
    const s = await repo.loadSnapshot(snapshotId);
    const out = new Map<string, Location[]>();
    for (const { path, entry } of await flattenTree(repo, s.tree)) {
      if (entry.type !== 'file') continue;
      out.set(
        path,
        (entry.blobs ?? []).map((b) => {
          const loc = repo.index.get(b);
          return { pack: loc.pack, segmentOff: loc.segment.off, segmentLen: loc.segment.len };
        }),
      );
    }
    return out;
  });
}

/** The segment that holds a snapshot's root tree. */
export async function locateRootTree(f: Fixture, snapshotId: string): Promise<Location> {
  return withRepo(f, async (repo) => {
    const loc = repo.index.get((await repo.loadSnapshot(snapshotId)).tree);
    return { pack: loc.pack, segmentOff: loc.segment.off, segmentLen: loc.segment.len };
  });
}

export function packPath(f: Fixture, pack: string): string {
  return join(f.repo, 'packs', pack.slice(0, 2), pack);
}

/** Every object file under a repository folder (packs/, index/, …), as absolute paths. */
export function objectFiles(f: Fixture, prefix: 'packs' | 'index' | 'snapshots'): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(join(d, e.name));
    }
  };
  walk(join(f.repo, prefix));
  return out.sort();
}

/** Local objects are read-only (0444): make one writable, change it, and make it read-only again. */
export function editObject(path: string, edit: (bytes: Buffer) => Buffer): void {
  chmodSync(path, 0o644);
  writeFileSync(path, edit(readFileSync(path)));
  chmodSync(path, 0o444);
}

export function flipByte(path: string, offset: number): void {
  editObject(path, (b) => {
    b[offset] = b[offset]! ^ 0x5a;
    return b;
  });
}

export function truncateObject(path: string, length: number): void {
  chmodSync(path, 0o644);
  truncateSync(path, length);
  chmodSync(path, 0o444);
}

export interface FsEntry {
  readonly type: 'file' | 'dir' | 'symlink';
  readonly mode: number;
  readonly mtimeMs: number;
  readonly content?: string; // hex of a file's bytes
  readonly target?: string;
}

/** Everything under a folder, by relative path: type, permission bits, mtime, bytes or link target. */
export function snapshotOfDir(root: string): Map<string, FsEntry> {
  const out = new Map<string, FsEntry>();
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs).sort()) {
      const p = join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      const mode = st.mode & 0o7777;
      if (st.isSymbolicLink()) out.set(r, { type: 'symlink', mode: 0, mtimeMs: 0, target: readlinkSync(p) });
      else if (st.isDirectory()) {
        walk(p, r);
        out.set(r, { type: 'dir', mode, mtimeMs: st.mtimeMs });
      } else out.set(r, { type: 'file', mode, mtimeMs: st.mtimeMs, content: readFileSync(p).toString('hex') });
    }
  };
  walk(root, '');
  return out;
}

/** Every file below a folder, recursively (empty when it is missing). */
export function filesBelow(root: string): string[] {
  try {
    return [...snapshotOfDir(root).keys()];
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return [];
    throw err;
  }
}

/** No stack trace reached the user: errors are `cairn: CODE: message`. */
export function assertNoStackTrace(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at .+:\d+:\d+/, `stack trace on stderr:\n${stderr}`);
  assert.doesNotMatch(stderr, /internal error/, stderr);
}
