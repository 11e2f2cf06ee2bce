import { workerData } from 'node:worker_threads';
import type { CompressionParams } from './compress.js';
import { sealSegment } from './segment-sealer.js';
import { serveCalls, transferable } from './thread-pool.js';

// A sealing thread: compress and encrypt segments so the main thread can keep going.
const { key, params } = workerData as { key: Uint8Array; params: CompressionParams };
const encryptionKey = Buffer.from(key);

serveCalls((raw: Uint8Array) => {
  const { sealed, z } = sealSegment(encryptionKey, Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), params);
  const out = transferable(sealed);
  return { reply: { sealed: out, z }, transfer: [out.buffer as ArrayBuffer] };
});
