import { type SealedBlobs, sealBlobs } from '../repo/index.js';
import type { HashedBatch, HashSettings } from './file-hashing.js';

/** The sealed segments for the blobs of a hashed batch that the repository lacks, in the order given. */
export function sealNeeded(batch: HashedBatch, ids: readonly string[], settings: HashSettings): SealedBlobs[] {
  const small: Array<readonly [string, Uint8Array]> = [];
  const out: SealedBlobs[] = [];
  for (const id of ids) {
    const pre = batch.presealed.get(id);
    if (pre) out.push(pre);
    else {
      const data = batch.store.get(id);
      if (data) small.push([id, data]);
    }
  }
  const key = Buffer.from(settings.encryptionKey);
  return [...sealBlobs(small, key, settings.compression, settings.segmentSize), ...out];
}
