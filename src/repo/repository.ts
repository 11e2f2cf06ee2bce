import { CairnError, isCairnError } from '../errors/index.js';
import type { Storage } from '../storage/index.js';
import type { SealedBlobs } from './blob-sealing.js';
import { Chunker } from './chunker.js';
import { compress, decompress } from './compress.js';
import { assertRepository, newConfig, type RepoConfig, readConfig, writeConfig } from './config.js';
import { blobIdOfDigest, type MasterKey, newMasterKey, open, randomId, seal, sha256, sha256Hex } from './crypto.js';
import { addKey, type Secret, unlock } from './keys.js';
import { acquireLock, type RepoLock } from './lock.js';
import { type BlobLocation, MasterIndex } from './master-index.js';
import { type BlobType, INDEX_AAD, type PackRecord, packKey, SEGMENT_AAD, type SegmentRecord } from './pack-format.js';
import { type LockMode, lockOptions, PackWriter } from './pack-writer.js';
import { SNAPSHOT_AAD, type SnapshotObject, VERIFICATION_AAD, type VerificationObject } from './records.js';
import { SealPool } from './seal-pool.js';
import { parseTree, serializeTree, type Tree } from './tree.js';

const SEGMENT_CACHE_BYTES = 64 * 1024 * 1024;
/** readSegments reads across a gap this small rather than sending one more request. */
const READ_GAP_BYTES = 256 * 1024;
/** The most one ranged read of readSegments asks for, so its buffer stays bounded. */
const READ_MAX_BYTES = 16 * 1024 * 1024;
/** The segment plaintext one loadTrees read holds at a time (trees are small; a level of them may not be). */
const TREE_BATCH_BYTES = 32 * 1024 * 1024;
/** The tree segments loadTrees reads ahead, beyond those asked for; well under the segment cache's size. */
const TREE_PREFETCH_BYTES = 16 * 1024 * 1024;

/**
 * The repository engine: content-addressed, deduplicated, compressed, encrypted. It knows nothing
 * of policy. Write order (docs/FORMAT.md): packs, then the index naming them, then the snapshot.
 */
export class Repository {
  readonly index = new MasterIndex();
  private indexLoaded = false;
  private writer: PackWriter | undefined;
  private pool: SealPool | undefined;
  private readonly segmentCache = new Map<string, Buffer>();
  private segmentCacheBytes = 0;
  readonly chunker: Chunker;
  /** Retention given to every pack written from now on (the tier's retain-until and lock mode). */
  retainUntil: Date | undefined;
  lockMode: LockMode | undefined;

  private constructor(
    readonly storage: Storage,
    readonly master: MasterKey,
    readonly config: RepoConfig,
    readonly keyId: string,
  ) {
    this.chunker = new Chunker(master.chunkerSeed, config.chunker);
  }

  static async init(storage: Storage, secret: Secret): Promise<Repository> {
    if (await storage.stat('config').catch(() => undefined)) {
      throw new CairnError('CAIRN_E_REPO_EXISTS', `${storage.location} is already a cairn repository`);
    }
    const master = newMasterKey();
    const config = newConfig(randomId());
    // Keys before config: `config` marks a repository, so a crash in between leaves none.
    const key = await addKey(storage, master, secret, undefined, config.id);
    await writeConfig(storage, master, config);
    return new Repository(storage, master, config, key.id);
  }

  static async open(storage: Storage, secret: Secret): Promise<Repository> {
    await assertRepository(storage);
    const { master, keyId, repository } = await unlock(storage, secret);
    const config = await readConfig(storage, master);
    if (repository !== undefined && repository !== config.id) {
      throw new CairnError(
        'CAIRN_E_INTEGRITY',
        `key ${keyId} names repository ${repository.slice(0, 12)}, not this one`,
      );
    }
    return new Repository(storage, master, config, keyId);
  }

  get id(): string {
    return this.config.id;
  }

  lock(exclusive: boolean, operation: string): Promise<RepoLock> {
    return acquireLock(this.storage, exclusive, operation);
  }

  // ---- index ----------------------------------------------------------------------------------

