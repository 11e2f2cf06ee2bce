/**
 * FORMAT.md MUST rules `tree names are single components` and `restore stays inside the target`,
 * held against repositories crafted to attack the restoring host: every one is refused with
 * CAIRN_E_UNSAFE_PATH and leaves the folder next to the target (the sentinel) untouched.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  assertNoStackTrace,
  type CraftEntry,
  craftSnapshot,
  dir,
  file,
  filesBelow,
  link,
  repoFixture,
} from './craft.js';
import type { Fixture } from './helpers.js';

interface Scene {
  readonly f: Fixture;
  readonly target: string;
  readonly sentinel: string;
}

async function scene(): Promise<Scene> {
  const f = await repoFixture();
  const sentinel = join(f.dir, 'sentinel');
  mkdirSync(sentinel);
  return { f, target: join(f.dir, 'target'), sentinel };
}

/** The scratch root's own entries (but the CLI's state folder): a restore that escapes its target shows up here. */
function topLevel(s: Scene): string[] {
  return readdirSync(s.f.dir)
    .filter((n) => n !== 'home')
    .sort();
}

/**
 * Restores a crafted snapshot and asserts the refusal: exit 1, CAIRN_E_UNSAFE_PATH with `message`,
 * the target never created, the sentinel empty, nothing new beside them.
 */
