/**
 * FORMAT.md "prune never deletes referenced data": `cairn prune` killed with SIGKILL at seeded random
 * points (random delays after it took its lock, and just before a random one of its changes to the
 * repository folder) leaves every remaining snapshot restorable and `cairn check --read-data` clean;
 * the next prune finishes the job. Replay a failure with CAIRN_TEST_SEED=<seed printed in the message>.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parsePolicy } from '../src/policy/index.js';
import { Repository } from '../src/repo/index.js';
import {
  checkRepository,
  forgetSnapshots,
  initRepository,
  openSession,
  prune as pruneService,
  restoreSnapshot,
  takeSnapshots,
} from '../src/services/index.js';
import { FaultStorage, MemStorage } from '../src/storage/index.js';
import {
  assertCheckPasses,
  assertCliRestore,
  Corpus,
  type CorpusState,
  cairn,
  corpusPolicy,
  describeRun,
  RepoInspector,
  rng,
  scene,
  treeSize,
  type VerifiedSnapshot,
  writeKillHook,
} from './crash-support.js';
import { scratch } from './helpers.js';

const KILLS = Number(process.env.CAIRN_CRASH_RUNS ?? 20);
const HOOK_KILLS = Math.max(4, Math.ceil(KILLS / 4));
const PASSWORD = 'crash prune passphrase';
const KEEP = 3;

const POLICY = corpusPolicy(KEEP);

describe('prune killed with SIGKILL at random points', () => {
  const { seed, r, dir, repo, env } = scene('crash-prune', PASSWORD);
  const corpus = new Corpus(join(dir, 'src'), { smallFiles: 2000, bigFiles: 2, bigSize: 1536 << 10, salt: `p${seed}` });
  const inspector = new RepoInspector(repo, PASSWORD, corpus);
  const hook = writeKillHook(dir);
  const states = new Map<string, CorpusState>();
  let releases = 0;
  let failed = false;

  /** The remaining snapshots, read back in full; prune must never change which they are. */
  let live: VerifiedSnapshot[] = [];
  const inspect = (what: string) =>
    inspector.inspect((s) => {
      const state = states.get(s.object.meta.release ?? '');
      assert.ok(state, `${what}: snapshot ${s.id} has release ${s.object.meta.release}, which no run used`);
      return state;
    }, what);

  /** New snapshots, then forget by policy: the forgotten ones' data is what prune must remove. */
  const makeGarbage = async (snapshots: number, what: string) => {
    for (let i = 0; i < snapshots; i++) {
      const release = `3.0.${releases++}`;
      states.set(release, corpus.mutate(r, { fraction: 0.3, big: r.chance(0.3) ? 'replace' : r.chance(0.5) }));
      const snap = await cairn(['snapshot', '-q', '--release', release], { env, cwd: dir });
      assert.equal(snap.code, 0, `${what}: snapshot\n${describeRun(snap)}`);
    }
    const forget = await cairn(['forget', '--apply-policy', '--json'], { env, cwd: dir });
    assert.equal(forget.code, 0, `${what}: forget\n${describeRun(forget)}`);
    const decided = JSON.parse(forget.stdout) as { removed: number };
    live = await inspect(`${what}: after forget`);
    assert.equal(live.length, Math.min(KEEP, releases), `${what}: forget removed ${decided.removed}`);
  };

  /** After a killed (or finished) prune: check is clean and the same snapshots all read back whole. */
  const assertIntact = async (what: string) => {
    await assertCheckPasses(env, what, dir);
    const now = await inspect(what);
    assert.deepEqual(
      now.map((s) => s.id),
      live.map((s) => s.id),
      `${what}: prune changed the set of snapshots`,
    );
  };

  before(async () => {
    corpus.create();
    writeFileSync(env.CAIRN_CONFIG, POLICY);
    const init = await cairn(['init', '-q'], { env, cwd: dir });
    assert.equal(init.code, 0, describeRun(init));
    await makeGarbage(KEEP + 1, `seed ${seed} setup`);
  });
  after(() => {
    if (failed || process.env.CAIRN_TEST_KEEP) process.stdout.write(`# crash-prune: repository kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `cairn prune`; with killMs, SIGKILLs it that long after it took its lock. */
  const prune = (
    killMs: number | undefined,
    extraEnv: Record<string, string> = {},
    nodeArgs: string[] = [],
    args: string[] = [],
  ) =>
    cairn(['prune', '--json', ...args], {
      env: { ...env, ...extraEnv },
      cwd: dir,
      nodeArgs,
      killAfterLock: { repo, ms: killMs },
    });

  it(`prune never deletes referenced data: ${KILLS} kills at random delays leave every snapshot restorable`, async () => {
    try {
      // Calibrate on a dry run: it reads what a real prune reads, and holds the same lock.
      const dry = await prune(undefined, {}, [], ['--dry-run']);
      assert.equal(dry.code, 0, describeRun(dry));
      let workMs = (dry.ms - (dry.lockedAtMs ?? 0)) * 1.5;
      let kills = 0;
      let finished = 0;
      for (let round = 1; kills < KILLS; round++) {
        assert.ok(round <= KILLS * 3, `seed ${seed}: only ${kills} of ${round - 1} prunes were killed`);
        const delay = Math.round(workMs * 1.1 * r.next());
        const what = `seed ${seed} round ${round} (kill ${delay} ms after the lock, of ~${Math.round(workMs)} ms)`;
        const res = await prune(delay);
        if (res.killed) kills++;
        else {
          assert.equal(res.code, 0, `${what}: prune failed\n${describeRun(res)}`);
          workMs = res.ms - (res.lockedAtMs ?? 0);
          finished++;
        }
        await assertIntact(what);
        if (!res.killed) await makeGarbage(1, what);
      }
      process.stdout.write(`# crash-prune: ${kills} killed, ${finished} finished prunes\n`);
    } catch (err) {
      failed = true;
      throw err;
    }
  });

  it(`${HOOK_KILLS} kills just before a random change to the repository folder`, async () => {
    try {
      // How many changes (links, unlinks, removals, renames under the repository) a whole prune makes.
      const opsFile = join(dir, 'ops');
      const nodeArgs = ['--import', hook];
      let ops = 8;
      let garbage = false; // the last prune of the previous test finished
      for (let round = 1; round <= HOOK_KILLS; round++) {
        if (!garbage) await makeGarbage(1, `seed ${seed} hook round ${round}`);
        const at = r.int(1, ops);
        const what = `seed ${seed} hook round ${round} (kill before change ${at} of ~${ops})`;
        rmSync(opsFile, { force: true });
        const res = await prune(undefined, { CAIRN_TEST_KILL_AT: String(at), CAIRN_TEST_OPS_FILE: opsFile }, nodeArgs);
        garbage = res.signal === 'SIGKILL';
        if (!garbage) {
          assert.equal(res.code, 0, `${what}: prune failed\n${describeRun(res)}`);
          ops = Number(readFileSync(opsFile, 'utf8'));
        }
        await assertIntact(what);
      }
    } catch (err) {
      failed = true;
      throw err;
    }
  });

  it('a final prune finishes the job: no unreferenced packs, less space, every snapshot restores', async () => {
    try {
      const before = treeSize(join(repo, 'packs'));
      const res = await prune(undefined);
      assert.equal(res.code, 0, `seed ${seed}: ${describeRun(res)}`);
      assert.deepEqual(readdirSync(join(repo, 'locks')), [], `seed ${seed}: locks of killed prunes are left`);
      const report = await assertCheckPasses(env, `seed ${seed} final`, dir);
      assert.deepEqual(report.warnings, [], `seed ${seed}: unreferenced packs after a complete prune`);
      assert.ok(treeSize(join(repo, 'packs')) <= before, `seed ${seed}: a complete prune grew the packs`);
      live = await inspect(`seed ${seed} final`);
      assert.equal(live.length, KEEP);
      // Every remaining snapshot restored to disk by the restore service, the newest by the CLI too.
      const session = await openSession({
        repository: repo,
        secret: { kind: 'password', value: PASSWORD },
        home: join(dir, 'test-home'),
      });
      try {
        for (const s of live) {
          const record = await session.catalog.getSnapshot(s.id);
          assert.ok(record, `${s.id} is not in the catalog`);
          const target = join(dir, 'restore', s.id.slice(0, 12));
          const out = await restoreSnapshot(session.repo, record, { target });
          assert.deepEqual(out.failed, [], `seed ${seed}: restore of ${s.id}`);
          corpus.assertDir(target, s.state, `seed ${seed}: restore of ${s.id.slice(0, 12)}`);
          rmSync(target, { recursive: true, force: true });
        }
      } finally {
        await session.close();
      }
      await assertCliRestore(env, corpus, live.at(-1)!, join(dir, 'restore-cli'), `seed ${seed} final`);
      assert.ok(!existsSync(join(dir, 'restore-cli')));
    } catch (err) {
      failed = true;
      throw err;
    }
  });
});

