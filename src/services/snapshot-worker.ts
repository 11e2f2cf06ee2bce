import { parentPort, workerData } from 'node:worker_threads';
import type { SecretsMode } from '../policy/index.js';
import { type CompressionParams, sealBlobs } from '../repo/index.js';
import { FileHasher, type HashJob, type HashSettings } from './file-hashing.js';
import { ArenaPool } from './file-reader.js';

/**
 * A snapshot worker thread: reads and hashes batches of files, keeps their blobs, and seals the
 * ones the main thread says the repository lacks. Protocol: `hash` -> outcomes and blob ids;
 * `store` -> sealed segments (transferred, not copied).
 */
interface Init extends HashSettings {
  readonly encryptionKey: Uint8Array;
  readonly compression: CompressionParams;
  readonly segmentSize: number;
}

const init = workerData as Init;
const hasher = new FileHasher(init);
const key = Buffer.from(init.encryptionKey);
const arenas = new ArenaPool();
const held = new Map<number, { store: Map<string, Uint8Array>; arena: Buffer }>();

type Message =
  | { op: 'hash'; batch: number; jobs: HashJob[]; secrets: SecretsMode }
  | { op: 'store'; batch: number; ids: string[] };

parentPort?.on('message', (msg: Message) => {
  try {
    if (msg.op === 'hash') {
      const { outcomes, store, arena } = hasher.hashBatch(msg.jobs, msg.secrets, arenas);
      held.set(msg.batch, { store, arena });
      parentPort?.postMessage({ batch: msg.batch, outcomes, ids: [...store.keys()] });
      return;
    }
    const batch = held.get(msg.batch);
    held.delete(msg.batch);
    const store = batch?.store;
    const blobs = msg.ids.map((id) => [id, store?.get(id) ?? new Uint8Array()] as const);
    const segments = sealBlobs(blobs, key, init.compression, init.segmentSize).map((s) => ({
      ...s,
      sealed: owned(s.sealed),
    }));
    parentPort?.postMessage(
      { batch: msg.batch, segments },
      segments.map((s) => s.sealed.buffer as ArrayBuffer),
    );
    // Sealed bytes are fresh buffers (compressed or encrypted copies): the arena can be reused.
    if (batch) arenas.give(batch.arena);
  } catch (err) {
    parentPort?.postMessage({ batch: msg.batch, error: err instanceof Error ? err.message : String(err) });
  }
});

/** Bytes safe to transfer: never a view into Node's shared allocation pool or a larger buffer. */
function owned(b: Buffer): Uint8Array {
  const whole = b.byteLength > Buffer.poolSize && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;
  return whole ? b : new Uint8Array(b);
}
