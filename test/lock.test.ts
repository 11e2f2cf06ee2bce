/**
 * FORMAT.md "Locks": snapshot takes a shared lock, forget and prune an exclusive one; a live holder
 * makes the other fail with CAIRN_E_REPO_LOCKED (exit 1, naming it); a lock of a dead process on
 * this host, or one not refreshed for 30 minutes, is stale and ignored. Snapshot and prune started
 * together never lose data. Replay a failure with CAIRN_TEST_SEED=<seed printed in the message>.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isCairnError } from '../src/errors/index.js';
import { Repository } from '../src/repo/index.js';
import { FaultStorage, LocalStorage, MemStorage } from '../src/storage/index.js';
import {
  assertCheckPasses,
  Corpus,
  type CorpusState,
  cairn,
  corpusPolicy,
  describeRun,
  RepoInspector,
  type RunResult,
  scene,
} from './crash-support.js';

const PASSWORD = 'lock test passphrase';
const secret = { kind: 'password', value: PASSWORD } as const;
const HOLDER =
  /CAIRN_E_REPO_LOCKED: repository is locked by (snapshot|prune|forget) \(pid (\d+) on (\S+) since (\S+)\)/;

const POLICY = corpusPolicy(3);

/** A pid that was just in use on this host and is not any more. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function lockFiles(repo: string): string[] {
  const dir = join(repo, 'locks');
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** A lock object as another process would have left it. */
function plantLock(
  repo: string,
  info: { exclusive: boolean; host: string; pid: number; time: string; operation: string },
) {
  const name = randomBytes(16).toString('hex');
  writeFileSync(join(repo, 'locks', name), JSON.stringify(info), { mode: 0o444 });
  return name;
}

/** The holder named in a CAIRN_E_REPO_LOCKED failure, after asserting its shape. */
function assertLocked(r: RunResult, what: string): { operation: string; pid: number; host: string; since: string } {
  assert.equal(r.code, 1, `${what}: expected exit 1\n${describeRun(r)}`);
  const m = HOLDER.exec(r.stderr);
  assert.ok(m, `${what}: no CAIRN_E_REPO_LOCKED naming the holder\n${describeRun(r)}`);
  assert.ok(!Number.isNaN(Date.parse(m[4]!)), `${what}: holder time ${m[4]}`);
  return { operation: m[1]!, pid: Number(m[2]), host: m[3]!, since: m[4]! };
}

