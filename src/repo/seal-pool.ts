import { availableParallelism } from 'node:os';
import type { CompressionParams } from './compress.js';
import { type SealedSegment, sealSegment } from './segment-sealer.js';
import { ThreadPool, transferable } from './thread-pool.js';

// Below this much data a thread costs more to start (and to keep: a V8 isolate each) than it saves;
// snapshot data goes through the snapshot workers, so this pool sees trees and prune's repacking.
const INLINE_BYTES = 64 * 1024 * 1024;

/**
 * Seals segments inline at first, then on worker threads once a snapshot proves large enough to
 * pay for them: one thread per core, the main thread keeps reading and hashing files.
 */
export class SealPool {
  private pool: ThreadPool | undefined;
  private nextCall = 0;
  private seen = 0;

  constructor(
    private readonly key: Buffer,
    private readonly params: CompressionParams,
    private readonly threads = Math.max(1, availableParallelism()),
  ) {}

  readonly seal = async (raw: Buffer): Promise<SealedSegment> => {
    this.seen += raw.length;
    if (this.seen < INLINE_BYTES || this.threads < 2) return sealSegment(this.key, raw, this.params);
    this.pool ??= new ThreadPool(
      'seal-worker',
      import.meta.url,
      { key: new Uint8Array(this.key), params: this.params },
      this.threads,
    );
    const own = transferable(raw);
    const r = await this.pool.call<{ sealed: Uint8Array; z: 0 | 1 }>(this.nextCall++, own, [own.buffer as ArrayBuffer]);
    return { sealed: Buffer.from(r.sealed.buffer, r.sealed.byteOffset, r.sealed.byteLength), z: r.z };
  };

  get parallelism(): number {
    return this.threads;
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }
}
