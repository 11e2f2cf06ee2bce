import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Reads a whole file into a fresh buffer of its size (one open/fstat/read/close). */
export function readWhole(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(size);
    return buf.subarray(0, readFully(fd, buf));
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a file into `into` when it still has the size the walk saw; returns the bytes read, or
 * undefined when the file grew since (the caller reads it afresh rather than store a prefix).
 */
export function readInto(path: string, into: Buffer): Buffer | undefined {
  const fd = openSync(path, 'r');
  try {
    const got = readFully(fd, into);
    if (got === into.length && readSync(fd, Buffer.allocUnsafe(1), 0, 1, null) > 0) return undefined;
    return into.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

function readFully(fd: number, buf: Buffer): number {
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, null);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/**
 * Reusable read buffers. A fresh buffer per file costs a page fault per page on these machines
 * (BENCHMARKS.md: ~150 µs of system time per small file); a batch of files is read into one
 * arena, which goes back to the pool once the batch's blobs are sealed.
 */
export class ArenaPool {
  private readonly free: Buffer[] = [];

  constructor(
    private readonly minSize = 4 * 1024 * 1024,
    private readonly keep = 2,
  ) {}

  take(size: number): Buffer {
    // The smallest free arena that fits (the list is sorted largest first).
    const i = this.free.findLastIndex((b) => b.length >= size);
    if (i >= 0) return this.free.splice(i, 1)[0]!;
    return Buffer.allocUnsafeSlow(Math.max(size, this.minSize));
  }

  give(buf: Buffer): void {
    // Keep as many as can be in use at once, the largest first: a dropped 50 MB arena would only be
    // freed whenever the thread next collects garbage, and arenas of big files add up until then.
    this.free.push(buf);
    this.free.sort((a, b) => b.length - a.length);
    if (this.free.length > this.keep) this.free.length = this.keep;
  }
}
