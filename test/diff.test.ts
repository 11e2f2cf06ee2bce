import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, rmSync, symlinkSync, unlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertNoStackTrace, repoFixture, takeSnapshot } from './craft.js';
import type { Fixture } from './helpers.js';

interface Facts {
  mode: number;
  size?: number;
  sha256?: string;
  target?: string;
}
interface DiffJson {
  from: string;
  to: string;
  changes: Array<{ path: string; kind: string; type: string; before?: Facts; after?: Facts; patch?: string }>;
  summary: Record<'added' | 'removed' | 'modified' | 'mode' | 'type', number>;
}
interface LsJson {
  snapshot: string;
  entries: Array<{
    path: string;
    type: string;
    mode: number;
    size: number;
    mtime: string;
    sha256?: string;
    target?: string;
  }>;
}

/** Two snapshots of app-prod: every kind of change between them. */
async function twoSnapshots(): Promise<{ f: Fixture; a: string; b: string }> {
  const f = await repoFixture();
  const prod = join(f.src, 'prod');
  f.write('src/prod/data.bin', Buffer.from([0, 1, 2, 3]));
  f.write('src/prod/kind.cfg', 'a file for now\n');
  f.write('src/prod/old-dir/x.txt', 'gone soon\n');
  f.write('src/prod/touched.txt', 'same content\n');
  symlinkSync('deployment.yaml', join(prod, 'link'));
  const a = takeSnapshot(f);

  f.write('src/prod/deployment.yaml', 'apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 8\n');
  unlinkSync(join(prod, 'app.env'));
  f.write('src/prod/new.txt', 'hello\n');
  chmodSync(join(prod, 'nested', 'deep', 'config.json'), 0o600);
  f.write('src/prod/data.bin', Buffer.from([0, 9, 9, 9, 9]));
  unlinkSync(join(prod, 'kind.cfg'));
  symlinkSync('new.txt', join(prod, 'kind.cfg'));
  rmSync(join(prod, 'old-dir'), { recursive: true });
  mkdirSync(join(prod, 'empty-new'));
  unlinkSync(join(prod, 'link'));
  symlinkSync('new.txt', join(prod, 'link'));
  // A new timestamp alone is no change: diff goes by content.
  utimesSync(join(prod, 'touched.txt'), new Date('2001-01-01'), new Date('2001-01-01'));
  const b = takeSnapshot(f);
  assert.notEqual(a, b);
  return { f, a, b };
}