  async loadIndex(): Promise<void> {
    if (this.indexLoaded) return;
    const files = await this.storage.list('index/');
    const loaded = await mapLimit(files, 8, async ({ key }) => ({ key, packs: await this.readIndexFile(key) }));
    for (const { key, packs } of loaded) {
      this.index.files.add(key);
      for (const pack of packs) this.index.addPack(pack);
    }
    this.indexLoaded = true;
  }

  async readIndexFile(key: string): Promise<PackRecord[]> {
    const bytes = await this.storage.get(key);
    const plain = open(this.master.encryption, bytes, INDEX_AAD, key);
    // Authentic bytes under another name (a copied or renamed file) are caught by the id, as for snapshots.
    if (sha256Hex(bytes) !== key.slice(key.lastIndexOf('/') + 1))
      throw new CairnError('CAIRN_E_INTEGRITY', `${key} does not match its id`, { object: key });
    let packs: unknown;
    try {
      packs = (JSON.parse(decompress(plain).toString('utf8')) as { packs?: unknown } | null)?.packs;
    } catch {
      packs = undefined;
    }
    if (!Array.isArray(packs))
      throw new CairnError('CAIRN_E_INTEGRITY', `${key} is not a valid index file`, { object: key });
    return packs as PackRecord[];
  }

  /** Writes an index file for these packs; returns its key. */
  async writeIndex(packs: readonly PackRecord[]): Promise<string> {
    const body = compress(Buffer.from(JSON.stringify({ version: 1, packs })), this.config.compression);
    const bytes = seal(this.master.encryption, body, INDEX_AAD);
    const key = `index/${sha256Hex(bytes)}`;
    // No WORM lock on index files: they are derived from the packs' headers and prune replaces them.
    await this.storage.put(key, bytes, { contentAddressed: true });
    this.index.files.add(key);
    return key;
  }

  // ---- blobs ----------------------------------------------------------------------------------

  blobId(data: Uint8Array): { id: string; digest: Buffer } {
    const digest = sha256(data);
    return { id: blobIdOfDigest(this.master.mac, digest), digest };
  }

  hasBlob(id: string): boolean {
    return this.index.has(id) || (this.writer?.has(id) ?? false);
  }

  /** Stores a blob unless the repository has it; returns its id and whether it was new. */
  async saveBlob(type: BlobType, data: Buffer, knownId?: string): Promise<{ id: string; added: boolean }> {
    const id = knownId ?? this.blobId(data).id;
    if (this.hasBlob(id)) return { id, added: false };
    await this.getWriter().add(id, type, data);
    return { id, added: true };
  }

  /** Claims blobs that a snapshot worker is sealing: they count as present from now on. */
  reserveBlobs(ids: readonly string[]): void {
    this.getWriter().reserve(ids);
  }

  /** Appends a segment sealed by a snapshot worker. */
  async appendSealed(seg: SealedBlobs): Promise<void> {
    await this.getWriter().appendSealed(seg);
  }

  /** Stores a blob again even though the index knows it (prune moving live blobs out of a sparse pack). */
  async rewriteBlob(type: BlobType, data: Buffer, id: string): Promise<void> {
    if (this.writer?.has(id)) return;
    await this.getWriter().add(id, type, data);
  }

  private getWriter(): PackWriter {
    if (!this.writer) {
      this.pool ??= new SealPool(this.master.encryption, this.config.compression);
      this.writer = new PackWriter({
        storage: this.storage,
        encryptionKey: this.master.encryption,
        segmentSize: this.config.segmentSize,
        packSize: this.config.packSize,
        sealer: this.pool.seal,
        retainUntil: this.retainUntil,
        mode: this.lockMode,
        parallel: this.pool.parallelism,
      });
    }
    return this.writer;
  }

  /** Packs, then one index file naming them: after this, every saved blob is durable and findable. */
  async flush(): Promise<{ packs: PackRecord[]; storedBytes: number }> {
    if (!this.writer) return { packs: [], storedBytes: 0 };
    const writer = this.writer;
    const packs = await writer.flush();
    this.writer = undefined;
    if (packs.length > 0) {
      await this.writeIndex(packs);
      for (const p of packs) this.index.addPack(p);
    }
    return { packs, storedBytes: writer.storedBytes };
  }

  /** Drops blobs queued but not yet flushed (after a failed item): they were never indexed. */
  discardPending(): void {
    this.writer = undefined;
  }