describe('prune interrupted between its steps (in process)', () => {
  it('a crash after the new index leaves check clean, and the next prune keeps one copy of each blob', async () => {
    const dir = scratch('cairn-prune-steps-');
    try {
      const fault = new FaultStorage(new MemStorage());
      const secret = { kind: 'password', value: PASSWORD } as const;
      await initRepository({ repository: fault.location, secret, storage: fault });
      const corpus = new Corpus(join(dir, 'src'), { smallFiles: 400, bigFiles: 1, bigSize: 1 << 20, salt: 'steps' });
      corpus.create();
      const policy = parsePolicy(POLICY, join(dir, 'cairn.yaml')).policy;
      const session = await openSession({
        repository: fault.location,
        secret,
        home: join(dir, 'home'),
        storage: fault,
      });
      const states = new Map<string, CorpusState>();
      try {
        const take = async () => {
          const state = corpus.state();
          const [res] = await takeSnapshots(session, policy, { run: {} });
          assert.equal(res?.status, 'created', JSON.stringify(res));
          states.set(res!.id!, state);
          return res!.id!;
        };
        const first = await take();
        corpus.mutate(rng(7), { fraction: 0.7, big: 'replace' });
        const second = await take();
        await forgetSnapshots(session.repo, session.catalog, [first], {});

        const check = async (what: string) => {
          const repo = await Repository.open(fault, secret);
          try {
            const report = await checkRepository(repo, { readData: true });
            assert.deepEqual(report.errors, [], what);
            await repo.loadIndex();
            const copies = new Map<string, number>();
            for (const p of repo.index.packs.values())
              for (const seg of p.segments) for (const [id] of seg.blobs) copies.set(id, (copies.get(id) ?? 0) + 1);
            return [...copies.values()].filter((n) => n > 1).length;
          } finally {
            await repo.close();
          }
        };
        // Step 3 (deleting the old index files) fails: repacked blobs now live in two indexed packs.
        fault.failOn('delete', (k) => k.startsWith('index/'), 'EIO');
        await assert.rejects(pruneService(session.repo, {}), /EIO|I\/O error/);
        fault.reset();
        assert.ok((await check('after the interrupted prune')) > 0, 'the interrupted prune repacked nothing');

        const sizeBefore = (await fault.list('packs/')).reduce((n, o) => n + o.size, 0);
        const repo = await Repository.open(fault, secret);
        try {
          const result = await pruneService(repo, {});
          assert.ok(result.bytesFreed > 0, JSON.stringify(result));
        } finally {
          await repo.close();
        }
        assert.equal(await check('after the complete prune'), 0, 'blobs are stored twice after a complete prune');
        const sizeAfter = (await fault.list('packs/')).reduce((n, o) => n + o.size, 0);
        assert.ok(sizeAfter < sizeBefore, `packs went from ${sizeBefore} to ${sizeAfter} bytes`);
        const record = await session.catalog.getSnapshot(second);
        const target = join(dir, 'restore');
        const out = await restoreSnapshot(await Repository.open(fault, secret), record!, { target });
        assert.deepEqual(out.failed, []);
        corpus.assertDir(target, states.get(second)!, 'the remaining snapshot');
      } finally {
        await session.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
