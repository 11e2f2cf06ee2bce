import { availableParallelism } from 'node:os';
import { CairnError } from '../errors/index.js';
import type { SecretsMode } from '../policy/index.js';
import { type Repository, type SealedBlobs, ThreadPool } from '../repo/index.js';
import { FileHasher, type HashJob, type HashOutcome, type HashSettings } from './file-hashing.js';
import { ArenaPool } from './file-reader.js';
import { sealNeeded } from './seal-needed.js';

// Below this much to read, threads cost more to start than they save.
const INLINE_BYTES = 8 * 1024 * 1024;
// A batch: similar small files together (they compress together), or one large file.
const BATCH_BYTES = 2 * 1024 * 1024;
const BATCH_FILES = 512;
const IN_FLIGHT_PER_WORKER = 3;
const BYTES_IN_FLIGHT = 32 * 1024 * 1024;

/**
 * Reads, hashes and seals the files a snapshot must read, on one worker thread per core (inline
 * for small snapshots). The main thread keeps what needs one place: deciding which blobs the
 * repository lacks, and assembling sealed segments into packs.
 */
export class FilePipeline {
  private pool: ThreadPool | undefined;
  private nextBatch = 0;
  private readonly inline: FileHasher;
  private readonly arenas = new ArenaPool(256 * 1024);

  constructor(
    private readonly repo: Repository,
    private readonly threads = Math.max(1, availableParallelism()),
  ) {
    this.inline = new FileHasher(this.settings());
  }

  private settings(): HashSettings {
    const { master, config } = this.repo;
    return {
      macKey: new Uint8Array(master.mac),
      chunkerSeed: master.chunkerSeed,
      chunker: config.chunker,
      encryptionKey: new Uint8Array(master.encryption),
      compression: config.compression,
      segmentSize: config.segmentSize,
    };
  }

  /** Processes jobs in order of the array given, calling back per file as outcomes arrive. */
  async run(jobs: readonly HashJob[], secrets: SecretsMode, done: (o: HashOutcome) => void): Promise<void> {
    const total = jobs.reduce((n, j) => n + j.size, 0);
    const batches = toBatches(jobs);
    if (total < INLINE_BYTES || this.threads < 2) {
      for (const batch of batches) {
        const hashed = this.inline.hashBatch(batch, secrets, this.arenas);
        const needed = this.claim([...hashed.store.keys(), ...hashed.presealed.keys()]);
        const sealed = sealNeeded(hashed, needed, this.settings());
        this.arenas.give(hashed.arena);
        for (const seg of sealed) await this.repo.appendSealed(seg);
        for (const o of hashed.outcomes) done(o);
      }
      return;
    }
    this.pool ??= new ThreadPool('snapshot-worker', import.meta.url, this.settings(), this.threads);
    const pool = this.pool;
    const limit = pool.size * IN_FLIGHT_PER_WORKER;
    const inFlight = new Set<Promise<void>>();
    let n = 0;
    let bytesInFlight = 0;
    try {
      for (const batch of batches) {
        // Bounded by count and by bytes: a few 50 MB state files at once would multiply peak memory.
        const size = batch.reduce((sum, j) => sum + j.size, 0);
        while (inFlight.size >= limit || (inFlight.size > 0 && bytesInFlight + size > BYTES_IN_FLIGHT)) {
          await Promise.race(inFlight);
        }
        bytesInFlight += size;
        const p = this.runBatch(pool, n++, batch, secrets, done).finally(() => {
          inFlight.delete(p);
          bytesInFlight -= size;
        });
        inFlight.add(p);
      }
      await Promise.all(inFlight);
    } catch (err) {
      // Batches still running would go on claiming blobs and appending segments after the caller has
      // discarded the pending writes (a later run would then take the claimed blobs as stored):
      // let them finish into the writes being discarded before reporting the failure.
      await Promise.allSettled(inFlight);
      throw err;
    }
  }

  private async runBatch(
    pool: ThreadPool,
    thread: number,
    jobs: HashJob[],
    secrets: SecretsMode,
    done: (o: HashOutcome) => void,
  ): Promise<void> {
    const batch = this.nextBatch++;
    const ask = async <T>(body: unknown): Promise<T> => {
      try {
        return await pool.call<T>(thread, body);
      } catch (err) {
        throw new CairnError(
          'CAIRN_E_SOURCE',
          `reading files failed: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    };
    const hashed = await ask<{ outcomes: HashOutcome[]; ids: string[] }>({ op: 'hash', batch, jobs, secrets });
    const needed = this.claim(hashed.ids);
    const stored = await ask<{ segments: Array<Omit<SealedBlobs, 'sealed'> & { sealed: Uint8Array }> }>({
      op: 'store',
      batch,
      ids: needed,
    });
    for (const s of stored.segments) {
      await this.repo.appendSealed({
        ...s,
        sealed: Buffer.from(s.sealed.buffer, s.sealed.byteOffset, s.sealed.byteLength),
      });
    }
    for (const o of hashed.outcomes) done(o);
  }

  /** The ids the repository lacks, claimed at once so that no other batch stores them too. */
  private claim(ids: readonly string[]): string[] {
    const needed = ids.filter((id) => !this.repo.hasBlob(id));
    this.repo.reserveBlobs(needed);
    return needed;
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }
}

function toBatches(jobs: readonly HashJob[]): HashJob[][] {
  const out: HashJob[][] = [];
  let cur: HashJob[] = [];
  let bytes = 0;
  for (const j of jobs) {
    if (cur.length > 0 && (bytes + j.size > BATCH_BYTES || cur.length >= BATCH_FILES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(j);
    bytes += j.size;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
