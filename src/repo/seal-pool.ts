import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CompressionParams } from './compress.js';
import { type SealedSegment, sealSegment } from './segment-sealer.js';

// Below this much data a thread costs more to start (and to keep: a V8 isolate each) than it saves;
// snapshot data goes through the snapshot workers, so this pool sees trees and prune's repacking.
const INLINE_BYTES = 64 * 1024 * 1024;

/**
 * Seals segments inline at first, then on worker threads once a snapshot proves large enough to
 * pay for them: one thread per core, the main thread keeps reading and hashing files.
 */
export class SealPool {
  private workers: Worker[] = [];
  private readonly waiting = new Map<number, { resolve(s: SealedSegment): void; reject(e: unknown): void }>();
  private nextId = 0;
  private seen = 0;

  constructor(
    private readonly key: Buffer,
    private readonly params: CompressionParams,
    private readonly threads = Math.max(1, availableParallelism()),
  ) {}

  readonly seal = (raw: Buffer): Promise<SealedSegment> => {
    this.seen += raw.length;
    if (this.seen < INLINE_BYTES || this.threads < 2) return Promise.resolve(sealSegment(this.key, raw, this.params));
    if (this.workers.length === 0) this.start();
    const id = this.nextId++;
    const worker = this.workers[id % this.workers.length]!;
    // A view into a larger buffer (a chunk of a big file) would be cloned whole: copy just the view,
    // then hand the copy over without a second copy.
    // (Buffers of up to Buffer.poolSize may share Node's allocation pool: never transfer those.)
    const owned = raw.byteLength > Buffer.poolSize && raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength;
    const own = owned ? raw : new Uint8Array(raw);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, raw: own }, [own.buffer as ArrayBuffer]);
    });
  };

  get parallelism(): number {
    return this.threads;
  }

  private start(): void {
    const here = import.meta.url;
    const url = new URL(here.endsWith('.ts') ? './seal-worker.ts' : './seal-worker.js', here);
    for (let i = 0; i < this.threads; i++) {
      const worker = new Worker(url, { workerData: { key: new Uint8Array(this.key), params: this.params } });
      worker.on('message', (msg: { id: number; sealed: Uint8Array; z: 0 | 1 }) => {
        const waiter = this.waiting.get(msg.id);
        this.waiting.delete(msg.id);
        waiter?.resolve({
          sealed: Buffer.from(msg.sealed.buffer, msg.sealed.byteOffset, msg.sealed.byteLength),
          z: msg.z,
        });
      });
      worker.on('error', (err) => {
        for (const w of this.waiting.values()) w.reject(err);
        this.waiting.clear();
      });
      this.workers.push(worker);
    }
  }

  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
