// Floor for "read every byte": walk the tree and read each file into one reused 1 MiB buffer, synchronously
// (the method PERF-NOTES.md measured). Plain JavaScript so Node starts without the TypeScript loader, which
// costs over a second here. `cat` is measured too, but GNU cat 9.1 allocates (mmaps) a fresh 128 KiB buffer per
// file, and page faults are expensive on these VMs, so cat measures that rather than the reading.
//   node bench/read-all.mjs DIR
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';

const buffer = Buffer.allocUnsafe(1 << 20);
let files = 0;
let bytes = 0;

function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (entry.isFile()) {
      const fd = openSync(path, 'r');
      try {
        for (let n = 1; n > 0; bytes += n) n = readSync(fd, buffer, 0, buffer.length, null);
      } finally {
        closeSync(fd);
      }
      files++;
    }
  }
}

walk(process.argv[2]);
console.log(JSON.stringify({ files, bytes }));
