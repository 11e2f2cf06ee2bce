/**
 * FORMAT.md "snapshot is the commit point": `cairn snapshot` killed with SIGKILL at seeded random
 * moments leaves every earlier snapshot intact and restorable, `cairn check --read-data` clean (at
 * worst packs no index names), and a lock that does not block the next command.
 * Replay a failure with CAIRN_TEST_SEED=<seed printed in the message>; CAIRN_CRASH_RUNS sets the kills.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSession, restoreSnapshot } from '../src/services/index.js';
import {
  assertCheckPasses,
  assertCliRestore,
  Corpus,
  type CorpusState,
  cairn,
  corpusPolicy,
  describeRun,
  RepoInspector,
  scene,
} from './crash-support.js';

const KILLS = Number(process.env.CAIRN_CRASH_RUNS ?? 20);
const PASSWORD = 'crash test passphrase';

const POLICY = corpusPolicy(1000);

describe('snapshot killed with SIGKILL at random points', () => {
  const { seed, r, dir, repo, env } = scene('crash-snapshot', PASSWORD);
  const corpus = new Corpus(join(dir, 'src'), { smallFiles: 2000, bigFiles: 2, bigSize: 2 << 20, salt: `s${seed}` });
  /** release -> the source state while that snapshot ran (set before the process starts). */
  const states = new Map<string, CorpusState>();
  let failed = false;

  before(async () => {
    corpus.create();
    writeFileSync(env.CAIRN_CONFIG, POLICY);
    const init = await cairn(['init', '-q'], { env, cwd: dir });
    assert.equal(init.code, 0, describeRun(init));
  });
  after(() => {
    if (failed || process.env.CAIRN_TEST_KEEP) process.stdout.write(`# crash-snapshot: repository kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  });

  /** `cairn snapshot`, killed `killMs` after it took its lock (if given). */
  const snapshot = (release: string, killMs?: number) =>
    cairn(['snapshot', '-q', '--json', '--release', release], { env, cwd: dir, killAfterLock: { repo, ms: killMs } });

  const inspector = new RepoInspector(repo, PASSWORD, corpus);
  /** Every snapshot in the repository, read back and compared with the state it was taken from. */
  const expected = (what: string) =>
    inspector.inspect((s) => {
      const state = states.get(s.object.meta.release ?? '');
      assert.ok(state, `${what}: snapshot ${s.id} has release ${s.object.meta.release}, which no run used`);
      assert.equal(s.object.status, 'complete', `${what}: snapshot ${s.id} is ${s.object.status}`);
      return state;
    }, what);

  it(`snapshot is the commit point: ${KILLS} kills leave every earlier snapshot restorable and check clean`, async () => {
    try {
      states.set('1.0.0', corpus.state());
      const first = await snapshot('1.0.0');
      assert.equal(first.code, 0, describeRun(first));
      // How long a run works once it holds its lock; kills are spread over that window.
      let workMs = first.ms - (first.lockedAtMs ?? 0);
      let kills = 0;
      let completed = 1;
      let killedAfterCommit = 0; // killed once its snapshot object was written
      const committed = new Set<string>((await expected('baseline')).map((s) => s.id));
      for (let run = 1; kills < KILLS; run++) {
        assert.ok(
          run <= KILLS * 3,
          `seed ${seed}: only ${kills} of ${run - 1} runs were killed; the kill window is off`,
        );
        const release = `1.0.${run}`;
        states.set(release, corpus.mutate(r, { fraction: 0.3, big: r.chance(0.5) }));
        // Anywhere in the work; a few runs finish first (the window is a little longer than a run).
        const delay = Math.round(workMs * 1.1 * r.next());
        const what = `seed ${seed} run ${run} (kill ${delay} ms after the lock, of ~${Math.round(workMs)} ms)`;
        const res = await snapshot(release, delay);
        if (res.killed) kills++;
        else {
          // A completed run proves the previous kill's lock did not block it.
          assert.equal(res.code, 0, `${what}: snapshot failed\n${describeRun(res)}`);
          workMs = res.ms - (res.lockedAtMs ?? 0);
          completed++;
        }

        await assertCheckPasses(env, what, dir);
        const snaps = await expected(what);
        const ids = new Set(snaps.map((s) => s.id));
        for (const id of committed) assert.ok(ids.has(id), `${what}: earlier snapshot ${id} is gone`);
        if (res.killed && ids.size > committed.size) killedAfterCommit++;
        for (const id of ids) committed.add(id);
        if (!res.killed) {
          const id = (res.stdout && JSON.parse(res.stdout).snapshots[0].id) as string;
          assert.ok(ids.has(id), `${what}: the completed snapshot ${id} is not in the repository`);
        }
        if (run % 5 === 0) {
          const pick = r.pick(snaps);
          await assertCliRestore(env, corpus, pick, join(dir, 'restore-cli'), what);
        }
      }
      process.stdout.write(
        `# crash-snapshot: ${kills} killed (${killedAfterCommit} after the snapshot object), ${completed} completed\n`,
      );

      // A complete run after the last kill, then prune removes what the kills left behind.
      const last = `1.0.${states.size}`;
      states.set(last, corpus.mutate(r, { fraction: 0.1, big: true }));
      const fin = await snapshot(last);
      assert.equal(fin.code, 0, `seed ${seed}: the snapshot after the last kill failed\n${describeRun(fin)}`);
      assert.deepEqual(
        existsSync(join(repo, 'locks')) ? readdirSync(join(repo, 'locks')) : [],
        [],
        `seed ${seed}: locks of killed processes are left after a complete run`,
      );
      const prune = await cairn(['prune', '--json'], { env, cwd: dir });
      assert.equal(prune.code, 0, `seed ${seed}: prune failed\n${describeRun(prune)}`);
      const report = await assertCheckPasses(env, `seed ${seed} after prune`, dir);
      assert.deepEqual(report.warnings, [], `seed ${seed}: prune left unreferenced packs`);

      // Every snapshot restored to disk with the restore service, the oldest and newest also by the CLI.
      const snaps = await expected(`seed ${seed} final`);
      for (const id of committed)
        assert.ok(
          snaps.some((s) => s.id === id),
          `seed ${seed}: ${id} is gone after prune`,
        );
      const session = await openSession({
        repository: repo,
        secret: { kind: 'password', value: PASSWORD },
        home: join(dir, 'test-home'),
      });
      try {
        for (const s of snaps) {
          const target = join(dir, 'restore', s.id.slice(0, 12));
          const record = await session.catalog.getSnapshot(s.id);
          assert.ok(record, `seed ${seed}: ${s.id} is not in the catalog`);
          const res = await restoreSnapshot(session.repo, record, { target });
          assert.deepEqual(res.failed, [], `seed ${seed}: restore of ${s.id} failed`);
          corpus.assertDir(target, s.state, `seed ${seed}: restore of ${s.id.slice(0, 12)} (${s.object.meta.release})`);
          rmSync(target, { recursive: true, force: true });
        }
      } finally {
        await session.close();
      }
      for (const s of [snaps[0]!, snaps.at(-1)!])
        await assertCliRestore(env, corpus, s, join(dir, 'restore-cli'), `seed ${seed} final`);
    } catch (err) {
      failed = true;
      throw err;
    }
  });
});
