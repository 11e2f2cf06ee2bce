import { workerData } from 'node:worker_threads';
import type { SecretsMode } from '../policy/index.js';
import { serveCalls, transferable } from '../repo/index.js';
import type { HashedBatch, HashJob, HashSettings } from './file-hashing.js';
import { FileHasher } from './file-hashing.js';
import { ArenaPool } from './file-reader.js';
import { sealNeeded } from './seal-needed.js';

/**
 * A snapshot worker thread: reads and hashes batches of files, keeps their blobs, and seals the
 * ones the main thread says the repository lacks. Protocol: `hash` -> outcomes and blob ids;
 * `store` -> sealed segments (transferred, not copied).
 */
const settings = workerData as HashSettings;
const hasher = new FileHasher(settings);
const arenas = new ArenaPool();
const held = new Map<number, HashedBatch>();

type Message =
  | { op: 'hash'; batch: number; jobs: HashJob[]; secrets: SecretsMode }
  | { op: 'store'; batch: number; ids: string[] };

serveCalls((msg: Message) => {
  if (msg.op === 'hash') {
    const hashed = hasher.hashBatch(msg.jobs, msg.secrets, arenas);
    held.set(msg.batch, hashed);
    return { reply: { outcomes: hashed.outcomes, ids: [...hashed.store.keys(), ...hashed.presealed.keys()] } };
  }
  const batch = held.get(msg.batch);
  held.delete(msg.batch);
  if (!batch) throw new Error(`no batch ${msg.batch}`);
  const segments = sealNeeded(batch, msg.ids, settings).map((s) => ({ ...s, sealed: transferable(s.sealed) }));
  // Sealed bytes are fresh buffers (compressed or encrypted copies): the arena can be reused.
  arenas.give(batch.arena);
  return { reply: { segments }, transfer: segments.map((s) => s.sealed.buffer as ArrayBuffer) };
});