  async loadBlob(id: string): Promise<Buffer> {
    const loc = this.index.get(id);
    return this.blobFromSegment(id, loc, await this.readSegment(loc.pack, loc.segment));
  }

  blobFromSegment(id: string, loc: BlobLocation, segment: Buffer): Buffer {
    const data = segment.subarray(loc.offset, loc.offset + loc.length);
    if (data.length !== loc.length || this.blobId(data).id !== id) {
      throw new CairnError('CAIRN_E_INTEGRITY', `blob ${id.slice(0, 12)} in pack ${loc.pack.slice(0, 12)} is damaged`, {
        blob: id,
        pack: loc.pack,
      });
    }
    return data;
  }

  /** A segment's plaintext; recently read ones are cached (trees and small files share segments). */
  async readSegment(pack: string, seg: SegmentRecord, useCache = true): Promise<Buffer> {
    const cacheKey = `${pack}:${seg.off}`;
    const cached = useCache ? this.segmentCache.get(cacheKey) : undefined;
    if (cached) return cached;
    let sealed: Buffer;
    try {
      sealed = await this.storage.getRange(packKey(pack), seg.off, seg.len);
    } catch (err) {
      throw packReadError(pack, err);
    }
    const plain = this.openSegment(pack, seg, sealed);
    if (useCache) this.cacheSegment(cacheKey, plain);
    return plain;
  }

  private cacheSegment(cacheKey: string, plain: Buffer): void {
    if (plain.length > SEGMENT_CACHE_BYTES / 8 || this.segmentCache.has(cacheKey)) return;
    this.segmentCache.set(cacheKey, plain);
    this.segmentCacheBytes += plain.length;
    for (const [k, v] of this.segmentCache) {
      if (this.segmentCacheBytes <= SEGMENT_CACHE_BYTES) break;
      this.segmentCache.delete(k);
      this.segmentCacheBytes -= v.length;
    }
  }

  /**
   * The plaintexts of several segments of one pack, in the order given, with as few storage reads as
   * possible: segments less than READ_GAP_BYTES apart share one ranged read of at most READ_MAX_BYTES.
   * Each segment is still authenticated on its own, so a damaged one is an error in its own place
   * and the others are returned. Not cached: a restore reads each segment once.
   */
  async readSegments(pack: string, segs: readonly SegmentRecord[]): Promise<Array<Buffer | CairnError>> {
    const out = new Array<Buffer | CairnError>(segs.length);
    for (const run of readRuns(segs)) {
      const first = segs[run[0]!]!;
      const last = segs[run.at(-1)!]!;
      let sealed: Buffer;
      try {
        sealed = await this.storage.getRange(packKey(pack), first.off, last.off + last.len - first.off);
      } catch (err) {
        // A range past a cut-short end: read its segments one by one, so the intact ones before the cut survive.
        if (run.length > 1 && isCairnError(err, 'CAIRN_E_INTEGRITY')) {
          for (const i of run) out[i] = await this.readSegment(pack, segs[i]!, false).catch(cairnErrorOrThrow);
          continue;
        }
        const failure = packReadError(pack, err);
        for (const i of run) out[i] = failure;
        continue;
      }
      for (const i of run) {
        const seg = segs[i]!;
        const at = seg.off - first.off;
        try {
          out[i] = this.openSegment(pack, seg, sealed.subarray(at, at + seg.len));
        } catch (err) {
          out[i] = cairnErrorOrThrow(err);
        }
      }
    }
    return out;
  }

  /** A segment's plaintext from its sealed bytes (already read, e.g. with the whole pack by check). */
  openSegment(pack: string, seg: SegmentRecord, sealed: Uint8Array): Buffer {
    const what = `pack ${pack.slice(0, 12)} segment at ${seg.off}`;
    let plain: Buffer;
    try {
      const body = open(this.master.encryption, sealed, SEGMENT_AAD, what);
      plain = seg.z ? decompress(body) : body;
    } catch (err) {
      if (isCairnError(err)) throw new CairnError(err.code, err.message, { ...err.details, pack });
      throw new CairnError('CAIRN_E_INTEGRITY', `${what} does not decompress`, { pack });
    }
    if (plain.length !== seg.raw) throw new CairnError('CAIRN_E_INTEGRITY', `${what} has the wrong length`, { pack });
    return plain;
  }

