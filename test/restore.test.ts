import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertNoStackTrace, type FsEntry, filesBelow, repoFixture, snapshotOfDir, takeSnapshot } from './craft.js';
import type { Fixture } from './helpers.js';

interface RestoreJson {
  snapshot: string;
  target: string;
  dryRun: boolean;
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  failed: Array<{ path: string; code: string; message: string }>;
  paths?: string[];
}

/** Random bytes with a NUL up front: binary, so the secret scanner leaves it alone. */
function binary(size: number): Buffer {
  const b = randomBytes(size);
  b[0] = 0;
  return b;
}

/** Adds to src/prod what a byte-for-byte restore has to get right besides plain files. */
function enrich(f: Fixture): void {
  const prod = join(f.src, 'prod');
  mkdirSync(join(prod, 'empty'));
  mkdirSync(join(prod, 'empty-parent', 'empty-child'), { recursive: true });
  f.write('src/prod/private.conf', 'token_file=/run/secrets/token\n');
  chmodSync(join(prod, 'private.conf'), 0o600);
  f.write('src/prod/bin/run.sh', '#!/bin/sh\nexec app\n');
  chmodSync(join(prod, 'bin', 'run.sh'), 0o755);
  f.write('src/prod/readonly.cfg', 'ro=true\n');
  chmodSync(join(prod, 'readonly.cfg'), 0o444);
  f.write('src/prod/empty.txt', '');
  f.write('src/prod/ünïcode name ✓.txt', 'unicode\n');
  f.write('src/prod/medium.bin', binary(300 * 1024)); // one blob
  f.write('src/prod/large.bin', binary(3 * 1024 * 1024 + 17)); // several FastCDC chunks
  f.write('src/prod/locked/inner.txt', 'inner\n');
  chmodSync(join(prod, 'locked'), 0o750);
  symlinkSync('deployment.yaml', join(prod, 'link-to-file'));
  symlinkSync('nested/deep', join(prod, 'link-to-dir'));
  symlinkSync('../../app.env', join(prod, 'nested', 'deep', 'link-up'));
  symlinkSync('does-not-exist', join(prod, 'dangling'));
  // Fixed, distinctive timestamps: a restore that forgot mtimes would show "now" instead.
  utimesSync(join(prod, 'deployment.yaml'), new Date('2001-02-03T04:05:06.789Z'), new Date('2001-02-03T04:05:06.789Z'));
  utimesSync(join(prod, 'large.bin'), new Date('2010-01-01T00:00:00Z'), new Date('2010-01-01T00:00:00Z'));
  utimesSync(join(prod, 'empty'), new Date('2005-05-05T05:05:05Z'), new Date('2005-05-05T05:05:05Z'));
}

/** Same paths, types, modes, bytes and link targets; mtimes equal to within a microsecond. */
function assertSameTree(actual: Map<string, FsEntry>, expected: Map<string, FsEntry>): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [path, want] of expected) {
    const got = actual.get(path)!;
    assert.equal(got.type, want.type, `${path}: type`);
    assert.equal(got.mode.toString(8), want.mode.toString(8), `${path}: mode`);
    assert.equal(got.content, want.content, `${path}: content`);
    assert.equal(got.target, want.target, `${path}: symlink target`);
    assert.ok(
      Math.abs(got.mtimeMs - want.mtimeMs) < 0.001,
      `${path}: mtime ${new Date(got.mtimeMs).toISOString()} (${got.mtimeMs}) ≠ ${new Date(want.mtimeMs).toISOString()} (${want.mtimeMs})`,
    );
  }
}

function restore(f: Fixture, id: string, target: string, ...flags: string[]) {
  return f.cli(['restore', id, '--target', target, '--json', ...flags]);
}

