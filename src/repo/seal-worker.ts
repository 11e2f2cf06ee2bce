import { parentPort, workerData } from 'node:worker_threads';
import type { CompressionParams } from './compress.js';
import { sealSegment } from './segment-sealer.js';

// A sealing thread: compress and encrypt segments so the main thread can keep reading files.
const { key, params } = workerData as { key: Uint8Array; params: CompressionParams };
const encryptionKey = Buffer.from(key);

parentPort?.on('message', (msg: { id: number; raw: Uint8Array }) => {
  const { sealed, z } = sealSegment(
    encryptionKey,
    Buffer.from(msg.raw.buffer, msg.raw.byteOffset, msg.raw.byteLength),
    params,
  );
  const out = new Uint8Array(sealed.length);
  out.set(sealed);
  parentPort?.postMessage({ id: msg.id, sealed: out, z }, [out.buffer]);
});
