/**
 * Pack layout (docs/FORMAT.md): sealed segments back to back, then the sealed header, then the
 * header's length as 4 bytes little-endian. A segment is one or more blobs' plaintexts side by side,
 * zstd-compressed as a whole when that saves space, then sealed with AES-256-GCM.
 */

export type BlobType = 'data' | 'tree';

/** [blob id, type, offset in the segment's plaintext, length] */
export type SegmentBlob = readonly [string, BlobType, number, number];

export interface SegmentRecord {
  readonly off: number; // offset of the sealed segment in the pack
  readonly len: number; // sealed length
  readonly raw: number; // plaintext length of the whole segment
  readonly z: 0 | 1; // 1 when zstd-compressed
  readonly blobs: readonly SegmentBlob[];
}

export interface PackRecord {
  readonly id: string; // SHA-256 of the pack's bytes
  readonly size: number;
  readonly segments: readonly SegmentRecord[];
}

export const SEGMENT_AAD = 'cairn-segment-v1';
export const PACK_HEADER_AAD = 'cairn-pack-header-v1';
export const INDEX_AAD = 'cairn-index-v1';

export function packKey(id: string): string {
  return `packs/${id.slice(0, 2)}/${id}`;
}

export function packIdOfKey(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}
