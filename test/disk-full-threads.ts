/**
 * Not a test file: a script that disk-full.test.ts bundles with esbuild (with the snapshot and seal
 * workers, as scripts/build.mjs does) and runs, because worker threads cannot load .ts files under
 * `node --import tsx`, so the threaded snapshot pipeline cannot run in a test process.
 *
 * One session, many runs: each round fills the disk part-way through a snapshot that reads enough to
 * use worker threads, then frees it and snapshots again in the same session. Prints one JSON line per
 * round: the failed run's result, the next run's, check's errors and a byte-for-byte restore.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicy } from '../src/policy/index.js';
import { Repository } from '../src/repo/index.js';
import { checkRepository, initRepository, openSession, restoreSnapshot, takeSnapshots } from '../src/services/index.js';
import { FaultStorage, MemStorage } from '../src/storage/index.js';
import { Corpus, type CorpusState, rng } from './crash-support.js';

const dir = process.argv[2]!;
const rounds = Number(process.argv[3] ?? 3);
const seed = Number(process.argv[4] ?? 1);
const secret = { kind: 'password', value: 'threads' } as const;
const MiB = 1024 * 1024;

const r = rng(seed);
// 6 x 3 MiB of incompressible data: above the 8 MiB at which the pipeline uses worker threads, more
// batches than it keeps in flight, and more than a pack: the first pack is written mid-run.
const corpus = new Corpus(join(dir, 'src'), { smallFiles: 300, bigFiles: 6, bigSize: 3 * MiB, salt: `t${seed}` });
corpus.create();
const text = `version: 1
tiers:
  t:
    keep: { last: 100 }
items:
  - name: x
    owner: ops@example.com
    tier: t
    sources:
      - files: { root: src }
`;
const policy = parsePolicy(text, join(dir, 'cairn.yaml')).policy;
const fault = new FaultStorage(new MemStorage());
await initRepository({ repository: fault.location, secret, storage: fault });
const session = await openSession({ repository: fault.location, secret, home: join(dir, 'home'), storage: fault });
const snap = async () => {
  const [res] = await takeSnapshots(session, policy, { run: {}, force: true });
  return res!;
};
const first = await snap();
process.stdout.write(`${JSON.stringify({ first: first.status })}\n`);
for (let round = 1; round <= rounds; round++) {
  const state: CorpusState = corpus.mutate(r, { fraction: 1, big: 'replace' });
  const snapshotsBefore = (await fault.list('snapshots/')).length;
  // Less than the first pack: the disk is full part-way through the files.
  fault.failPutAfterBytes(Math.floor((0.2 + 0.6 * r.next()) * session.repo.config.packSize));
  const failed = await snap();
  const snapshotsAfter = (await fault.list('snapshots/')).length;
  fault.reset();
  const next = await snap();
  const repo = await Repository.open(fault, secret);
  let errors: string[];
  try {
    errors = (await checkRepository(repo, { readData: true })).errors.map((e) => e.message);
  } finally {
    await repo.close();
  }
  let restored = 'not tried';
  const record = next.id ? await session.catalog.getSnapshot(next.id) : undefined;
  if (record) {
    const target = join(dir, `restore-${round}`);
    try {
      const out = await restoreSnapshot(session.repo, record, { target });
      if (out.failed.length > 0) restored = `failed: ${JSON.stringify(out.failed.slice(0, 3))}`;
      else {
        corpus.assertDir(target, state, `round ${round}`);
        restored = 'identical';
      }
    } catch (err) {
      restored = String(err);
    }
    rmSync(target, { recursive: true, force: true });
  }
  process.stdout.write(
    `${JSON.stringify({
      round,
      failed: { status: failed.status, code: failed.error?.code, snapshotWritten: snapshotsAfter !== snapshotsBefore },
      next: { status: next.status, error: next.error?.message },
      errors: errors.slice(0, 3),
      restored,
    })}\n`,
  );
}
await session.close();
