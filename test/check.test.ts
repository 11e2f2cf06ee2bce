/**
 * `cairn check` and `cairn restore` against damaged repositories, built at runtime (no binary
 * fixtures): a flipped byte, a truncated pack, a missing pack, damaged or renamed index files.
 * Each gives an exact error code and names what is damaged; none gives a stack trace.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { seal, sha256Hex } from '../src/repo/crypto.js';
import { INDEX_AAD } from '../src/repo/pack-format.js';
import {
  assertNoStackTrace,
  craftSnapshot,
  dir,
  editObject,
  file,
  filesBelow,
  flipByte,
  type Location,
  locateFiles,
  locateRootTree,
  objectFiles,
  packPath,
  repoFixture,
  snapshotOfDir,
  takeSnapshot,
  truncateObject,
  withRepo,
} from './craft.js';
import type { Fixture } from './helpers.js';

interface Problem {
  code: string;
  message: string;
  object?: string;
  files?: string[];
}
interface Report {
  ok: boolean;
  snapshots: number;
  indexes: number;
  packs: number;
  packsRead: number;
  bytesRead: number;
  errors: Problem[];
  warnings: Problem[];
}

function check(f: Fixture, ...flags: string[]) {
  const r = f.cli(['check', '--json', ...flags]);
  assertNoStackTrace(r.stderr);
  return { code: r.code, report: r.json<Report>() };
}

/** Random bytes with a NUL up front: binary, so the secret scanner leaves it alone. */
function binary(size: number): Buffer {
  const b = randomBytes(size);
  b[0] = 0;
  return b;
}

const segKey = (l: Location) => `${l.pack}:${l.segmentOff}`;

/** A small crafted snapshot: trees and data in one pack. */
async function smallSnapshot(f: Fixture): Promise<string> {
  return craftSnapshot(f, [
    ['a.yaml', file('a: 1\n')],
    ['sub', dir([['b.yaml', file('b: 2\n')]])],
  ]);
}

