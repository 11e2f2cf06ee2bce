import type { CompressionParams } from './compress.js';
import { compress } from './compress.js';
import { seal } from './crypto.js';
import { SEGMENT_AAD } from './pack-format.js';

export interface SealedSegment {
  readonly sealed: Buffer;
  readonly z: 0 | 1;
}

/** Compress-then-encrypt of one segment; the expensive step of a snapshot, so it sits behind a seam. */
export function sealSegment(key: Buffer, raw: Buffer, params: CompressionParams): SealedSegment {
  const packed = compress(raw, params);
  // Incompressible data (already compressed archives) is stored as is: never larger than the input.
  const z = packed.length < raw.length ? 1 : 0;
  return { sealed: seal(key, z ? packed : raw, SEGMENT_AAD), z };
}