describe('cairn diff', () => {
  it('lists added, removed, modified, mode and type changes, with a unified patch for text', async () => {
    const { f, a, b } = await twoSnapshots();

    let r = f.cli(['diff', a, b]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      '- app.env',
      'M data.bin',
      'M deployment.yaml',
      '+ empty-new/',
      'T kind.cfg',
      'M link',
      'm nested/deep/config.json',
      '+ new.txt',
      '- old-dir/x.txt',
      '',
      '2 added, 2 removed, 3 modified, 1 mode changes, 1 type changes',
    ]);

    // Ids by unique prefix, as `cairn snapshots` shows them.
    r = f.cli(['diff', a.slice(0, 12), b.slice(0, 12), '--patch']);
    assert.equal(r.code, 0, r.stderr);
    const deployment = [
      '--- a/deployment.yaml',
      '+++ b/deployment.yaml',
      '@@ -1,4 +1,4 @@',
      ' apiVersion: apps/v1',
      ' kind: Deployment',
      ' spec:',
      '-  replicas: 6',
      '+  replicas: 8',
    ].join('\n');
    assert.ok(r.stdout.includes(deployment), r.stdout);
    assert.match(r.stdout, /^--- \/dev\/null\n\+\+\+ b\/new\.txt\n@@ -0,0 \+1(,1)? @@\n\+hello$/m);
    assert.match(r.stdout, /^--- a\/app\.env\n\+\+\+ \/dev\/null\n@@ -1,2 \+0,0 @@\n-LOG_LEVEL=info$/m);
    assert.match(r.stdout, /^Binary or large files a\/data\.bin and b\/data\.bin differ$/m);
    assert.doesNotMatch(r.stdout, /touched\.txt/);
    assert.doesNotMatch(r.stdout, /config\.json\n---/, 'a mode change has no patch');

    r = f.cli(['diff', a, b, '--json', '--patch']);
    assert.equal(r.code, 0, r.stderr);
    const d = r.json<DiffJson>();
    assert.deepEqual(Object.keys(d).sort(), ['changes', 'from', 'summary', 'to']);
    assert.equal(d.from, a);
    assert.equal(d.to, b);
    assert.deepEqual(d.summary, { added: 2, removed: 2, modified: 3, mode: 1, type: 1 });
    const byPath = new Map(d.changes.map((c) => [c.path, c]));
    assert.deepEqual(
      d.changes.map((c) => [c.path, c.kind, c.type]),
      [
        ['app.env', 'removed', 'file'],
        ['data.bin', 'modified', 'file'],
        ['deployment.yaml', 'modified', 'file'],
        ['empty-new', 'added', 'dir'],
        ['kind.cfg', 'type', 'symlink'],
        ['link', 'modified', 'symlink'],
        ['nested/deep/config.json', 'mode', 'file'],
        ['new.txt', 'added', 'file'],
        ['old-dir/x.txt', 'removed', 'file'],
      ],
    );
    const mode = byPath.get('nested/deep/config.json')!;
    assert.equal(mode.before!.mode, 0o644);
    assert.equal(mode.after!.mode, 0o600);
    assert.equal(mode.before!.sha256, mode.after!.sha256);
    assert.equal(mode.patch, undefined);
    assert.equal(byPath.get('app.env')!.after, undefined);
    assert.equal(byPath.get('new.txt')!.before, undefined);
    assert.deepEqual(byPath.get('new.txt')!.after, {
      mode: 0o644,
      size: 6,
      sha256: '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03',
    });
    assert.equal(byPath.get('link')!.before!.target, 'deployment.yaml');
    assert.equal(byPath.get('link')!.after!.target, 'new.txt');
    assert.equal(byPath.get('kind.cfg')!.before!.size, 15);
    assert.equal(byPath.get('kind.cfg')!.after!.target, 'new.txt');
    assert.match(byPath.get('deployment.yaml')!.patch!, /- {2}replicas: 6\n\+ {2}replicas: 8/);

    // The other way round, everything is mirrored.
    r = f.cli(['diff', b, a, '--json']);
    assert.deepEqual(r.json<DiffJson>().summary, { added: 2, removed: 2, modified: 3, mode: 1, type: 1 });
  });

  it('two snapshots of the same content differ in nothing; an unknown id is CAIRN_E_NOT_FOUND', async () => {
    const f = await repoFixture();
    const a = takeSnapshot(f);
    const b = takeSnapshot(f, 'app-prod', ['--force']);
    assert.notEqual(a, b);
    let r = f.cli(['diff', a, b, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json<DiffJson>().changes, []);
    r = f.cli(['diff', a, b]);
    assert.equal(r.stdout.trim(), '0 added, 0 removed, 0 modified, 0 mode changes, 0 type changes');

    r = f.cli(['diff', a, 'f'.repeat(64)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^cairn: CAIRN_E_NOT_FOUND: no snapshot ${'f'.repeat(64)}`, 'm'));
    assertNoStackTrace(r.stderr);
  });
});

describe('cairn ls', () => {
  it('lists every entry of a snapshot, or those at and below a path', async () => {
    const f = await repoFixture();
    symlinkSync('deployment.yaml', join(f.src, 'prod', 'link'));
    mkdirSync(join(f.src, 'prod', 'empty'));
    chmodSync(join(f.src, 'prod', 'app.env'), 0o600);
    const id = takeSnapshot(f);

    let r = f.cli(['ls', id, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const all = r.json<LsJson>();
    assert.equal(all.snapshot, id);
    assert.deepEqual(
      all.entries.map((e) => [e.path, e.type, e.mode.toString(8), e.size]),
      [
        ['app.env', 'file', '600', 42],
        ['deployment.yaml', 'file', '644', 57],
        ['empty', 'dir', '755', 0],
        ['link', 'symlink', '777', 0],
        ['nested', 'dir', '755', 0],
        ['nested/deep', 'dir', '755', 0],
        ['nested/deep/config.json', 'file', '644', 40],
      ],
    );
    assert.equal(all.entries[3]!.target, 'deployment.yaml');
    assert.match(all.entries[0]!.sha256!, /^[0-9a-f]{64}$/);
    assert.match(all.entries[0]!.mtime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    r = f.cli(['ls', id.slice(0, 12)]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^MODE\s+SIZE\s+MODIFIED\s+PATH$/);
    assert.match(r.stdout, /^-0600\s+42 B\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+app\.env$/m);
    assert.match(r.stdout, /^l0777\s+\S.*\s+link -> deployment\.yaml$/m);
    assert.match(r.stdout, /^d0755\s+\S.*\s+nested\/deep\/$/m);
    assert.equal(lines.length, 8);

    r = f.cli(['ls', id, '/nested/deep/', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.json<LsJson>().entries.map((e) => e.path),
      ['nested/deep', 'nested/deep/config.json'],
    );

    // A path matches whole components only: "nes" is not "nested".
    r = f.cli(['ls', id, 'nes']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^cairn: CAIRN_E_NOT_FOUND: no path nes in snapshot ${id.slice(0, 12)}$`, 'm'));
    assertNoStackTrace(r.stderr);
  });
});
