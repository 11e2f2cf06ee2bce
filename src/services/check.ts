import { CairnError, isCairnError } from '../errors/index.js';
import { mapLimit, type PackRecord, packIdOfKey, packKey, type Repository, sha256Hex } from '../repo/index.js';
import { noProgress, type ProgressSink } from './progress.js';
import { flattenTree } from './tree-walk.js';

export interface CheckRequest {
  readonly readData?: boolean;
  /** Read this percentage of packs, chosen at random (restic's --read-data-subset). */
  readonly readDataSubsetPct?: number;
}

export interface CheckProblem {
  readonly code: string;
  readonly message: string;
  readonly object?: string;
  /** Files that depend on the damaged object, as `<snapshot id prefix>:<path>`. */
  readonly files?: readonly string[];
}

export interface CheckReport {
  readonly ok: boolean;
  readonly snapshots: number;
  readonly verifications: number;
  readonly indexes: number;
  readonly packs: number;
  readonly blobs: number;
  readonly packsRead: number;
  readonly bytesRead: number;
  readonly errors: readonly CheckProblem[];
  readonly warnings: readonly CheckProblem[];
}

/**
 * Verifies the repository's structure (every snapshot's trees load, every blob they name is in
 * the index, every indexed pack exists with its size) and, with read-data, every byte of the
 * packs (their SHA-256 names, each segment's authentication tag, each blob's keyed hash).
 */
export async function checkRepository(
  repo: Repository,
  request: CheckRequest,
  progress: ProgressSink = noProgress,
): Promise<CheckReport> {
  const errors: CheckProblem[] = [];
  const warnings: CheckProblem[] = [];
  const problem = (err: unknown, object?: string): CheckProblem => {
    if (!isCairnError(err)) throw err;
    return { code: err.code, message: err.message, ...(object ? { object } : {}) };
  };

  const stored = new Map((await repo.storage.list('packs/')).map((o) => [packIdOfKey(o.key), o.size]));
  const indexFiles = await repo.storage.list('index/');
  const packs = new Map<string, PackRecord>();
  for (const { key } of indexFiles) {
    try {
      for (const p of await repo.readIndexFile(key)) {
        packs.set(p.id, p);
        repo.index.addPack(p);
      }
    } catch (err) {
      errors.push(problem(err, key));
    }
  }
  for (const [id, p] of packs) {
    const size = stored.get(id);
    if (size === undefined)
      errors.push({
        code: 'CAIRN_E_INTEGRITY',
        message: `pack ${id} is in the index but missing`,
        object: packKey(id),
      });
    else if (size !== p.size) {
      errors.push({
        code: 'CAIRN_E_INTEGRITY',
        message: `pack ${id} is ${size} bytes, the index says ${p.size}: truncated or altered`,
        object: packKey(id),
      });
    }
  }
  for (const id of stored.keys()) {
    if (!packs.has(id))
      warnings.push({
        code: 'CAIRN_E_UNREFERENCED',
        message: `pack ${id} is in no index (left by an interrupted write; \`cairn prune\` removes it)`,
        object: packKey(id),
      });
  }

  const snapshotIds = await repo.listIds('snapshots');
  const trees = new Map<string, string>(); // snapshot id -> root tree
  for (const id of snapshotIds) {
    try {
      const s = await repo.loadSnapshot(id);
      trees.set(id, s.tree);
      for (const { path, entry } of await flattenTree(repo, s.tree)) {
        for (const b of entry.blobs ?? []) {
          if (!repo.index.has(b)) {
            errors.push({
              code: 'CAIRN_E_INTEGRITY',
              message: `snapshot ${id.slice(0, 12)}: ${path} needs blob ${b.slice(0, 12)}, which is in no index`,
              object: `snapshots/${id}`,
              files: [`${id.slice(0, 12)}:${path}`],
            });
          }
        }
      }
    } catch (err) {
      errors.push(problem(err, `snapshots/${id}`));
    }
  }
  const verificationIds = await repo.listIds('verifications');
  for (const id of verificationIds) {
    try {
      const v = await repo.loadVerification(id);
      if (!trees.has(v.snapshot))
        warnings.push({
          code: 'CAIRN_E_DANGLING',
          message: `verification ${id.slice(0, 12)} points at snapshot ${v.snapshot.slice(0, 12)}, which is gone`,
          object: `verifications/${id}`,
        });
    } catch (err) {
      errors.push(problem(err, `verifications/${id}`));
    }
  }

  let packsRead = 0;
  let bytesRead = 0;
  if (request.readData || request.readDataSubsetPct !== undefined) {
    let chosen = [...packs.values()].filter((p) => stored.has(p.id));
    if (request.readDataSubsetPct !== undefined && !request.readData) {
      const pct = request.readDataSubsetPct;
      if (!(pct > 0 && pct <= 100))
        throw new CairnError('CAIRN_E_USAGE', `--read-data-subset must be a percentage in (0, 100], got ${pct}`);
      chosen = shuffle(chosen).slice(0, Math.ceil((chosen.length * pct) / 100));
    }
    const total = chosen.reduce((n, p) => n + p.size, 0);
    const damagedBlobs = new Map<string, string>(); // blob -> pack
    await mapLimit(chosen, 2, async (pack) => {
      const bad = await readPack(repo, pack);
      packsRead++;
      bytesRead += pack.size;
      progress({ phase: 'check', files: packsRead, totalFiles: chosen.length, bytes: bytesRead, totalBytes: total });
      if (bad.length > 0) {
        for (const b of bad.blobs) damagedBlobs.set(b, pack.id);
        errors.push({ code: 'CAIRN_E_INTEGRITY', message: `pack ${pack.id}: ${bad.reason}`, object: packKey(pack.id) });
      }
    });
    if (damagedBlobs.size > 0) {
      const affected = await filesUsing(repo, trees, damagedBlobs);
      for (const e of errors) {
        const files = e.object ? affected.get(packIdOfKey(e.object)) : undefined;
        if (files) Object.assign(e, { files });
      }
    }
  }
  return {
    ok: errors.length === 0,
    snapshots: snapshotIds.length,
    verifications: verificationIds.length,
    indexes: indexFiles.length,
    packs: stored.size,
    blobs: repo.index.size,
    packsRead,
    bytesRead,
    errors,
    warnings,
  };
}

