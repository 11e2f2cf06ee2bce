import { Compressor, Decompressor } from 'zstd-napi';

/**
 * zstd over whole segments (many small blobs side by side), not blob by blob: configuration is
 * small and repetitive, and the compressor pays off when it sees similar files together
 * (PERF-NOTES.md). Level and window are recorded in the repository config.
 */
export interface CompressionParams {
  readonly level: number;
  readonly windowLog: number;
}

export const DEFAULT_COMPRESSION: CompressionParams = Object.freeze({ level: 3, windowLog: 23 });

let compressor: Compressor | undefined;
let compressorKey = '';
let decompressor: Decompressor | undefined;

export function compress(data: Uint8Array, params: CompressionParams = DEFAULT_COMPRESSION): Buffer {
  const key = `${params.level}/${params.windowLog}`;
  if (!compressor || compressorKey !== key) {
    compressor = new Compressor();
    compressor.setParameters({ compressionLevel: params.level, windowLog: params.windowLog });
    compressorKey = key;
  }
  return compressor.compress(data);
}

export function decompress(data: Uint8Array): Buffer {
  if (!decompressor) {
    decompressor = new Decompressor();
    decompressor.setParameters({ windowLogMax: 27 });
  }
  return decompressor.decompress(data);
}
