import type { SnapshotRecord } from '../catalog/index.js';
import { CairnError, isCairnError } from '../errors/index.js';
import type { BlobLocation, Repository, TreeEntry } from '../repo/index.js';
import { noProgress, type ProgressSink } from './progress.js';
import { planRestore } from './restore-plan.js';
import { batchUnits, type ReadUnit, readBatch, type SegmentsRead, segmentKey } from './restore-reads.js';
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

  // Small files are one blob each and share segments: a segment is read once for all its files.
  // Everything is read in pack order, in batches of a few large ranged reads (restore-reads.ts).
  const groups = new Map<string, ReadUnit<RestoreUnit>>();
  const units: ReadUnit<RestoreUnit>[] = [];
  for (const f of files) {
    const blobs = f.entry.blobs ?? [];
    if (blobs.length !== 1) {
      // A missing blob has no location; repo.index.get names it when the file is written.
      const locs = blobs.map((id) => repo.index.find(id)).filter((l) => l !== undefined);
      units.push({ item: { files: [f], whole: true }, locs });
      continue;
    }
    const loc = repo.index.find(blobs[0]!);
    if (!loc) {
      fail(f.path, new CairnError('CAIRN_E_INTEGRITY', `${f.path}: its data is not in the repository index`));
      continue;
    }
    const key = segmentKey(loc.pack, loc.segment);
    const g = groups.get(key);
    if (g) g.item.files.push(f);
    else groups.set(key, { item: { files: [f], whole: false }, locs: [loc] });
  }
  units.push(...groups.values());

  const writeUnit = ({ item, locs }: ReadUnit<RestoreUnit>, got: SegmentsRead) => {
    if (item.whole) {
      const f = item.files[0]!;
      try {
        const chunks: Buffer[] = [];
        for (const id of f.entry.blobs ?? []) {
          const loc = repo.index.get(id);
          chunks.push(repo.blobFromSegment(id, loc, plaintext(got, loc)));
        }
        writeEntry(out, f.path, f.entry, chunks);
      } catch (err) {
        fail(f.path, err);
      }
      tick(f);
      return;
    }
    let segment: Buffer;
    try {
      segment = plaintext(got, locs[0]!);
    } catch (err) {
      for (const f of item.files) fail(f.path, err);
      return;
    }
    for (const f of item.files) {
      try {
        const id = f.entry.blobs![0]!;
        writeEntry(out, f.path, f.entry, [repo.blobFromSegment(id, repo.index.get(id), segment)]);
      } catch (err) {
        fail(f.path, err);
      }
      tick(f);
    }
  };

  // The next batch is read while this one is written.
  const batches = batchUnits(units);
  let next = batches.length > 0 ? readBatch(repo, batches[0]!) : undefined;
  for (let i = 0; i < batches.length; i++) {
    const got = await next!;
    next = i + 1 < batches.length ? readBatch(repo, batches[i + 1]!) : undefined;
    // Its failure is seen when awaited; without this, a throw below would leave it unhandled.
    next?.catch(() => undefined);
    for (const unit of batches[i]!) writeUnit(unit, got);
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

interface RestoreUnit {
  readonly files: FlatEntry[];
  /** One file of several blobs (or none), written as a whole; otherwise the small files of one segment. */
  readonly whole: boolean;
}

/** A segment's plaintext from a batch read, or the reason it could not be read. */
function plaintext(got: SegmentsRead, loc: BlobLocation): Buffer {
  const p = got.get(segmentKey(loc.pack, loc.segment));
  if (p === undefined) throw new Error(`restore: segment ${segmentKey(loc.pack, loc.segment)} was not read`);
  if (!Buffer.isBuffer(p)) throw p;
  return p;
}

function writeEntry(out: TargetDir, path: string, entry: TreeEntry, chunks: Buffer[]): void {
  out.writeFile(path, chunks, entry.sha256 ?? '', entry.mode, entry.mtime);
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
