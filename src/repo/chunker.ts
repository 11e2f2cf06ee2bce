/**
 * FastCDC content-defined chunking (Xia et al., 2016) with normalised chunking. The gear table is
 * derived from the repository's secret seed, so chunk boundaries reveal nothing about content to
 * whoever holds the storage. Only files above SMALL_FILE_LIMIT are chunked; smaller ones are one blob.
 */

export interface ChunkerParams {
  readonly min: number;
  readonly avg: number;
  readonly max: number;
}

export const DEFAULT_CHUNKER: ChunkerParams = Object.freeze({
  min: 256 * 1024,
  avg: 1024 * 1024,
  max: 4 * 1024 * 1024,
});
export const SMALL_FILE_LIMIT = 512 * 1024;

export function gearTable(seed: number): Uint32Array {
  // xorshift32 from the seed: deterministic per repository, no extra storage.
  const table = new Uint32Array(256);
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < 256; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    table[i] = x;
  }
  return table;
}

function maskOfBits(bits: number): number {
  // The high bits of the gear hash depend on the last 32 bytes; the low ones on fewer.
  return (((1 << bits) - 1) << (32 - bits)) >>> 0;
}

export class Chunker {
  private readonly gear: Int32Array;
  private readonly maskS: number;
  private readonly maskL: number;

  constructor(
    seed: number,
    private readonly params: ChunkerParams = DEFAULT_CHUNKER,
  ) {
    this.gear = new Int32Array(gearTable(seed).buffer);
    const bits = Math.round(Math.log2(params.avg));
    this.maskS = maskOfBits(bits + 2);
    this.maskL = maskOfBits(bits - 2);
  }

  /** Length of the next chunk starting at `start` in data (the end of data is a boundary). */
  cut(data: Uint8Array, start: number): number {
    const { min, avg, max } = this.params;
    const remaining = data.length - start;
    if (remaining <= min) return remaining;
    const end = start + Math.min(remaining, max);
    const normal = start + Math.min(remaining, avg);
    // Signed 32-bit arithmetic throughout keeps V8 on its integer fast path (>>> 0 makes doubles).
    const gear = this.gear;
    const maskS = this.maskS | 0;
    const maskL = this.maskL | 0;
    let h = 0;
    let i = start + min;
    for (; i < normal; i++) {
      h = ((h << 1) + (gear[data[i]!] as number)) | 0;
      if ((h & maskS) === 0) return i - start + 1;
    }
    for (; i < end; i++) {
      h = ((h << 1) + (gear[data[i]!] as number)) | 0;
      if ((h & maskL) === 0) return i - start + 1;
    }
    return end - start;
  }

  /** Chunk boundaries of a whole buffer, as [offset, length] pairs. */
  split(data: Uint8Array): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let off = 0; off < data.length; ) {
      const len = this.cut(data, off);
      out.push([off, len]);
      off += len;
    }
    return out;
  }
}