describe('repository locks', () => {
  const { seed, r, dir, repo, env } = scene('lock', PASSWORD);
  const corpus = new Corpus(join(dir, 'src'), { smallFiles: 2000, bigFiles: 2, bigSize: 3 << 20, salt: `l${seed}` });
  const inspector = new RepoInspector(repo, PASSWORD, corpus);
  const states = new Map<string, CorpusState>();
  let releases = 0;
  let failed = false;
  const run = (args: string[], more: Parameters<typeof cairn>[1] extends infer O ? Partial<O> : never = {}) =>
    cairn(args, { env, cwd: dir, ...more });
  const snapshotArgs = (mutate = true) => {
    const release = `4.0.${releases++}`;
    states.set(release, mutate ? corpus.mutate(r, { fraction: 0.4, big: 'replace' }) : corpus.state());
    return ['snapshot', '-q', '--json', '--release', release];
  };
  const verifyAll = (what: string) =>
    inspector.inspect((s) => {
      const state = states.get(s.object.meta.release ?? '');
      assert.ok(state, `${what}: snapshot ${s.id} with unknown release ${s.object.meta.release}`);
      return state;
    }, what);

  before(async () => {
    corpus.create();
    writeFileSync(env.CAIRN_CONFIG, POLICY);
    const init = await run(['init', '-q']);
    assert.equal(init.code, 0, describeRun(init));
    const first = await run(snapshotArgs(false));
    assert.equal(first.code, 0, describeRun(first));
  });
  after(() => {
    if (failed || process.env.CAIRN_TEST_KEEP) process.stdout.write(`# lock: repository kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  });
  const guard = (body: () => Promise<void>) => async (): Promise<void> => {
    try {
      await body();
    } catch (err) {
      failed = true;
      throw err;
    }
  };

  it(
    'a lock of a dead process on this host is stale: the next command runs and removes it',
    guard(async () => {
      const exclusive = plantLock(repo, {
        exclusive: true,
        host: hostname(),
        pid: deadPid(),
        time: new Date().toISOString(),
        operation: 'prune',
      });
      const snap = await run(snapshotArgs());
      assert.equal(snap.code, 0, `a dead prune's lock blocked snapshot\n${describeRun(snap)}`);
      assert.ok(!lockFiles(repo).includes(exclusive), 'the stale lock is still there');

      plantLock(repo, {
        exclusive: false,
        host: hostname(),
        pid: deadPid(),
        time: new Date().toISOString(),
        operation: 'snapshot',
      });
      const prune = await run(['prune', '-q']);
      assert.equal(prune.code, 0, `a dead snapshot's lock blocked prune\n${describeRun(prune)}`);
      assert.deepEqual(lockFiles(repo), []);
    }),
  );

  it(
    'a lock not refreshed for 30 minutes is stale even from another host; a fresh one of another host blocks',
    guard(async () => {
      const old = new Date(Date.now() - 31 * 60 * 1000).toISOString();
      plantLock(repo, { exclusive: true, host: 'elsewhere.example', pid: 1, time: old, operation: 'prune' });
      const snap = await run(snapshotArgs());
      assert.equal(snap.code, 0, describeRun(snap));
      assert.deepEqual(lockFiles(repo), []);

      const fresh = plantLock(repo, {
        exclusive: true,
        host: 'elsewhere.example',
        pid: 1,
        time: new Date().toISOString(),
        operation: 'prune',
      });
      const blocked = await run(snapshotArgs());
      const holder = assertLocked(blocked, 'snapshot against a live lock of another host');
      assert.deepEqual([holder.operation, holder.pid, holder.host], ['prune', 1, 'elsewhere.example']);
      assert.deepEqual(lockFiles(repo), [fresh], 'the refused command left its own lock behind');
      rmSync(join(repo, 'locks', fresh));
    }),
  );

  it(
    'a lock left by a SIGKILLed snapshot does not block prune, forget or the next snapshot',
    guard(async () => {
      let pid = 0;
      const killed = await run(snapshotArgs(), {
        killAfterLock: { repo, ms: 0 },
        onSpawn: (p) => {
          pid = p;
        },
      });
      assert.ok(killed.killed, `the snapshot ended before it could be killed\n${describeRun(killed)}`);
      const left = lockFiles(repo);
      assert.equal(left.length, 1, 'the killed snapshot left no lock: nothing was tested');
      assert.equal(JSON.parse(readFileSync(join(repo, 'locks', left[0]!), 'utf8')).pid, pid);
      const prune = await run(['prune', '-q']);
      assert.equal(prune.code, 0, `the dead snapshot's lock blocked prune\n${describeRun(prune)}`);
      assert.deepEqual(lockFiles(repo), []);

      // The same for a killed prune (exclusive), against snapshot and forget.
      const killedPrune = await run(['prune', '-q'], { killAfterLock: { repo, ms: 0 } });
      assert.ok(killedPrune.killed, describeRun(killedPrune));
      assert.equal(lockFiles(repo).length, 1);
      const snap = await run(snapshotArgs());
      assert.equal(snap.code, 0, `the dead prune's lock blocked snapshot\n${describeRun(snap)}`);
      const forget = await run(['forget', '--apply-policy', '-q']);
      assert.equal(forget.code, 0, `forget after a killed prune\n${describeRun(forget)}`);
      assert.deepEqual(lockFiles(repo), []);
      await assertCheckPasses(env, 'after the killed snapshot and prune', dir);
      await verifyAll('after the killed snapshot and prune');
    }),
  );

  it(
    'a live holder makes the other command fail with CAIRN_E_REPO_LOCKED naming it (exit 1)',
    guard(async () => {
      // forget takes its lock only when it has something to remove: name a snapshot.
      const listed = await run(['snapshots', '--json']);
      const oldest = (JSON.parse(listed.stdout) as { snapshots: Array<{ id: string }> }).snapshots.at(-1)!.id;
      const held = await Repository.open(new LocalStorage(repo), secret);
      try {
        // Exclusive (a prune in this process): snapshot, prune and forget are all refused.
        const lock = await held.lock(true, 'prune');
        for (const args of [snapshotArgs(), ['prune'], ['forget', oldest]]) {
          const res = await run(args);
          const holder = assertLocked(res, `${args[0]} against an exclusive lock`);
          assert.deepEqual(
            [holder.operation, holder.pid, holder.host],
            ['prune', process.pid, hostname()],
            `${args[0]} named the wrong holder`,
          );
        }
        await lock.release();
        assert.deepEqual(lockFiles(repo), [], 'refused commands left locks behind');

        // Shared (a snapshot in this process): another snapshot runs, prune and forget are refused.
        const shared = await held.lock(false, 'snapshot');
        const snap = await run(snapshotArgs());
        assert.equal(snap.code, 0, `two snapshots at once\n${describeRun(snap)}`);
        for (const args of [['prune'], ['forget', oldest]]) {
          const holder = assertLocked(await run(args), `${args[0]} against a shared lock`);
          assert.equal(holder.operation, 'snapshot');
          assert.equal(holder.pid, process.pid);
        }
        await shared.release();
        const json = await run(['prune', '--json']);
        assert.equal(json.code, 0, describeRun(json));
      } finally {
        await held.close();
      }
    }),
  );

  it(
    'a stopped (live) snapshot blocks prune, and a stopped prune blocks snapshot; both finish when resumed',
    guard(async () => {
      for (const first of ['snapshot', 'prune'] as const) {
        let holderPid = 0;
        let resume: () => void = () => undefined;
        const holding = new Promise<void>((resolve) => {
          resume = resolve;
        });
        const firstArgs = first === 'snapshot' ? snapshotArgs() : ['prune', '-q', '--json'];
        // SIGSTOP the first command as soon as its lock exists: it holds the lock, alive, until SIGCONT.
        const firstRun = run(firstArgs, {
          killAfterLock: { repo },
          onSpawn: (pid) => {
            holderPid = pid;
            const poll = setInterval(() => {
              if (lockFiles(repo).length === 0) return;
              clearInterval(poll);
              process.kill(pid, 'SIGSTOP');
              resume();
            }, 2);
          },
        });
        await holding;
        try {
          const secondArgs = first === 'snapshot' ? ['prune', '-q'] : snapshotArgs();
          const second = await run(secondArgs);
          const holder = assertLocked(second, `${secondArgs[0]} while ${first} holds the lock`);
          assert.deepEqual([holder.operation, holder.pid], [first, holderPid]);
        } finally {
          process.kill(holderPid, 'SIGCONT');
        }
        const done = await firstRun;
        assert.equal(done.code, 0, `${first} after SIGCONT\n${describeRun(done)}`);
        assert.deepEqual(lockFiles(repo), []);
      }
      await assertCheckPasses(env, 'after the stopped holders', dir);
      await verifyAll('after the stopped holders');
    }),
  );

  it(
    'snapshot and prune started together: at most one is refused, nothing referenced is deleted',
    guard(async () => {
      const outcomes: string[] = [];
      for (let round = 1; round <= 6; round++) {
        // Garbage for prune: forgetting by policy drops the oldest snapshots beyond the last 3.
        const forget = await run(['forget', '--apply-policy', '-q']);
        assert.equal(forget.code, 0, describeRun(forget));
        const stagger = r.int(-800, 1800);
        const what = `seed ${seed} round ${round} (prune starts ${stagger} ms after snapshot)`;
        const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
        const [snap, prune] = await Promise.all([
          wait(-stagger).then(() => run(snapshotArgs())),
          wait(stagger).then(() => run(['prune', '-q', '--json'])),
        ]);
        for (const [name, res] of [
          ['snapshot', snap],
          ['prune', prune],
        ] as const) {
          if (res.code !== 0) {
            const holder = assertLocked(res, `${what}: ${name}`);
            assert.notEqual(holder.operation, name === 'snapshot' ? 'snapshot' : 'prune', what);
          }
        }
        outcomes.push(`${snap.code === 0 ? 'S' : 's'}${prune.code === 0 ? 'P' : 'p'}`);
        await assertCheckPasses(env, what, dir);
        await verifyAll(what);
      }
      process.stdout.write(`# lock: concurrent rounds (capital = succeeded): ${outcomes.join(' ')}\n`);
      const final = await run(['prune', '-q']);
      assert.equal(final.code, 0, describeRun(final));
      const report = await assertCheckPasses(env, 'final', dir);
      assert.deepEqual(report.warnings, []);
      await verifyAll('final');
    }),
  );

  it('in process: the lock is taken before anything else, and released on every path', async () => {
    const storage = new FaultStorage(new MemStorage());
    await Repository.init(storage, secret);
    const a = await Repository.open(storage, secret);
    const b = await Repository.open(storage, secret);
    const s1 = await a.lock(false, 'snapshot');
    const s2 = await b.lock(false, 'snapshot');
    await assert.rejects(b.lock(true, 'prune'), (err: unknown) => {
      assert.ok(isCairnError(err, 'CAIRN_E_REPO_LOCKED'), String(err));
      assert.match(err.message, /locked by snapshot \(pid \d+ on .+ since .+\); try again when it has finished/);
      assert.equal((err.details as { holder: { operation: string } }).holder.operation, 'snapshot');
      return true;
    });
    await s1.release();
    await s2.release();
    assert.deepEqual(await storage.list('locks/'), []);
    const x = await b.lock(true, 'prune');
    await assert.rejects(a.lock(false, 'snapshot'), (err: unknown) => isCairnError(err, 'CAIRN_E_REPO_LOCKED'));
    await assert.rejects(a.lock(true, 'forget'), (err: unknown) => isCairnError(err, 'CAIRN_E_REPO_LOCKED'));
    await x.release();
    assert.deepEqual(await storage.list('locks/'), []);
  });
});