describe('cairn restore', () => {
  it('brings back every file byte for byte with its mode and mtime, empty folders and symlinks', async () => {
    const f = await repoFixture();
    enrich(f);
    const id = takeSnapshot(f);
    const expected = snapshotOfDir(join(f.src, 'prod'));
    const out = join(f.dir, 'out');
    const r = restore(f, id, out);
    assert.equal(r.code, 0, r.stderr);
    const res = r.json<RestoreJson>();
    assert.deepEqual(res.failed, []);
    assert.equal(res.snapshot, id);
    assert.equal(res.target, out);
    const want = (t: FsEntry['type']) => [...expected.values()].filter((e) => e.type === t).length;
    assert.equal(res.files, want('file'));
    assert.equal(res.dirs, want('dir'));
    assert.equal(res.symlinks, want('symlink'));
    assert.equal(res.symlinks, 4);
    assertSameTree(snapshotOfDir(out), expected);
    // The symlinks work inside the restored tree.
    assert.equal(readFileSync(join(out, 'link-to-file'), 'utf8'), readFileSync(join(out, 'deployment.yaml'), 'utf8'));
    assert.ok(statSync(join(out, 'link-to-dir')).isDirectory());
    assert.match(readFileSync(join(out, 'nested', 'deep', 'link-up'), 'utf8'), /LOG_LEVEL=info/);
  });

  it('--include takes a single file, a folder with everything below it, and globs', async () => {
    const f = await repoFixture();
    const id = takeSnapshot(f);
    const prod = snapshotOfDir(join(f.src, 'prod'));

    const one = join(f.dir, 'one');
    let r = restore(f, id, one, '--include', 'deployment.yaml');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json<RestoreJson>().files, 1);
    assert.deepEqual(filesBelow(one), ['deployment.yaml']);
    assert.equal(
      readFileSync(join(one, 'deployment.yaml'), 'utf8'),
      readFileSync(join(f.src, 'prod', 'deployment.yaml'), 'utf8'),
    );

    // A folder brings its subtree; a file deep down brings its parent folders (with their modes).
    const folder = join(f.dir, 'folder');
    r = restore(f, id, folder, '--include', 'nested', '--include', '/app.env');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(filesBelow(folder).sort(), ['app.env', 'nested', 'nested/deep', 'nested/deep/config.json']);
    const got = snapshotOfDir(folder);
    for (const p of ['nested', 'nested/deep', 'nested/deep/config.json']) {
      assert.equal(got.get(p)!.mode, prod.get(p)!.mode, p);
      assert.ok(Math.abs(got.get(p)!.mtimeMs - prod.get(p)!.mtimeMs) < 0.001, `${p} mtime`);
    }

    const glob = join(f.dir, 'glob');
    r = restore(f, id, glob, '--include', '**/*.json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(filesBelow(glob).sort(), ['nested', 'nested/deep', 'nested/deep/config.json']);

    const none = join(f.dir, 'none');
    r = restore(f, id, none, '--include', 'no-such-file');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /CAIRN_E_NOT_FOUND/);
    assert.equal(existsSync(none), false, 'a restore that matched nothing created its target');
  });

  it('--dry-run lists what it would restore and writes nothing', async () => {
    const f = await repoFixture();
    const id = takeSnapshot(f);
    const out = join(f.dir, 'out');
    let r = restore(f, id, out, '--dry-run');
    assert.equal(r.code, 0, r.stderr);
    const res = r.json<RestoreJson>();
    assert.equal(res.dryRun, true);
    assert.deepEqual(res.paths, ['app.env', 'deployment.yaml', 'nested', 'nested/deep', 'nested/deep/config.json']);
    assert.equal(existsSync(out), false, 'dry run created the target');

    // Human output, into an existing non-empty folder with --overwrite: still nothing touched.
    mkdirSync(out);
    writeFileSync(join(out, 'deployment.yaml'), 'mine\n');
    const before = snapshotOfDir(out);
    r = f.cli(['restore', id, '--target', out, '--dry-run', '--overwrite', '--include', 'nested']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^would restore 1 files .* 2 folders, 0 symlinks/);
    assert.match(r.stdout, /^ {2}nested\/deep\/config\.json$/m);
    assert.deepEqual(snapshotOfDir(out), before);
  });

  it('refuses a non-empty target without --overwrite and writes nothing; --overwrite replaces files', async () => {
    const f = await repoFixture();
    const id = takeSnapshot(f);
    const out = join(f.dir, 'out');
    mkdirSync(join(out, 'nested'), { recursive: true });
    writeFileSync(join(out, 'deployment.yaml'), 'local edit\n');
    writeFileSync(join(out, 'unrelated.txt'), 'keep me\n');
    writeFileSync(join(out, 'app.env'), 'read-only leftover\n', { mode: 0o444 });
    const before = snapshotOfDir(out);

    let r = restore(f, id, out);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^cairn: CAIRN_E_TARGET_NOT_EMPTY: restore target .*out is not empty/m);
    assert.match(r.stdout, /"code": "CAIRN_E_TARGET_NOT_EMPTY"/);
    assertNoStackTrace(r.stderr);
    assert.deepEqual(snapshotOfDir(out), before, 'a refused restore changed the target');

    r = restore(f, id, out, '--overwrite');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json<RestoreJson>().failed, []);
    const src = snapshotOfDir(join(f.src, 'prod'));
    const got = snapshotOfDir(out);
    for (const p of ['deployment.yaml', 'app.env', 'nested/deep/config.json']) {
      assert.equal(got.get(p)!.content, src.get(p)!.content, `${p} was not replaced`);
      assert.equal(got.get(p)!.mode, src.get(p)!.mode, `${p} mode`);
      assert.ok(Math.abs(got.get(p)!.mtimeMs - src.get(p)!.mtimeMs) < 0.001, `${p} mtime`);
    }
    assert.equal(
      readFileSync(join(out, 'unrelated.txt'), 'utf8'),
      'keep me\n',
      'overwrite removed a file it did not restore',
    );
    assert.deepEqual(
      filesBelow(out).filter((p) => p.includes('.cairn-')),
      [],
      'temporary files left behind',
    );
  });

  it('a target that is a file is a usage error', async () => {
    const f = await repoFixture();
    const id = takeSnapshot(f);
    const target = f.write('not-a-folder', 'x');
    const r = restore(f, id, target, '--overwrite');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /CAIRN_E_USAGE: restore target .* is not a folder/);
  });
});