async function readPack(
  repo: Repository,
  pack: PackRecord,
): Promise<{ length: number; reason: string; blobs: string[] }> {
  let bytes: Buffer;
  try {
    bytes = await repo.storage.get(packKey(pack.id));
  } catch (err) {
    if (!isCairnError(err)) throw err;
    return { length: 1, reason: err.message, blobs: pack.segments.flatMap((s) => s.blobs.map((b) => b[0])) };
  }
  const reasons: string[] = [];
  if (sha256Hex(bytes) !== pack.id) reasons.push('content does not match its SHA-256 name');
  const bad: string[] = [];
  for (const seg of pack.segments) {
    try {
      // The pack is in memory already: decode its segments from it rather than read each again.
      const plain = repo.openSegment(pack.id, seg, bytes.subarray(seg.off, seg.off + seg.len));
      for (const [id, type, offset, length] of seg.blobs) {
        try {
          // This pack's copy: after an interrupted prune a blob may also be in another pack.
          repo.blobFromSegment(id, { pack: pack.id, segment: seg, offset, length, type }, plain);
        } catch {
          bad.push(id);
        }
      }
    } catch {
      for (const [id] of seg.blobs) bad.push(id);
    }
  }
  if (bad.length > 0) reasons.push(`${bad.length} blob(s) unreadable`);
  return { length: reasons.length, reason: reasons.join('; '), blobs: bad };
}

async function filesUsing(
  repo: Repository,
  trees: Map<string, string>,
  blobs: Map<string, string>,
): Promise<Map<string, string[]>> {
  const byPack = new Map<string, string[]>();
  for (const [snap, tree] of trees) {
    let entries: Awaited<ReturnType<typeof flattenTree>>;
    try {
      entries = await flattenTree(repo, tree);
    } catch {
      continue;
    }
    for (const { path, entry } of entries) {
      for (const b of entry.blobs ?? []) {
        const pack = blobs.get(b);
        if (!pack) continue;
        const list = byPack.get(pack) ?? [];
        list.push(`${snap.slice(0, 12)}:${path}`);
        byPack.set(pack, list);
        break;
      }
    }
  }
  return byPack;
}

function shuffle<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
