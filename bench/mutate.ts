// Changes a fixed share of the corpus, deterministically, as a day of config work would: a value edited or a
// line added in small files, a few lines inside one or two Terraform state files. Every other file keeps its
// bytes and its mtime.
//   node --import tsx bench/mutate.ts --dir DIR [--percent 1] [--seed 2]
import { closeSync, openSync, readdirSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Rng } from './lib/rng.js';

function listFiles(root: string, rel = ''): string[] {
  const entries = readdirSync(join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  return entries.flatMap((d) => {
    const path = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) return listFiles(root, path);
    return d.isFile() ? [path] : [];
  });
}

/** Bumps one number, or appends a comment line where the format has comments. */
function mutateSmall(path: string, r: Rng): void {
  const text = readFileSync(path, 'utf8');
  const ext = extname(path);
  const numbers = [...text.matchAll(/\d+/g)];
  if (numbers.length > 0 && (ext === '.json' || r.chance(0.5))) {
    const m = r.pick(numbers);
    const bumped = String(Number(m[0]) + r.int(1, 9));
    writeFileSync(path, text.slice(0, m.index) + bumped + text.slice(m.index + m[0].length));
    return;
  }
  const note = `reviewed under CHG-${r.int(10000, 99999)}`;
  const line = ext === '.json' ? '' : ext === '.xml' ? `<!-- ${note} -->` : ext === '.ini' ? `; ${note}` : `# ${note}`;
  writeFileSync(path, `${text}${line}\n`);
}

/** Changes one digit inside a string value on `lines` random lines, in place: the size stays the same. */
function mutateState(path: string, r: Rng, lines: number): void {
  const fd = openSync(path, 'r+');
  try {
    const size = readFileSync(path).length;
    const window = Buffer.alloc(8192);
    for (let done = 0, tries = 0; done < lines && tries < 1000; tries++) {
      const start = r.int(0, Math.max(0, size - window.length));
      const n = readSync(fd, window, 0, window.length, start);
      const text = window.toString('latin1', 0, n);
      const m = /\n\s*"[a-z_]+": "[^"\n]*?(\d)[^"\n]*"/.exec(text);
      if (!m) continue;
      const at = m.index + m[0].lastIndexOf(m[1]!, m[0].length - 1);
      const digit = (Number(m[1]) + r.int(1, 9)) % 10;
      writeSync(fd, String(digit), start + at, 'latin1');
      done++;
    }
  } finally {
    closeSync(fd);
  }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string' },
      percent: { type: 'string', default: '1' },
      seed: { type: 'string', default: '2' },
    },
  });
  if (!values.dir) throw new Error('usage: mutate.ts --dir DIR [--percent 1] [--seed 2]');
  const dir = values.dir;
  const started = process.hrtime.bigint();
  const files = listFiles(dir);
  const r = Rng.of(Number(values.seed), 'mutate');
  const count = Math.max(1, Math.round((files.length * Number(values.percent)) / 100));
  const states = files.filter((f) => f.endsWith('.tfstate'));
  const small = files.filter((f) => !f.endsWith('.tfstate'));
  const bigOnes = r.sample(states, Math.min(states.length, count > 1 ? r.int(1, 2) : 0));
  const smallOnes = r.sample(small, count - bigOnes.length);
  for (const f of smallOnes) mutateSmall(join(dir, f), r);
  for (const f of bigOnes) mutateState(join(dir, f), r, r.int(3, 6));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(
    JSON.stringify({
      dir,
      files: files.length,
      changed: count,
      stateFiles: bigOnes,
      seconds: Math.round(seconds * 100) / 100,
    }),
  );
}

main();
