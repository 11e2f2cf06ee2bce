import type { SnapshotRecord } from '../catalog/index.js';
import { CairnError, isCairnError } from '../errors/index.js';
import type { BlobLocation, Repository, TreeEntry } from '../repo/index.js';
import { noProgress, type ProgressSink } from './progress.js';
import { planRestore } from './restore-plan.js';
import { TargetDir } from './target-dir.js';
import { type FlatEntry, flattenTree } from './tree-walk.js';

export interface RestoreRequest {
  readonly target: string;
  readonly include?: readonly string[];
  readonly overwrite?: boolean;
  readonly dryRun?: boolean;
}

export interface RestoreResult {
  readonly snapshot: string;
  readonly item: string;
  readonly target: string;
  readonly dryRun: boolean;
  readonly files: number;
  readonly dirs: number;
  readonly symlinks: number;
  readonly bytes: number;
  readonly failed: ReadonlyArray<{ readonly path: string; readonly code: string; readonly message: string }>;
  readonly paths?: readonly string[];
}

/** Restores a snapshot into a folder; every file's SHA-256 is checked before it is put in place. */
export async function restoreSnapshot(
  repo: Repository,
  snapshot: SnapshotRecord,
  request: RestoreRequest,
  progress: ProgressSink = noProgress,
): Promise<RestoreResult> {
  await repo.loadIndex();
  const include = request.include ?? [];
  const plan = planRestore(await flattenTree(repo, snapshot.tree, literalBases(include)), include);
  if (request.include?.length && plan.length === 0) {
    throw new CairnError(
      'CAIRN_E_NOT_FOUND',
      `nothing in snapshot ${snapshot.id.slice(0, 12)} matches ${request.include.join(', ')}`,
    );
  }
  const files = plan.filter((e) => e.entry.type === 'file');
  const totalBytes = files.reduce((n, f) => n + (f.entry.size ?? 0), 0);
  const base = {
    snapshot: snapshot.id,
    item: snapshot.item,
    target: request.target,
    dryRun: request.dryRun ?? false,
    files: files.length,
    dirs: plan.filter((e) => e.entry.type === 'dir').length,
    symlinks: plan.filter((e) => e.entry.type === 'symlink').length,
    bytes: totalBytes,
  };
  // Checked with --overwrite too: a target that is a file is refused before anything else.
  if (!TargetDir.isEmptyOrMissing(request.target) && !request.overwrite) {
    throw new CairnError(
      'CAIRN_E_TARGET_NOT_EMPTY',
      `restore target ${request.target} is not empty; choose an empty folder or pass --overwrite to replace files in it`,
      { target: request.target },
    );
  }
  if (request.dryRun) return { ...base, failed: [], paths: plan.map((e) => e.path) };

  const out = new TargetDir(request.target);
  out.prepare();
  for (const e of plan) if (e.entry.type === 'dir') out.ensureDir(e.path);
  const failed: Array<{ path: string; code: string; message: string }> = [];
  const fail = (path: string, err: unknown) => {
    if (!isCairnError(err)) throw err;
    failed.push({ path, code: err.code, message: err.message });
  };
  let done = 0;
  let doneBytes = 0;
  const tick = (f: FlatEntry) => {
    done++;
    doneBytes += f.entry.size ?? 0;
    progress({
      phase: 'restore',
      item: snapshot.item,
      files: done,
      totalFiles: files.length,
      bytes: doneBytes,
      totalBytes,
    });
  };

  // Small files are one blob each: read every segment once, in pack order, and write all its files.
  const groups = new Map<string, { loc: BlobLocation; files: FlatEntry[] }>();
  const large: FlatEntry[] = [];
  for (const f of files) {
    const blobs = f.entry.blobs ?? [];
    if (blobs.length !== 1) {
      large.push(f);
      continue;
    }
    const loc = repo.index.find(blobs[0]!);
    if (!loc) {
      fail(f.path, new CairnError('CAIRN_E_INTEGRITY', `${f.path}: its data is not in the repository index`));
      continue;
    }
    const key = `${loc.pack}:${loc.segment.off}`;
    const g = groups.get(key);
    if (g) g.files.push(f);
    else groups.set(key, { loc, files: [f] });
  }
  const ordered = [...groups.values()].sort(
    (a, b) => cmp(a.loc.pack, b.loc.pack) || a.loc.segment.off - b.loc.segment.off,
  );
  for (const { loc, files: group } of ordered) {
    let segment: Buffer;
    try {
      segment = await repo.readSegment(loc.pack, loc.segment, false);
    } catch (err) {
      for (const f of group) fail(f.path, err);
      continue;
    }
    for (const f of group) {
      try {
        const id = f.entry.blobs![0]!;
        const blob = repo.blobFromSegment(id, repo.index.get(id), segment);
        writeEntry(out, f.path, f.entry, [blob]);
      } catch (err) {
        fail(f.path, err);
      }
      tick(f);
    }
  }
  for (const f of large) {
    try {
      const chunks: Buffer[] = [];
      for (const id of f.entry.blobs ?? []) chunks.push(await repo.loadBlob(id));
      writeEntry(out, f.path, f.entry, chunks);
    } catch (err) {
      fail(f.path, err);
    }
    tick(f);
  }
  for (const e of plan) {
    if (e.entry.type !== 'symlink') continue;
    try {
      out.symlink(e.path, e.entry.target ?? '');
    } catch (err) {
      fail(e.path, err);
    }
  }
  const dirs = plan.filter((e) => e.entry.type === 'dir').reverse();
  for (const d of dirs) out.finishDir(d.path, d.entry.mode, d.entry.mtime);
  return { ...base, failed };
}

function writeEntry(out: TargetDir, path: string, entry: TreeEntry, chunks: Buffer[]): void {
  out.writeFile(path, chunks, entry.sha256 ?? '', entry.mode, entry.mtime);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The literal folder each glob starts from ("prod/app/*.yaml" -> "prod/app"); none if any glob has no literal part. */
function literalBases(globs: readonly string[]): string[] | undefined {
  if (globs.length === 0) return undefined;
  const bases: string[] = [];
  for (const g of globs) {
    const parts = g.replace(/^\/+/, '').split('/');
    const literal: string[] = [];
    for (const part of parts) {
      if (/[*?[\]{}()!+@]/.test(part)) break;
      literal.push(part);
    }
    if (literal.length === 0) return undefined;
    bases.push(literal.join('/'));
  }
  return bases;
}