describe('cairn check and restore on damaged repositories', () => {
  it('a flipped byte in a data segment: check --read-data names the pack and the files; restore saves the rest', async () => {
    const f = await repoFixture();
    // Eight incompressible 300 KiB files fill two ~1 MiB segments of four; the YAML files share a
    // third; large.bin is cut into chunks, most of them a segment of their own.
    for (let i = 0; i < 8; i++) f.write(`src/prod/a${i}.bin`, binary(300 * 1024));
    f.write('src/prod/large.bin', binary(4 * 1024 * 1024));
    const id = takeSnapshot(f);
    const where = await locateFiles(f, id);
    const packs = new Set([...where.values()].flat().map((l) => l.pack));
    assert.equal(packs.size, 1, 'expected a single pack');
    const pack = [...packs][0]!;

    // Damage the segment of a0.bin (shared with a1..a3) and a segment that holds one chunk of large.bin only.
    const victim = where.get('a0.bin')![0]!;
    const users = (l: Location) => [...where].filter(([, ls]) => ls.some((x) => segKey(x) === segKey(l))).length;
    const chunk = where.get('large.bin')!.find((l) => users(l) === 1 && segKey(l) !== segKey(victim));
    assert.ok(chunk, 'no segment of large.bin of its own');
    for (const l of [victim, chunk]) flipByte(packPath(f, pack), l.segmentOff + Math.floor(l.segmentLen / 2));
    const bad = new Set([segKey(victim), segKey(chunk)]);
    const damaged = [...where].filter(([, ls]) => ls.some((l) => bad.has(segKey(l)))).map(([p]) => p);
    // Which files share a0.bin's segment depends on how the snapshot batches files: computed, not assumed.
    assert.ok(damaged.includes('a0.bin') && damaged.includes('large.bin'));
    const intact = [...where.keys()].filter((p) => !damaged.includes(p));
    assert.ok(intact.length >= 3, `too few intact files to test a partial restore: ${intact}`);
    const badBlobs = [...where.values()].flat().filter((l) => bad.has(segKey(l))).length;

    // Structure alone cannot see it: the pack has the size the index says.
    let r = f.cli(['check']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /no errors found/);

    const { code, report } = check(f, '--read-data');
    assert.equal(code, 1);
    assert.equal(report.ok, false);
    assert.equal(report.packsRead, 1);
    assert.equal(report.errors.length, 1, JSON.stringify(report.errors));
    const [e] = report.errors;
    assert.equal(e!.code, 'CAIRN_E_INTEGRITY');
    assert.equal(e!.object, `packs/${pack.slice(0, 2)}/${pack}`);
    assert.equal(e!.message, `pack ${pack}: content does not match its SHA-256 name; ${badBlobs} blob(s) unreadable`);
    assert.deepEqual([...e!.files!].sort(), damaged.map((p) => `${id.slice(0, 12)}:${p}`).sort());

    r = f.cli(['check', '--read-data']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`^error: pack ${pack}: content does not match`, 'm'));
    assert.match(r.stdout, new RegExp(`^ {2}affects ${id.slice(0, 12)}:a0\\.bin$`, 'm'));
    assert.match(r.stdout, new RegExp(`^ {2}affects ${id.slice(0, 12)}:large\\.bin$`, 'm'));
    assert.match(r.stdout, /^1 errors found$/m);

    const out = join(f.dir, 'out');
    r = f.cli(['restore', id, '--target', out]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assertNoStackTrace(r.stderr);
    const failedLines = r.stdout.split('\n').filter((l) => l.startsWith('FAILED '));
    assert.deepEqual(failedLines.map((l) => l.slice(7, l.indexOf(':'))).sort(), damaged.sort());
    for (const l of failedLines) assert.match(l, /failed authentication: its bytes were altered/);
    assert.match(r.stdout, new RegExp(`^restored ${intact.length} files`, 'm'));
    // Every other file is back, byte for byte; no damaged file and no temporary file is left.
    const src = snapshotOfDir(join(f.src, 'prod'));
    const got = snapshotOfDir(out);
    for (const p of intact) assert.equal(got.get(p)?.content, src.get(p)!.content, `${p} not restored`);
    for (const p of damaged) assert.equal(existsSync(join(out, p)), false, `${p} restored although damaged`);
    assert.deepEqual(
      filesBelow(out).filter((p) => p.includes('.cairn-')),
      [],
    );
  });

  it('a flipped byte in a tree segment: check names the snapshot, restore refuses with CAIRN_E_INTEGRITY', async () => {
    const f = await repoFixture();
    const id = await smallSnapshot(f);
    const tree = await locateRootTree(f, id);
    flipByte(packPath(f, tree.pack), tree.segmentOff + 20);

    const { code, report } = check(f);
    assert.equal(code, 1);
    assert.equal(report.errors.length, 1, JSON.stringify(report.errors));
    assert.equal(report.errors[0]!.code, 'CAIRN_E_INTEGRITY');
    assert.equal(report.errors[0]!.object, `snapshots/${id}`);
    assert.equal(
      report.errors[0]!.message,
      `pack ${tree.pack.slice(0, 12)} segment at ${tree.segmentOff} failed authentication: its bytes were altered`,
    );

    const out = join(f.dir, 'out');
    const r = f.cli(['restore', id, '--target', out]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^cairn: CAIRN_E_INTEGRITY: pack [0-9a-f]{12} segment at \d+ failed authentication/m);
    assertNoStackTrace(r.stderr);
    assert.equal(existsSync(out), false);
  });

  it('--read-data-subset 50 reads half of the packs, chosen at random', async () => {
    const f = await repoFixture();
    await withRepo(f, async (repo) => {
      for (let i = 0; i < 10; i++) {
        await repo.saveBlob('data', binary(2048));
        await repo.flush(); // one pack and one index file each
      }
    });
    let { code, report } = check(f, '--read-data-subset', '50');
    assert.equal(code, 0, JSON.stringify(report));
    assert.equal(report.packs, 10);
    assert.equal(report.packsRead, 5);
    ({ code, report } = check(f, '--read-data-subset', '25%'));
    assert.equal(code, 0);
    assert.equal(report.packsRead, 3); // rounded up: a subset never reads nothing

    const r = f.cli(['check', '--read-data-subset', '0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^cairn: CAIRN_E_USAGE: --read-data-subset 0 must be a percentage between 0 and 100/m);
  });

  it('a pack cut short: check names it, restore fails with CAIRN_E_INTEGRITY and writes nothing', async () => {
    const f = await repoFixture();
    const id = await smallSnapshot(f);
    const [path] = objectFiles(f, 'packs');
    const pack = basename(path!);
    const size = statSync(path!).size;
    // Cut inside the segment that holds the root tree (written last, before the pack header).
    const cut = (await locateRootTree(f, id)).segmentOff + 5;
    truncateObject(path!, cut);

    let { code, report } = check(f);
    assert.equal(code, 1);
    assert.deepEqual(report.errors, [
      {
        code: 'CAIRN_E_INTEGRITY',
        message: `pack ${pack} is ${cut} bytes, the index says ${size}: truncated or altered`,
        object: `packs/${pack.slice(0, 2)}/${pack}`,
      },
      // Its root tree was in the lost part: the snapshot cannot be walked.
      { code: 'CAIRN_E_INTEGRITY', message: `pack ${pack.slice(0, 12)} is truncated`, object: `snapshots/${id}` },
    ]);

    ({ code, report } = check(f, '--read-data'));
    assert.equal(code, 1);
    assert.ok(report.errors.some((e) => /content does not match its SHA-256 name/.test(e.message)));

    const out = join(f.dir, 'out');
    const r = f.cli(['restore', id, '--target', out]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^cairn: CAIRN_E_INTEGRITY: pack ${pack.slice(0, 12)} is truncated$`, 'm'));
    assertNoStackTrace(r.stderr);
    assert.equal(existsSync(out), false);
  });

  it('a pack missing its last bytes (header only): check names it; restore still reads every intact segment', async () => {
    const f = await repoFixture();
    const id = await smallSnapshot(f);
    const [path] = objectFiles(f, 'packs');
    const size = statSync(path!).size;
    truncateObject(path!, size - 3);
    const { code, report } = check(f);
    assert.equal(code, 1);
    assert.equal(report.errors.length, 1);
    assert.match(report.errors[0]!.message, new RegExp(`is ${size - 3} bytes, the index says ${size}`));
    const out = join(f.dir, 'out');
    const r = f.cli(['restore', id, '--target', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(out, 'sub', 'b.yaml'), 'utf8'), 'b: 2\n');
  });

  it('a missing pack: check names it, restore fails with CAIRN_E_INTEGRITY', async () => {
    const f = await repoFixture();
    const id = await smallSnapshot(f);
    const [path] = objectFiles(f, 'packs');
    const pack = basename(path!);
    chmodSync(dirname(path!), 0o755);
    unlinkSync(path!);
    const { code, report } = check(f);
    assert.equal(code, 1);
    assert.ok(
      report.errors.some(
        (e) =>
          e.code === 'CAIRN_E_INTEGRITY' &&
          e.message === `pack ${pack} is in the index but missing` &&
          e.object === `packs/${pack.slice(0, 2)}/${pack}`,
      ),
      JSON.stringify(report.errors),
    );
    const r = f.cli(['restore', id, '--target', join(f.dir, 'out')]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(`^cairn: CAIRN_E_INTEGRITY: pack ${pack.slice(0, 12)} is missing from the repository$`, 'm'),
    );
    assertNoStackTrace(r.stderr);
  });

  it('a snapshot object with a flipped byte: check names it', async () => {
    const f = await repoFixture();
    const id = await smallSnapshot(f);
    flipByte(join(f.repo, 'snapshots', id), 30);
    const { code, report } = check(f);
    assert.equal(code, 1);
    assert.deepEqual(report.errors, [
      { code: 'CAIRN_E_INTEGRITY', message: `snapshots/${id} does not match its id`, object: `snapshots/${id}` },
    ]);
  });

  it('one damaged snapshot object does not stop the others from being listed and restored', async () => {
    const f = await repoFixture();
    const good = await smallSnapshot(f);
    const bad = await craftSnapshot(f, [['c.yaml', file('c: 3\n')]]);
    flipByte(join(f.repo, 'snapshots', bad), 30);
    const list = f.cli(['snapshots', '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      list.json<{ snapshots: Array<{ id: string }> }>().snapshots.map((s) => s.id),
      [good],
    );
    const target = join(f.dir, 'out');
    const r = f.cli(['restore', good, '--target', target]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(target, 'a.yaml'), 'utf8'), 'a: 1\n');
  });

  describe('damaged index files', () => {
    /** One snapshot; `damage` edits its only index file; check and restore must both name the damage. */
    async function damagedIndex(
      damage: (f: Fixture, path: string) => Promise<string | undefined> | string | undefined,
      message: (key: string) => string,
    ): Promise<void> {
      const f = await repoFixture();
      const id = await smallSnapshot(f);
      const [path] = objectFiles(f, 'index');
      const key = (await damage(f, path!)) ?? `index/${basename(path!)}`;
      const { code, report } = check(f);
      assert.equal(code, 1);
      const hit = report.errors.find((e) => e.object === key);
      assert.ok(hit, `no error names ${key}: ${JSON.stringify(report.errors)}`);
      assert.equal(hit.code, 'CAIRN_E_INTEGRITY');
      assert.equal(hit.message, message(key));

      const out = join(f.dir, 'out');
      const r = f.cli(['restore', id, '--target', out]);
      assert.equal(r.code, 1, r.stdout);
      assert.equal(r.stderr.trim().split('\n').at(-1), `cairn: CAIRN_E_INTEGRITY: ${message(key)}`);
      assertNoStackTrace(r.stderr);
      assert.equal(existsSync(out), false);
    }

    it('a flipped byte fails authentication', async () => {
      await damagedIndex(
        (_f, p) => void flipByte(p, 40),
        (key) => `${key} failed authentication: its bytes were altered`,
      );
    });

    it('cut to a few bytes is truncated', async () => {
      await damagedIndex(
        (_f, p) => void truncateObject(p, 20),
        (key) => `${key} is truncated (20 bytes)`,
      );
    });

    it('cut in half fails authentication', async () => {
      await damagedIndex(
        (_f, p) => void editObject(p, (b) => b.subarray(0, Math.floor(b.length / 2))),
        (key) => `${key} failed authentication: its bytes were altered`,
      );
    });

    it('authentic bytes that are not a compressed index are refused, not a crash', async () => {
      await damagedIndex(
        async (f, p) => {
          // Sealed with the right key (a buggy writer, not an attacker): only the content is wrong.
          const bytes = await withRepo(f, async (repo) =>
            seal(repo.master.encryption, Buffer.from('not zstd'), INDEX_AAD),
          );
          chmodSync(dirname(p), 0o755);
          unlinkSync(p);
          const name = sha256Hex(bytes);
          writeFileSync(join(dirname(p), name), bytes, { mode: 0o444 });
          return `index/${name}`;
        },
        (key) => `${key} is not a valid index file`,
      );
    });

    it('an index file under a name that is not its SHA-256 is refused', async () => {
      await damagedIndex(
        (_f, p) => {
          const renamed = join(dirname(p), '0'.repeat(64));
          chmodSync(dirname(p), 0o755);
          copyFileSync(p, renamed);
          unlinkSync(p);
          return `index/${'0'.repeat(64)}`;
        },
        (key) => `${key} does not match its id`,
      );
    });
  });
});