  // ---- trees ----------------------------------------------------------------------------------

  async saveTree(tree: Tree): Promise<string> {
    return (await this.saveBlob('tree', serializeTree(tree))).id;
  }

  async loadTree(id: string): Promise<Tree> {
    return parseTree(await this.loadBlob(id), id);
  }

  /**
   * Many trees with few requests: the segments holding them that are not cached are read with
   * readSegments (one call per pack, packs in parallel), TREE_BATCH_BYTES of plaintext at a time,
   * and cached like readSegment's, with the pack's other tree segments read ahead (TREE_PREFETCH_BYTES
   * at most). Each tree is authenticated and checked against its id as loadTree
   * does; if any fails, the error of the first one in `ids` order is thrown.
   */
  async loadTrees(ids: Iterable<string>): Promise<Map<string, Tree>> {
    const trees = new Map<string, Tree>();
    const failed = new Map<string, unknown>();
    const bySegment = new Map<string, { loc: BlobLocation; ids: string[] }>();
    const order = [...new Set(ids)];
    for (const id of order) {
      let loc: BlobLocation;
      try {
        loc = this.index.get(id);
      } catch (err) {
        failed.set(id, err);
        continue;
      }
      const key = `${loc.pack}:${loc.segment.off}`;
      const group = bySegment.get(key) ?? { loc, ids: [] };
      group.ids.push(id);
      bySegment.set(key, group);
    }
    const parse = (key: string, plain: Buffer | CairnError) => {
      for (const id of bySegment.get(key)!.ids) {
        try {
          if (!Buffer.isBuffer(plain)) throw plain;
          trees.set(id, parseTree(this.blobFromSegment(id, this.index.get(id), plain), id));
        } catch (err) {
          failed.set(id, err);
        }
      }
    };
    const toRead: Array<{ pack: string; segment: SegmentRecord }> = [];
    for (const [key, { loc }] of bySegment) {
      const cached = this.segmentCache.get(key);
      if (cached) parse(key, cached);
      else toRead.push(loc);
    }
    // A snapshot's trees are written together, after its data: the other tree segments of a pack
    // being read are mostly the next levels of this walk. Reading them now, in the same ranged
    // reads, saves one request per level and pack; they wait in the cache (bounded, as a batch is).
    let extra = 0;
    for (const pack of new Set(toRead.map((l) => l.pack))) {
      for (const segment of this.index.packs.get(pack)?.segments ?? []) {
        const key = `${pack}:${segment.off}`;
        if (segment.blobs[0]?.[1] !== 'tree' || bySegment.has(key) || this.segmentCache.has(key)) continue;
        if (extra + segment.raw > TREE_PREFETCH_BYTES) break;
        extra += segment.raw;
        toRead.push({ pack, segment });
      }
    }
    for (const batch of treeBatches(toRead)) {
      await mapLimit([...batch], 4, async ([pack, segs]) => {
        const got = await this.readSegments(pack, segs);
        for (const [i, seg] of segs.entries()) {
          const key = `${pack}:${seg.off}`;
          const plain = got[i]!;
          if (Buffer.isBuffer(plain)) this.cacheSegment(key, plain);
          // A prefetched segment that failed is not this call's error: a later load reads it again.
          if (bySegment.has(key)) parse(key, plain);
        }
      });
    }
    for (const id of order) if (failed.has(id)) throw failed.get(id);
    return trees;
  }

  // ---- snapshots and verifications ------------------------------------------------------------

  /** Stored under its retainUntil with `mode` (the tier's lock mode; governance when not given). */
  async saveSnapshot(snapshot: SnapshotObject, mode?: LockMode): Promise<string> {
    return this.saveRecord('snapshots', snapshot, SNAPSHOT_AAD, snapshot.retainUntil, mode);
  }

  async saveVerification(
    verification: VerificationObject,
    retainUntil: string | null,
    mode?: LockMode,
  ): Promise<string> {
    return this.saveRecord('verifications', verification, VERIFICATION_AAD, retainUntil, mode);
  }

