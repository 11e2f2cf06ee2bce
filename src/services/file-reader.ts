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

  constructor(private readonly minSize = 4 * 1024 * 1024) {}

  take(size: number): Buffer {
    const i = this.free.findIndex((b) => b.length >= size);
    if (i >= 0) return this.free.splice(i, 1)[0]!;
    return Buffer.allocUnsafeSlow(Math.max(size, this.minSize));
  }

  give(buf: Buffer): void {
    // Keep a few ordinary arenas; a one-off giant (a 50 MB state file) goes back to the system.
    if (buf.length <= 4 * this.minSize && this.free.length < 8) this.free.push(buf);
  }
}
