import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { findSecrets, redactSecrets, type SecretsMode } from '../policy/index.js';
import {
  blobIdOfDigest,
  Chunker,
  type ChunkerParams,
  type CompressionParams,
  type SealedBlobs,
  SMALL_FILE_LIMIT,
  sealBlobs,
} from '../repo/index.js';
import { type ArenaPool, readInto, readWhole } from './file-reader.js';

/**
 * The per-file work of a snapshot — read, scan for secrets, hash, cut, name the blobs — run on
 * snapshot worker threads for large snapshots and inline for small ones.
 */
export interface HashJob {
  readonly index: number; // position in the item's entry list
  readonly path: string;
  readonly abs?: string;
  readonly content?: Uint8Array;
  readonly size: number;
}

export type HashOutcome =
  | {
      readonly index: number;
      readonly kind: 'ok';
      readonly sha256: string;
      readonly size: number;
      readonly blobs: string[];
    }
  | { readonly index: number; readonly kind: 'unreadable'; readonly reason: string }
  | { readonly index: number; readonly kind: 'refused'; readonly findings: string[] };

export interface HashSettings {
  readonly macKey: Uint8Array;
  readonly chunkerSeed: number;
  readonly chunker: ChunkerParams;
  readonly encryptionKey: Uint8Array;
  readonly compression: CompressionParams;
  readonly segmentSize: number;
}

export interface HashedBatch {
  readonly outcomes: HashOutcome[];
  /** Small files' blobs (views into `arena`), sealed only if the repository lacks them. */
  readonly store: Map<string, Uint8Array>;
  /** Chunks of large files, sealed at once so their raw bytes need not be held (kept only if lacking). */
  readonly presealed: Map<string, SealedBlobs>;
  readonly arena: Buffer;
}

// Files over this size are not configuration: listed as unreadable, never read into memory.
export const MAX_FILE_BYTES = 1024 * 1024 * 1024;
// Large files are read in windows of this size: memory per file stays flat whatever its size.
const WINDOW = 4 * 1024 * 1024;

export class FileHasher {
  private readonly chunker: Chunker;
  private readonly macKey: Buffer;
  private readonly key: Buffer;
  private readonly window: Buffer;

  constructor(private readonly settings: HashSettings) {
    this.chunker = new Chunker(settings.chunkerSeed, settings.chunker);
    this.macKey = Buffer.from(settings.macKey);
    this.key = Buffer.from(settings.encryptionKey);
    this.window = Buffer.allocUnsafeSlow(WINDOW + settings.chunker.max);
  }

  /** Everything the caller must give back or store: see HashedBatch. Give `arena` back once sealed. */
  hashBatch(jobs: readonly HashJob[], secrets: SecretsMode, arenas: ArenaPool): HashedBatch {
    const store = new Map<string, Uint8Array>();
    const presealed = new Map<string, SealedBlobs>();
    const small = (j: HashJob) => !j.content && j.size <= SMALL_FILE_LIMIT;
    const arena = arenas.take(jobs.reduce((n, j) => n + (small(j) ? j.size : 0), 0));
    let offset = 0;
    const outcomes = jobs.map((job): HashOutcome => {
      const unreadable = (reason: string): HashOutcome => ({ index: job.index, kind: 'unreadable', reason });
      if (job.size > MAX_FILE_BYTES) return unreadable(`larger than ${MAX_FILE_BYTES} bytes; not configuration`);
      try {
        if (job.content) {
          const data = Buffer.from(job.content.buffer, job.content.byteOffset, job.content.byteLength);
          return this.hashData(job, data, store, presealed, secrets);
        }
        if (small(job)) {
          const data = readInto(job.abs!, arena.subarray(offset, offset + job.size)) ?? readWhole(job.abs!);
          offset += job.size;
          return this.hashData(job, data, store, presealed, secrets);
        }
        // Secrets are looked for in the whole file; without that, a large file streams through a window.
        if (secrets === 'refuse' || secrets === 'redact') {
          return this.hashData(job, readWhole(job.abs!), store, presealed, secrets);
        }
        return this.hashStreaming(job, presealed);
      } catch (err) {
        return unreadable((err as { code?: string }).code ?? String(err));
      }
    });
    return { outcomes, store, presealed, arena };
  }

  private hashData(
    job: HashJob,
    input: Buffer,
    store: Map<string, Uint8Array>,
    presealed: Map<string, SealedBlobs>,
    secrets: SecretsMode,
  ): HashOutcome {
    let data = input;
    if (secrets === 'refuse' || secrets === 'redact') {
      const findings = findSecrets(data, job.path);
      if (findings.length > 0 && secrets === 'refuse') {
        const lines = findings.map((f) => `${job.path}:${f.line}:${f.column}: ${f.kind}`);
        return { index: job.index, kind: 'refused', findings: lines };
      }
      if (findings.length > 0) data = redactSecrets(data, findings);
    }
    if (data.length <= SMALL_FILE_LIMIT) {
      const digest = createHash('sha256').update(data).digest();
      const id = blobIdOfDigest(this.macKey, digest);
      store.set(id, data);
      return { index: job.index, kind: 'ok', sha256: digest.toString('hex'), size: data.length, blobs: [id] };
    }
    const blobs: string[] = [];
    for (const [off, len] of this.chunker.split(data))
      blobs.push(this.preseal(data.subarray(off, off + len), presealed));
    return {
      index: job.index,
      kind: 'ok',
      sha256: createHash('sha256').update(data).digest('hex'),
      size: data.length,
      blobs,
    };
  }

  /** Reads a large file window by window, cutting chunks only where a whole chunk fits or the file ends. */
  private hashStreaming(job: HashJob, presealed: Map<string, SealedBlobs>): HashOutcome {
    const whole = createHash('sha256');
    const blobs: string[] = [];
    const buf = this.window;
    const max = this.settings.chunker.max;
    const fd = openSync(job.abs!, 'r');
    let size = 0;
    try {
      let filled = 0;
      let eof = false;
      while (!eof || filled > 0) {
        while (!eof && filled < buf.length) {
          const n = readSync(fd, buf, filled, buf.length - filled, null);
          if (n === 0) eof = true;
          whole.update(buf.subarray(filled, filled + n));
          filled += n;
          size += n;
        }
        let off = 0;
        while (filled - off >= max || (eof && off < filled)) {
          const len = this.chunker.cut(buf.subarray(0, filled), off);
          blobs.push(this.preseal(buf.subarray(off, off + len), presealed));
          off += len;
        }
        buf.copy(buf, 0, off, filled);
        filled -= off;
      }
    } finally {
      closeSync(fd);
    }
    return { index: job.index, kind: 'ok', sha256: whole.digest('hex'), size, blobs };
  }

  private preseal(chunk: Buffer, presealed: Map<string, SealedBlobs>): string {
    const id = blobIdOfDigest(this.macKey, createHash('sha256').update(chunk).digest());
    if (!presealed.has(id)) {
      const [sealed] = sealBlobs([[id, chunk]], this.key, this.settings.compression, this.settings.segmentSize);
      presealed.set(id, sealed!);
    }
    return id;
  }
}