  private async saveRecord(
    prefix: string,
    value: unknown,
    aad: string,
    retainUntil: string | null,
    mode: LockMode | undefined,
  ): Promise<string> {
    const bytes = seal(this.master.encryption, Buffer.from(JSON.stringify(value)), aad);
    const id = sha256Hex(bytes);
    await this.storage.put(`${prefix}/${id}`, bytes, {
      ...lockOptions(retainUntil ? new Date(retainUntil) : undefined, mode),
      contentAddressed: true,
    });
    return id;
  }

  async loadSnapshot(id: string): Promise<SnapshotObject> {
    return this.loadRecord<SnapshotObject>('snapshots', id, SNAPSHOT_AAD);
  }

  async loadVerification(id: string): Promise<VerificationObject> {
    return this.loadRecord<VerificationObject>('verifications', id, VERIFICATION_AAD);
  }

  private async loadRecord<T>(prefix: string, id: string, aad: string): Promise<T> {
    const key = `${prefix}/${id}`;
    const bytes = await this.storage.get(key);
    if (sha256Hex(bytes) !== id)
      throw new CairnError('CAIRN_E_INTEGRITY', `${key} does not match its id`, { object: key });
    const plain = open(this.master.encryption, bytes, aad, key);
    try {
      return JSON.parse(plain.toString('utf8')) as T;
    } catch {
      throw new CairnError('CAIRN_E_INTEGRITY', `${key} is not a valid record`, { object: key });
    }
  }

  async listIds(prefix: 'snapshots' | 'verifications'): Promise<string[]> {
    return (await this.storage.list(`${prefix}/`)).map((o) => o.key.slice(prefix.length + 1));
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }
}

/** Tree segments in pack order, cut into batches of at most TREE_BATCH_BYTES of plaintext, grouped by pack. */
function treeBatches(
  locs: ReadonlyArray<{ pack: string; segment: SegmentRecord }>,
): Array<Map<string, SegmentRecord[]>> {
  const sorted = [...locs].sort((a, b) => (a.pack < b.pack ? -1 : a.pack > b.pack ? 1 : a.segment.off - b.segment.off));
  const batches: Array<Map<string, SegmentRecord[]>> = [];
  let batch = new Map<string, SegmentRecord[]>();
  let bytes = 0;
  for (const { pack, segment } of sorted) {
    if (batch.size > 0 && bytes + segment.raw > TREE_BATCH_BYTES) {
      batches.push(batch);
      batch = new Map();
      bytes = 0;
    }
    const segs = batch.get(pack) ?? [];
    segs.push(segment);
    batch.set(pack, segs);
    bytes += segment.raw;
  }
  if (batch.size > 0) batches.push(batch);
  return batches;
}

/** Indexes of segs grouped into ranged reads: sorted by offset, split at a wide gap or at READ_MAX_BYTES. */
function readRuns(segs: readonly SegmentRecord[]): number[][] {
  const order = segs.map((_, i) => i).sort((a, b) => segs[a]!.off - segs[b]!.off);
  const runs: number[][] = [];
  let run: number[] = [];
  let start = 0;
  let end = 0;
  for (const i of order) {
    const seg = segs[i]!;
    const fits = run.length > 0 && seg.off - end <= READ_GAP_BYTES && seg.off + seg.len - start <= READ_MAX_BYTES;
    if (!fits) {
      if (run.length > 0) runs.push(run);
      run = [];
      start = seg.off;
      end = seg.off;
    }
    run.push(i);
    end = Math.max(end, seg.off + seg.len);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** What a failed read of a pack means for the repository: a missing or cut-short pack is damage. */
function packReadError(pack: string, err: unknown): CairnError {
  if (isCairnError(err, 'CAIRN_E_NOT_FOUND')) {
    return new CairnError('CAIRN_E_INTEGRITY', `pack ${pack.slice(0, 12)} is missing from the repository`, { pack });
  }
  if (isCairnError(err, 'CAIRN_E_INTEGRITY')) {
    return new CairnError('CAIRN_E_INTEGRITY', `pack ${pack.slice(0, 12)} is truncated`, { pack });
  }
  return cairnErrorOrThrow(err);
}

function cairnErrorOrThrow(err: unknown): CairnError {
  if (err instanceof CairnError) return err;
  throw err;
}

export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const run = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}
