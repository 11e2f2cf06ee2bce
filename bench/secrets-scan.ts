/**
 * Secret-scan speed on real-looking configuration: `node --import tsx bench/secrets-scan.ts [DIR] [MB]`
 * reads up to MB megabytes (default 100) of the files under DIR (default: the cached bench corpus)
 * and reports the best of three passes of findSecrets over them, as a snapshot with
 * `secrets: refuse` would run it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { findSecrets } from '../src/policy/index.js';

const corpusRoot = join(import.meta.dirname ?? '.', 'corpus');
// The full-size corpus when it has been generated (`npm run bench`), else whichever is there.
const cached = readdirSync(corpusRoot).filter((d) => !d.endsWith('.json'));
const dir = process.argv[2] ?? join(corpusRoot, cached.find((d) => d.includes('-scale1-')) ?? cached[0] ?? '');
const limit = Number(process.argv[3] ?? 100) * 1024 * 1024;

const files: Array<[string, Buffer]> = [];
let total = 0;
const walk = (d: string): void => {
  for (const name of readdirSync(d)) {
    if (total >= limit) return;
    const p = join(d, name);
    if (statSync(p).isDirectory()) walk(p);
    else {
      const data = readFileSync(p);
      files.push([p, data]);
      total += data.length;
    }
  }
};
walk(dir);

let best = Number.POSITIVE_INFINITY;
let findings = 0;
for (let run = 0; run < 3; run++) {
  const started = performance.now();
  findings = 0;
  for (const [p, data] of files) findings += findSecrets(data, p).length;
  best = Math.min(best, performance.now() - started);
}
const mb = total / 1048576;
console.log(
  `${files.length} files, ${mb.toFixed(0)} MB: ${(mb / (best / 1000)).toFixed(0)} MB/s (best of 3), ${findings} findings`,
);
