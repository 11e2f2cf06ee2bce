import { createHash } from 'node:crypto';
import { findSecrets, redactSecrets, type SecretsMode } from '../policy/index.js';
import { blobIdOfDigest, Chunker, type ChunkerParams, SMALL_FILE_LIMIT } from '../repo/index.js';
import { type ArenaPool, readInto, readWhole } from './file-reader.js';

/**
 * The per-file work of a snapshot — read, scan for secrets, hash, cut, name the blobs — as a pure
 * function, run on snapshot worker threads for large snapshots and inline for small ones.
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
}

// Files over this size are not configuration: listed as unreadable, never read into memory.
export const MAX_FILE_BYTES = 1024 * 1024 * 1024;

export class FileHasher {
  private readonly chunker: Chunker;
  private readonly macKey: Buffer;

  constructor(settings: HashSettings) {
    this.chunker = new Chunker(settings.chunkerSeed, settings.chunker);
    this.macKey = Buffer.from(settings.macKey);
  }

  /**
   * Hashes a batch of files read into one arena (taken from `arenas`); their blobs' bytes go into
   * `store` (id -> bytes, views into the arena). Give `arena` back once the blobs are sealed.
   */
  hashBatch(jobs: readonly HashJob[], secrets: SecretsMode, arenas: ArenaPool): HashedBatch {
    const store = new Map<string, Uint8Array>();
    const total = jobs.reduce((n, j) => n + (j.content || j.size > MAX_FILE_BYTES ? 0 : j.size), 0);
    const arena = arenas.take(total);
    let offset = 0;
    const outcomes = jobs.map((job) => {
      let data: Buffer;
      if (job.content) data = Buffer.from(job.content.buffer, job.content.byteOffset, job.content.byteLength);
      else if (job.size > MAX_FILE_BYTES) {
        return {
          index: job.index,
          kind: 'unreadable' as const,
          reason: `larger than ${MAX_FILE_BYTES} bytes; not configuration`,
        };
      } else {
        try {
          data = readInto(job.abs!, arena.subarray(offset, offset + job.size)) ?? readWhole(job.abs!);
        } catch (err) {
          return {
            index: job.index,
            kind: 'unreadable' as const,
            reason: (err as { code?: string }).code ?? String(err),
          };
        }
        offset += job.size;
      }
      return this.hashData(job, data, store, secrets);
    });
    return { outcomes, store, arena };
  }

  private hashData(job: HashJob, input: Buffer, store: Map<string, Uint8Array>, secrets: SecretsMode): HashOutcome {
    let data = input;
    const mode = secrets;
    if (mode === 'refuse' || mode === 'redact') {
      const findings = findSecrets(data, job.path);
      if (findings.length > 0 && mode === 'refuse') {
        return {
          index: job.index,
          kind: 'refused',
          findings: findings.map((f) => `${job.path}:${f.line}:${f.column}: ${f.kind}`),
        };
      }
      if (findings.length > 0) data = redactSecrets(data, findings);
    }
    if (data.length <= SMALL_FILE_LIMIT) {
      const digest = createHash('sha256').update(data).digest();
      const id = blobIdOfDigest(this.macKey, digest);
      store.set(id, data);
      return { index: job.index, kind: 'ok', sha256: digest.toString('hex'), size: data.length, blobs: [id] };
    }
    const whole = createHash('sha256').update(data).digest('hex');
    const blobs: string[] = [];
    for (const [off, len] of this.chunker.split(data)) {
      const chunk = data.subarray(off, off + len);
      const id = blobIdOfDigest(this.macKey, createHash('sha256').update(chunk).digest());
      store.set(id, chunk);
      blobs.push(id);
    }
    return { index: job.index, kind: 'ok', sha256: whole, size: data.length, blobs };
  }
}

export interface HashedBatch {
  readonly outcomes: HashOutcome[];
  readonly store: Map<string, Uint8Array>;
  readonly arena: Buffer;
}