function assertRefused(s: Scene, entries: readonly CraftEntry[], message: RegExp, ...flags: string[]): Promise<void> {
  return (async () => {
    const id = await craftSnapshot(s.f, entries);
    const before = topLevel(s);
    const r = s.f.cli(['restore', id, '--target', s.target, ...flags]);
    assert.equal(r.code, 1, `restore was not refused:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /^cairn: CAIRN_E_UNSAFE_PATH: /m);
    assert.match(r.stderr, message);
    assertNoStackTrace(r.stderr);
    assert.deepEqual(filesBelow(s.sentinel), [], 'something was written into the sentinel folder');
    assert.equal(existsSync(s.target), false, `the refused restore wrote into its target: ${filesBelow(s.target)}`);
    assert.deepEqual(topLevel(s), before);
  })();
}

describe('restore of a crafted repository', () => {
  it('refuses tree names that are not single path components, wherever they are in the tree', async () => {
    const s = await scene();
    const evil = file('pwned\n');
    // Each would land in the sentinel folder (or elsewhere outside the target) if taken literally.
    const cases: Array<[string, CraftNode]> = [
      ['..', dir([['sentinel', dir([['evil.txt', evil]])]])],
      ['../sentinel', dir([['evil.txt', evil]])],
      [join(s.sentinel, 'abs.txt'), evil],
      ['a/b', evil],
      ['.', dir([['evil.txt', evil]])],
      ['', evil],
      ['..\\sentinel\\evil.txt', evil],
      ['evil\0.txt', evil],
    ];
    for (const [name, node] of cases) {
      // Harmless entries first, the bad name two folders down: the refusal still comes before any write.
      await assertRefused(
        s,
        [
          ['a-first.txt', file('fine\n')],
          ['m', dir([['deeper', dir([[name, node]])]])],
        ],
        new RegExp(`unsafe name ${reEscape(JSON.stringify(name))} in tree [0-9a-f]{12}`),
      );
    }
  });

  it('refuses duplicate names, including a symlink and a folder of the same name', async () => {
    const s = await scene();
    await assertRefused(
      s,
      [
        ['dup.txt', file('one\n')],
        ['dup.txt', file('two\n')],
      ],
      /duplicate name "dup.txt" in tree [0-9a-f]{12}/,
    );
    // The classic tar attack: a symlink out of the target, then a file "below" it.
    await assertRefused(
      s,
      [
        ['out', link(s.sentinel)],
        ['out', dir([['evil.txt', file('pwned\n')]])],
      ],
      /duplicate name "out" in tree/,
    );
  });

  it('refuses a symlink that leaves the target before writing anything', async () => {
    const s = await scene();
    const harmless: CraftEntry[] = [
      ['a.txt', file('fine\n')],
      ['ok', dir([['inside', link('../a.txt')]])],
    ];
    await assertRefused(
      s,
      [...harmless, ['abs', link(s.sentinel)]],
      /symlink abs points outside the restore target \(\/.*sentinel\); nothing was written/,
    );
    await assertRefused(
      s,
      [...harmless, ['sub', dir([['esc', link('../../sentinel')]])]],
      /symlink sub\/esc points outside the restore target \(\.\.\/\.\.\/sentinel\)/,
    );
    // With --include, the chosen folder is checked as thoroughly as a whole snapshot.
    await assertRefused(
      s,
      [...harmless, ['z', dir([['y', dir([['up', link('../../../..')]])]])]],
      /symlink z\/y\/up points outside/,
      '--include',
      'z',
    );
  });

  it('refuses a symlink that leaves the target through another symlink of the snapshot', async () => {
    const s = await scene();
    // d/up -> .. is the target itself, so x -> d/up/../sentinel is the sentinel, although the
    // lexical form "d/sentinel" looks inside. The kernel resolves d/up before the "..".
    await assertRefused(
      s,
      [
        ['d', dir([['up', link('..')]])],
        ['x', link('d/up/../sentinel')],
      ],
      /symlink x points outside the restore target/,
    );
    // A chain: l1 -> l2/.. where l2 -> d/up (the target); l1 is the target's parent.
    await assertRefused(
      s,
      [
        ['d', dir([['up', link('..')]])],
        ['l1', link('l2/..')],
        ['l2', link('d/up')],
      ],
      /symlink l1 points outside the restore target/,
    );
  });

  it('restores symlinks that chain but stay inside the target, and tolerates loops', async () => {
    const s = await scene();
    const id = await craftSnapshot(s.f, [
      ['d', dir([['up', link('..')]])],
      ['e', dir([['f', file('deep\n')]])],
      ['x', link('d/up/e/f')],
      ['loop1', link('loop2')],
      ['loop2', link('loop1')],
    ]);
    const r = s.f.cli(['restore', id, '--target', s.target]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(s.target, 'x'), 'utf8'), 'deep\n');
    assert.equal(readlinkSync(join(s.target, 'loop1')), 'loop2');
  });

  it('with --overwrite never writes through a symlink or a file already in the target', async () => {
    const s = await scene();
    const id = await craftSnapshot(s.f, [
      ['sub', dir([['config.yaml', file('restored\n')]])],
      ['top.txt', file('restored top\n')],
    ]);
    // A folder of the snapshot is a symlink out of the target.
    mkdirSync(s.target);
    symlinkSync(s.sentinel, join(s.target, 'sub'));
    let r = s.f.cli(['restore', id, '--target', s.target, '--overwrite']);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /^cairn: CAIRN_E_UNSAFE_PATH: .*target\/sub exists and is not a folder \(a symlink\)/m);
    assertNoStackTrace(r.stderr);
    assert.deepEqual(filesBelow(s.sentinel), []);
    assert.equal(readlinkSync(join(s.target, 'sub')), s.sentinel);

    // A file of the snapshot is a symlink to a file outside: the link is replaced, not followed.
    const other = join(s.f.dir, 'other');
    mkdirSync(join(other, 'sub'), { recursive: true });
    writeFileSync(join(s.sentinel, 'victim.txt'), 'original\n');
    symlinkSync(join(s.sentinel, 'victim.txt'), join(other, 'top.txt'));
    symlinkSync(join(s.sentinel, 'victim.txt'), join(other, 'sub', 'config.yaml'));
    r = s.f.cli(['restore', id, '--target', other, '--overwrite']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(s.sentinel, 'victim.txt'), 'utf8'), 'original\n');
    assert.deepEqual(filesBelow(s.sentinel), ['victim.txt']);
    assert.equal(readFileSync(join(other, 'top.txt'), 'utf8'), 'restored top\n');
    assert.equal(readFileSync(join(other, 'sub', 'config.yaml'), 'utf8'), 'restored\n');
  });
});

type CraftNode = CraftEntry[1];

function reEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
