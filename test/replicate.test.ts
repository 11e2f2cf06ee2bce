/**
 * `cairn replicate` between two local repositories: a verified, idempotent mirror that restores on
 * its own; lag per item; replication after a snapshot; a foreign target refused; locks carried; and
 * a run killed with SIGKILL mid-copy, then resumed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LocalStorage } from '../src/storage/index.js';
import { assertNoStackTrace, takeSnapshot } from './craft.js';
import { jsonError } from './e2e.js';
import { BIN, fixture } from './helpers.js';
import {
  assertExitCode,
  assertWholeObjects,
  contentOf,
  objectFilesOf,
  replicaPolicy,
  replicate,
} from './replicate-support.js';

interface ItemLag {
  item: string;
  replicate: boolean;
  snapshots: number;
  replicated: number;
  behind: number;
  oldestMissing: string | null;
  newestReplicated: string | null;
  lagMs: number;
}

describe('cairn replicate (local to local)', () => {
  it('copies every object verified; a second run copies nothing; the replica alone restores', () => {
    const f = fixture({ policy: replicaPolicy() });
    const replica = join(f.dir, 'replica');
    const id = takeSnapshot(f, 'app-prod');
    takeSnapshot(f, 'app-dev');
    const { r, result } = replicate(f, ['--to', replica]);
    assertExitCode(r, 0);
    assert.equal(result.ok, true);
    assert.equal(result.alreadyThere, 0);
    assert.equal(result.copied, result.objects);
    assert.equal(result.verified.objects, result.copied);
    assert.equal(result.verified.bytes, result.copiedBytes);
    assert.deepEqual(result.copiedByKind.snapshots, 2);
    assert.deepEqual(objectFilesOf(replica), objectFilesOf(f.repo));
    assertWholeObjects(replica);

    const again = f.cli(['replicate', '--to', replica]);
    assertExitCode(again, 0);
    assert.match(again.stdout, new RegExp(`nothing to copy: ${replica} has all ${result.objects} objects`));
    assert.equal(replicate(f, ['--to', replica]).result.copied, 0);

    // The primary is gone, and so is the local state: the replica and the passphrase are enough.
    rmSync(f.repo, { recursive: true, force: true });
    const fresh = { CAIRN_REPOSITORY: replica, CAIRN_HOME: join(f.dir, 'fresh-home') };
    const check = f.cli(['check', '--read-data', '--json'], { env: fresh });
    assertExitCode(check, 0);
    const list = f.cli(['snapshots', '--item', 'app-prod', '--json'], { env: fresh });
    assertExitCode(list, 0);
    assert.deepEqual(
      list.json<{ snapshots: Array<{ id: string }> }>().snapshots.map((s) => s.id),
      [id],
    );
    const target = join(f.dir, 'restored');
    assertExitCode(f.cli(['restore', id, '--target', target], { env: fresh }), 0);
    assert.deepEqual(contentOf(target), contentOf(join(f.src, 'prod')));
  });

  it('--status: snapshots and time behind per item; exit 1 only while a replicate tier is behind', () => {
    const f = fixture({ policy: replicaPolicy() });
    const replica = join(f.dir, 'replica');
    takeSnapshot(f, 'app-prod');
    takeSnapshot(f, 'app-dev');
    assertExitCode(replicate(f, ['--to', replica]).r, 0);
    const status = (args: string[] = []) => {
      const r = f.cli(['replicate', '--status', '--to', replica, '--json', ...args]);
      assertNoStackTrace(r.stderr);
      const doc = r.json<{ items: ItemLag[]; behind: number; late: string[] }>();
      return { r, doc, item: (name: string) => doc.items.find((i) => i.item === name)! };
    };
    const upToDate = status();
    assertExitCode(upToDate.r, 0);
    assert.equal(upToDate.doc.behind, 0);
    assert.deepEqual(
      upToDate.doc.items.map((i) => [i.item, i.replicate, i.snapshots, i.behind, i.lagMs]),
      [
        ['app-dev', false, 1, 0, 0],
        ['app-prod', true, 1, 0, 0],
      ],
    );

    // Not replicated yet: a dev snapshot (tier 2) only — reported, exit 0.
    f.write('src/dev/extra.yaml', 'x: 1\n');
    takeSnapshot(f, 'app-dev');
    const devBehind = status();
    assertExitCode(devBehind.r, 0);
    assert.equal(devBehind.item('app-dev').behind, 1);

    // Two prod snapshots (tier 0 replicates): behind 2, lag since the older of them, exit 1.
    f.write('src/prod/extra.yaml', 'x: 1\n');
    const first = takeSnapshot(f, 'app-prod');
    f.write('src/prod/extra.yaml', 'x: 2\n');
    takeSnapshot(f, 'app-prod');
    const firstTime = f.cli(['show', first, '--json']).json<{ time: string }>().time;
    const late = status();
    assertExitCode(late.r, 1);
    const prod = late.item('app-prod');
    assert.equal(prod.snapshots, 3);
    assert.equal(prod.replicated, 1);
    assert.equal(prod.behind, 2);
    assert.equal(prod.oldestMissing, firstTime);
    assert.ok(prod.lagMs > 0 && prod.lagMs < 10 * 60_000, String(prod.lagMs));
    assert.ok(prod.newestReplicated && prod.newestReplicated < prod.oldestMissing!);
    assert.deepEqual(late.doc.late, ['app-prod']);
    assert.equal(late.doc.behind, 3);
    const human = f.cli(['replicate', '--status', '--to', replica]);
    assert.match(human.stdout, /3 snapshots behind/);
    assert.match(human.stdout, /late \(tier replicates after every snapshot\): app-prod/);

    assertExitCode(replicate(f, ['--to', replica]).r, 0);
    const caughtUp = status();
    assertExitCode(caughtUp.r, 0);
    assert.equal(caughtUp.doc.behind, 0);
  });

  it('after-snapshot: a replicate tier copies at once; a failing replica warns, exits 3, keeps the snapshot', () => {
    const f = fixture({ policy: replicaPolicy('replica') });
    const replica = join(f.dir, 'replica');
    const prod = f.cli(['snapshot', '--item', 'app-prod', '--json']);
    assertExitCode(prod, 0);
    const doc = prod.json<{
      snapshots: Array<{ id: string }>;
      replication: { ok: boolean; to: string; items: string[] };
    }>();
    assert.equal(doc.replication.ok, true);
    assert.equal(doc.replication.to, replica);
    assert.deepEqual(doc.replication.items, ['app-prod']);
    assert.ok(existsSync(join(replica, 'snapshots', doc.snapshots[0]!.id)));

    // Tier 2 does not replicate: nothing is copied, and the output has no replication field.
    const dev = f.cli(['snapshot', '--item', 'app-dev', '--json']);
    assertExitCode(dev, 0);
    assert.equal(dev.json<{ replication?: unknown }>().replication, undefined);
    assert.equal(readdirSync(join(replica, 'snapshots')).length, 1);

    // A replica location that holds another repository: the snapshot stays, exit 3 (partial).
    const other = join(f.dir, 'other');
    assertExitCode(f.cli(['init'], { env: { CAIRN_REPOSITORY: other } }), 0);
    f.write('cairn.yaml', replicaPolicy('other'));
    f.write('src/prod/changed.yaml', 'changed: true\n');
    const failed = f.cli(['snapshot', '--item', 'app-prod', '--json']);
    assertExitCode(failed, 3);
    assertNoStackTrace(failed.stderr);
    const bad = failed.json<{
      snapshots: Array<{ id: string; status: string }>;
      replication: { ok: boolean; error: { code: string; message: string } };
    }>();
    assert.equal(bad.snapshots[0]!.status, 'created');
    assert.equal(bad.replication.ok, false);
    assert.equal(bad.replication.error.code, 'CAIRN_E_REPO_EXISTS');
    assert.match(failed.stderr, /warning: replication to .*other failed .*the snapshots are committed/);
    assert.ok(existsSync(join(f.repo, 'snapshots', bad.snapshots[0]!.id)));
  });

  it('refuses a target that holds another repository, and leaves it as it was', () => {
    const f = fixture({ policy: replicaPolicy() });
    takeSnapshot(f, 'app-prod');
    const other = join(f.dir, 'other');
    assertExitCode(f.cli(['init'], { env: { CAIRN_REPOSITORY: other } }), 0);
    const before = objectFilesOf(other);
    const r = f.cli(['replicate', '--to', other, '--json']);
    assertExitCode(r, 1);
    assertNoStackTrace(r.stderr);
    const err = jsonError(r);
    assert.equal(err.code, 'CAIRN_E_REPO_EXISTS');
    assert.match(err.message, new RegExp(`${other} holds another cairn repository`));
    assert.deepEqual(objectFilesOf(other), before);
    const noTarget = f.cli(['replicate', '--json']);
    assertExitCode(noTarget, 2);
    assert.match(jsonError(noTarget).message, /pass --to REPO2 or set replication.to/);
  });

  it('carries retention and lock mode of every object to the replica', async () => {
    const f = fixture({ policy: replicaPolicy() });
    const replica = join(f.dir, 'replica');
    takeSnapshot(f, 'app-prod');
    takeSnapshot(f, 'app-dev');
    assertExitCode(replicate(f, ['--to', replica]).r, 0);
    const primary = new LocalStorage(f.repo);
    const copy = new LocalStorage(replica);
    const locks = async (s: LocalStorage) =>
      new Map(
        (await s.list(''))
          .filter((o) => !o.key.startsWith('locks/'))
          .map((o) => [o.key, `${o.retainUntil?.toISOString() ?? '-'} ${o.mode ?? '-'} ${o.legalHold ?? false}`]),
      );
    const expected = await locks(primary);
    assert.deepEqual(await locks(copy), expected);
    const retained = [...expected.values()].filter((v) => v.includes('compliance'));
    assert.ok(retained.length >= 2, `tier 0 objects are locked in compliance mode: ${[...expected]}`);
  });

  it('a run killed with SIGKILL mid-copy leaves whole objects and no snapshot; the next run completes', async () => {
    const f = fixture({ policy: replicaPolicy() });
    for (let i = 0; i < 64; i++) {
      const data = randomBytes(1024 * 1024);
      data[0] = 0; // binary: the secret scanner leaves it alone
      f.write(`src/prod/blob${i}.bin`, data);
    }
    const id = takeSnapshot(f, 'app-prod');
    const replica = join(f.dir, 'replica');
    const packsOnReplica = () => objectFilesOf(replica).filter((k) => k.startsWith('packs/')).length;
    const child = spawn(process.execPath, [BIN, 'replicate', '--to', replica, '--concurrency', '1'], {
      cwd: f.dir,
      env: { ...process.env, ...f.env },
      stdio: 'ignore',
    });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    let running = true;
    void exited.then(() => {
      running = false;
    });
    while (running && packsOnReplica() === 0) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    const end = await exited;
    assert.equal(end.signal, 'SIGKILL', 'the run finished before it could be killed: the test needs a larger corpus');
    const total = objectFilesOf(f.repo).filter((k) => k.startsWith('packs/')).length;
    const partial = packsOnReplica();
    assert.ok(partial >= 1 && partial < total, `${partial} of ${total} packs copied before the kill`);
    assertWholeObjects(replica);
    assert.deepEqual(
      objectFilesOf(replica).filter((k) => k.startsWith('snapshots/')),
      [],
    );

    const { r, result } = replicate(f, ['--to', replica]);
    assertExitCode(r, 0);
    assert.equal(result.ok, true);
    assert.ok(result.alreadyThere >= partial + 2, 'keys, config and the packs copied before are not copied again');
    assert.equal(result.copied, result.objects - result.alreadyThere);
    assert.deepEqual(objectFilesOf(replica), objectFilesOf(f.repo));
    const fresh = { CAIRN_REPOSITORY: replica, CAIRN_HOME: join(f.dir, 'fresh-home') };
    assertExitCode(f.cli(['check', '--read-data'], { env: fresh }), 0);
    const target = join(f.dir, 'restored');
    assertExitCode(f.cli(['restore', id, '--target', target], { env: fresh }), 0);
    assert.deepEqual(contentOf(target), contentOf(join(f.src, 'prod')));
  });
});
