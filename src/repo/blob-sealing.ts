import type { CompressionParams } from './compress.js';
import type { SegmentBlob } from './pack-format.js';
import { sealSegment } from './segment-sealer.js';

/** A sealed segment ready to be appended to a pack: what the pack header and the index record. */
export interface SealedBlobs {
  readonly sealed: Buffer;
  readonly z: 0 | 1;
  readonly raw: number;
  readonly blobs: readonly SegmentBlob[];
}

/**
 * Groups data blobs into segments of about segmentSize bytes in the order given (a blob of half a
 * segment or more is a segment of its own), then compresses and seals each segment.
 */
export function sealBlobs(
  blobs: ReadonlyArray<readonly [string, Uint8Array]>,
  key: Buffer,
  params: CompressionParams,
  segmentSize: number,
): SealedBlobs[] {
  const out: SealedBlobs[] = [];
  let parts: Uint8Array[] = [];
  let list: SegmentBlob[] = [];
  let size = 0;
  const close = () => {
    if (parts.length === 0) return;
    const raw =
      parts.length === 1
        ? Buffer.from(parts[0]!.buffer, parts[0]!.byteOffset, parts[0]!.byteLength)
        : Buffer.concat(parts, size);
    const { sealed, z } = sealSegment(key, raw, params);
    out.push({ sealed, z, raw: size, blobs: list });
    parts = [];
    list = [];
    size = 0;
  };
  for (const [id, data] of blobs) {
    if (data.length >= segmentSize / 2) {
      const { sealed, z } = sealSegment(key, Buffer.from(data.buffer, data.byteOffset, data.byteLength), params);
      out.push({ sealed, z, raw: data.length, blobs: [[id, 'data', 0, data.length]] });
      continue;
    }
    list.push([id, 'data', size, data.length]);
    parts.push(data);
    size += data.length;
    if (size >= segmentSize) close();
  }
  close();
  return out;
}
