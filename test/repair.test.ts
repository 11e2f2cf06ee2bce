/**
 * `cairn repair --from REPO2` on a local repository damaged behind Cairn's back: a pack deleted and
 * a pack overwritten. `cairn check --read-data` names both, repair brings them back from the
 * replica, and check passes again; what the replica cannot supply is named, with exit 1.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertNoStackTrace, flipByte, takeSnapshot } from './craft.js';
import { type Fixture, fixture } from './helpers.js';
import { assertExitCode, contentOf, objectFilesOf, replicaPolicy, replicate } from './replicate-support.js';

interface RepairJson {
  ok: boolean;
  dryRun: boolean;
  checked: { objects: number; bytes: number };
  repaired: Array<{ key: string; reason: string; bytes: number }>;
  failed: Array<{ key: string; reason: string; code: string; message: string }>;
}

interface CheckJson {
  ok: boolean;
  errors: Array<{ code: string; message: string; object?: string }>;
}

/** A snapshot spread over several packs, replicated to <dir>/replica. */
function replicatedFixture(): { f: Fixture; replica: string; id: string; packs: string[] } {
  const f = fixture({ policy: replicaPolicy() });
  for (let i = 0; i < 20; i++) {
    const data = randomBytes(1024 * 1024);
    data[0] = 0;
    f.write(`src/prod/blob${i}.bin`, data);
  }
  const id = takeSnapshot(f, 'app-prod');
  const replica = join(f.dir, 'replica');
  assertExitCode(replicate(f, ['--to', replica]).r, 0);
  const packs = objectFilesOf(f.repo).filter((k) => k.startsWith('packs/'));
  assert.ok(packs.length >= 2, `several packs: ${packs}`);
  return { f, replica, id, packs };
}

function check(f: Fixture, env: Record<string, string> = {}) {
  const r = f.cli(['check', '--read-data', '--json'], { env });
  assertNoStackTrace(r.stderr);
  return { r, report: r.json<CheckJson>() };
}

function repair(f: Fixture, args: readonly string[]) {
  const r = f.cli(['repair', '--json', ...args]);
  assertNoStackTrace(r.stderr);
  return { r, result: r.json<RepairJson>() };
}

describe('cairn repair --from a replica (local)', () => {
  it('a pack deleted and a pack overwritten: check names them, repair restores them, check passes', () => {
    const { f, replica, id, packs } = replicatedFixture();
    const [lost, damaged] = packs as [string, string];
    rmSync(join(f.repo, lost));
    flipByte(join(f.repo, damaged), 100); // chmod u+w, overwrite, read-only again
    const before = check(f);
    assertExitCode(before.r, 1);
    // When the lost pack holds the root tree, check also names the snapshot it makes unreadable.
    const named = before.report.errors.map((e) => e.object);
    for (const key of [lost, damaged]) assert.ok(named.includes(key), `check names ${key}: ${named}`);
    assert.ok(before.report.errors.some((e) => e.object === lost && /missing/.test(e.message)));
    assert.ok(before.report.errors.some((e) => e.object === damaged && /does not match its SHA-256/.test(e.message)));

    const dry = repair(f, ['--from', replica, '--dry-run']);
    assertExitCode(dry.r, 0);
    assert.equal(dry.result.dryRun, true);
    assert.deepEqual(dry.result.repaired.map((o) => o.key).sort(), [lost, damaged].sort());
    assert.equal(check(f).r.code, 1, 'a dry run writes nothing');

    const done = repair(f, ['--from', replica]);
    assertExitCode(done.r, 0);
    assert.deepEqual(
      done.result.repaired.map((o) => [o.key, o.reason]).sort(),
      [
        [damaged, 'damaged'],
        [lost, 'missing'],
      ].sort(),
    );
    assert.deepEqual(readFileSync(join(f.repo, lost)), readFileSync(join(replica, lost)));
    assert.deepEqual(readFileSync(join(f.repo, damaged)), readFileSync(join(replica, damaged)));
    assertExitCode(check(f).r, 0);
    const human = f.cli(['repair', '--from', replica]);
    assertExitCode(human, 0);
    assert.match(human.stdout, /nothing to repair/);
    const target = join(f.dir, 'restored');
    assertExitCode(f.cli(['restore', id, '--target', target]), 0);
    assert.deepEqual(contentOf(target), contentOf(join(f.src, 'prod')));
  });

  it('what the replica cannot supply is named, with exit 1; the rest is repaired', () => {
    const { f, replica, packs } = replicatedFixture();
    const [both, onlyPrimary] = packs as [string, string];
    flipByte(join(f.repo, both), 10);
    flipByte(join(replica, both), 10);
    rmSync(join(f.repo, onlyPrimary));
    const { r, result } = repair(f, ['--from', replica]);
    assertExitCode(r, 1);
    assert.deepEqual(
      result.failed.map((p) => [p.key, p.reason, p.code]),
      [[both, 'damaged', 'CAIRN_E_INTEGRITY']],
    );
    assert.match(result.failed[0]!.message, /damaged in .*replica/);
    assert.deepEqual(
      result.repaired.map((o) => o.key),
      [onlyPrimary],
    );
    const human = f.cli(['repair', '--from', replica]);
    assertExitCode(human, 1);
    assert.match(human.stdout, new RegExp(`could not repair ${both}`));
  });

  it('refuses a source that is not a replica of this repository', () => {
    const { f } = replicatedFixture();
    const other = join(f.dir, 'other');
    assertExitCode(f.cli(['init'], { env: { CAIRN_REPOSITORY: other } }), 0);
    const r = f.cli(['repair', '--from', other, '--json']);
    assertExitCode(r, 1);
    assert.equal(r.json<{ error: { code: string } }>().error.code, 'CAIRN_E_REPO_EXISTS');
    const missing = f.cli(['repair', '--json']);
    assertExitCode(missing, 2);
  });
});
