/**
 * A disk that fills up during a snapshot (FaultStorage over LocalStorage or MemStorage, in process):
 * the item fails with CAIRN_E_STORAGE, nothing is recorded (no snapshots/ object, no catalog row),
 * earlier snapshots stay restorable, and once space is back the next run completes and
 * `checkRepository(readData)` passes. Replay a failure with CAIRN_TEST_SEED.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isCairnError } from '../src/errors/index.js';
import { type Policy, parsePolicy } from '../src/policy/index.js';
import {
  checkRepository,
  type ItemResult,
  openRepository,
  openSession,
  restoreSnapshot,
  type Session,
  takeSnapshots,
} from '../src/services/index.js';
import { FaultStorage, LocalStorage, MemStorage, type Storage } from '../src/storage/index.js';
import { Corpus, type CorpusState, initSmallPackRepository, rng, testSeed } from './crash-support.js';
import { ROOT, scratch } from './helpers.js';

const secret = { kind: 'password', value: 'disk full passphrase' } as const;
const MiB = 1024 * 1024;

function policyFor(dir: string, items: readonly string[]): Policy {
  const text = `version: 1
governance:
  retentionClasses:
    none: { keep: 0d }
tiers:
  t:
    retentionClass: none
    keep: { last: 100 }
items:
${items.map((name) => `  - name: ${name}\n    owner: ops@example.com\n    tier: t\n    sources:\n      - files: { root: ${name} }\n`).join('')}`;
  const file = join(dir, 'cairn.yaml');
  writeFileSync(file, text);
  return parsePolicy(text, file).policy;
}

interface Bench {
  readonly dir: string;
  readonly fault: FaultStorage;
  readonly policy: Policy;
  readonly corpora: Map<string, Corpus>;
  session: Session;
  release: number;
  /** snapshot id -> item and the state it was taken from */
  readonly taken: Map<string, { item: string; state: CorpusState }>;
}

async function bench(inner: (dir: string) => Storage, items: Record<string, { small: number; bigSize: number }>) {
  const dir = scratch('cairn-disk-full-');
  const fault = new FaultStorage(inner(dir));
  // Small packs: a fault lands between packs. Files stay under the size at which the snapshot
  // pipeline moves to worker threads, which cannot load .ts files under tsx (see the last test).
  await initSmallPackRepository(fault, secret);
  const corpora = new Map<string, Corpus>();
  for (const [name, o] of Object.entries(items)) {
    const c = new Corpus(join(dir, name), { smallFiles: o.small, bigFiles: 2, bigSize: o.bigSize, salt: name });
    c.create();
    corpora.set(name, c);
  }
  const policy = policyFor(dir, Object.keys(items));
  const session = await openSession({ repository: fault.location, secret, home: join(dir, 'home'), storage: fault });
  const b: Bench = { dir, fault, policy, corpora, session, release: 0, taken: new Map() };
  return b;
}

/** One run over every item; what each created is remembered with the state it was taken from. */
async function run(b: Bench, items?: string[]): Promise<ItemResult[]> {
  const states = new Map([...b.corpora].map(([name, c]) => [name, c.state()]));
  const results = await takeSnapshots(b.session, b.policy, {
    run: { release: `2.0.${b.release++}` },
    force: true,
    ...(items ? { items } : {}),
  });
  for (const r of results)
    if (r.id && r.status === 'created') b.taken.set(r.id, { item: r.item, state: states.get(r.item)! });
  return results;
}

async function objectKeys(storage: Storage, prefix: string): Promise<string[]> {
  return (await storage.list(prefix)).map((o) => o.key).sort();
}

async function catalogIds(session: Session): Promise<string[]> {
  return (await session.catalog.findSnapshots({})).map((s) => s.id).sort();
}

/** Every snapshot taken so far restores byte for byte, through the restore service. */
async function assertAllRestore(b: Bench, what: string): Promise<void> {
  for (const [id, { item, state }] of b.taken) {
    const record = await b.session.catalog.getSnapshot(id);
    assert.ok(record, `${what}: snapshot ${id} of ${item} is not in the catalog`);
    const target = join(b.dir, 'restore', id.slice(0, 12));
    const res = await restoreSnapshot(b.session.repo, record, { target });
    assert.deepEqual(res.failed, [], `${what}: restore of ${id}`);
    b.corpora.get(item)!.assertDir(target, state, `${what}: restore of ${id.slice(0, 12)}`);
    rmSync(target, { recursive: true, force: true });
  }
}

/** check --read-data on a freshly opened repository: no errors (packs no index names are only warnings). */
async function assertCheck(b: Bench, what: string, opts: { noWarnings?: boolean } = {}): Promise<void> {
  const repo = await openRepository({ repository: b.fault.location, secret, storage: b.fault });
  try {
    const report = await checkRepository(repo, { readData: true });
    assert.deepEqual(report.errors, [], `${what}: check errors`);
    assert.equal(report.ok, true, what);
    for (const w of report.warnings) assert.equal(w.code, 'CAIRN_E_UNREFERENCED', `${what}: ${w.message}`);
    if (opts.noWarnings) assert.deepEqual(report.warnings, [], `${what}: check warnings`);
  } finally {
    await repo.close();
  }
}

function assertDiskFull(r: ItemResult | undefined, what: string): void {
  assert.ok(r, what);
  assert.equal(r.status, 'failed', `${what}: ${JSON.stringify(r)}`);
  assert.equal(r.id, null, what);
  assert.equal(r.error?.code, 'CAIRN_E_STORAGE', `${what}: ${JSON.stringify(r.error)}`);
  assert.match(r.error?.message ?? '', /disk full/, what);
}

describe('disk full during a snapshot', () => {
  const seed = testSeed('disk-full');
  const benches: Bench[] = [];
  after(async () => {
    for (const b of benches) {
      await b.session.close();
      rmSync(b.dir, { recursive: true, force: true });
    }
  });

  it('fails the item between two packs, records nothing, and the next run completes (LocalStorage)', async () => {
    // About 3.5 MiB of new data in 256 KiB packs: the disk fills up after some of them are written.
    const b = await bench((dir) => new LocalStorage(join(dir, 'repo')), { app: { small: 300, bigSize: 1.5 * MiB } });
    benches.push(b);
    const app = b.corpora.get('app')!;
    const [first] = await run(b);
    assert.equal(first?.status, 'created', JSON.stringify(first));

    app.mutate(rng(seed), { fraction: 0.5, big: 'replace' });
    const snapshotsBefore = await objectKeys(b.fault, 'snapshots/');
    const catalogBefore = await catalogIds(b.session);
    const packsBefore = await objectKeys(b.fault, 'packs/');
    // Room for about half of what the run writes (it writes about what the first run wrote).
    b.fault.failPutAfterBytes(Math.floor(first!.addedBytes / 2));
    const [full] = await run(b);
    assertDiskFull(full, 'pack put on a full disk');
    assert.ok(
      (await objectKeys(b.fault, 'packs/')).length > packsBefore.length,
      'the disk filled up before the first pack of the run was written: the fault did not hit mid-snapshot',
    );
    assert.deepEqual(await objectKeys(b.fault, 'snapshots/'), snapshotsBefore, 'a snapshot object was written');
    assert.deepEqual(await catalogIds(b.session), catalogBefore, 'the catalog changed');
    assert.deepEqual(readdirSync(join(b.dir, 'repo', 'tmp')), [], 'temporary files left behind');
    await assertAllRestore(b, 'after the failed run');
    await assertCheck(b, 'after the failed run');

    b.fault.reset();
    const [again] = await run(b);
    assert.equal(again?.status, 'created', `the run after space came back: ${JSON.stringify(again)}`);
    await assertAllRestore(b, 'after the next run');
    await assertCheck(b, 'after the next run');
  });

  it('fails at seeded random fill levels, every phase of the write order, and recovers each time (MemStorage)', async () => {
    const r = rng(seed ^ 0x5eed);
    const b = await bench(() => new MemStorage(), { cfg: { small: 300, bigSize: 1.5 * MiB } });
    benches.push(b);
    const cfg = b.corpora.get('cfg')!;
    const [first] = await run(b);
    assert.equal(first?.status, 'created');
    // Budgets are drawn against what a run after a mutation writes, not against the first (full) run:
    // a run writes about a third of that, and budgets drawn against it rarely filled the disk.
    cfg.mutate(r, { fraction: 0.3, big: true });
    const [warm] = await run(b);
    assert.equal(warm?.status, 'created');
    let lastAdded = warm!.addedBytes;
    // Random budgets across the bytes a run writes, plus the edges: nothing at all, and all but the
    // snapshot object (a few hundred bytes).
    const budgets = [0, ...Array.from({ length: 4 }, () => Math.floor(r.next() * 1.2 * lastAdded)), lastAdded + 64];
    let failures = 0;
    for (const [i, budget] of budgets.entries()) {
      const what = `seed ${seed} budget #${i} (${budget} bytes of ~${lastAdded})`;
      cfg.mutate(r, { fraction: 0.3, big: r.chance(0.5) ? true : 'replace' });
      const snapshotsBefore = await objectKeys(b.fault, 'snapshots/');
      const catalogBefore = await catalogIds(b.session);
      // The lock object is written first: leave room for it, then the budget.
      b.fault.failPutAfterBytes(512 + budget);
      const [res] = await run(b);
      if (res?.status === 'created') {
        // The budget was enough for this run's data: nothing to check but that it is whole.
        assert.ok(res.addedBytes <= budget, `${what}: created with ${res.addedBytes} bytes added`);
      } else {
        assertDiskFull(res, what);
        failures++;
        assert.deepEqual(await objectKeys(b.fault, 'snapshots/'), snapshotsBefore, `${what}: snapshot object written`);
        assert.deepEqual(await catalogIds(b.session), catalogBefore, `${what}: the catalog changed`);
        await assertCheck(b, what);
      }
      b.fault.reset();
      const [next] = await run(b);
      assert.equal(next?.status, 'created', `${what}: the next run: ${JSON.stringify(next)}`);
      lastAdded = Math.max(lastAdded, next!.addedBytes);
      await assertCheck(b, `${what}, next run`);
    }
    assert.ok(failures >= 2, `seed ${seed}: only ${failures} of ${budgets.length} budgets filled the disk`);
    await assertAllRestore(b, `seed ${seed}`);

    // Each object of the write order failing in turn: packs, the index, the snapshot object.
    for (const prefix of ['packs/', 'index/', 'snapshots/']) {
      cfg.mutate(r, { fraction: 0.2, big: true });
      const snapshotsBefore = await objectKeys(b.fault, 'snapshots/');
      b.fault.failOn('put', (k) => k.startsWith(prefix), 'ENOSPC');
      const [res] = await run(b);
      assertDiskFull(res, `put of ${prefix} on a full disk`);
      assert.deepEqual(await objectKeys(b.fault, 'snapshots/'), snapshotsBefore, `${prefix}: snapshot object written`);
      await assertCheck(b, `${prefix} failed`);
      b.fault.reset();
      const [next] = await run(b);
      assert.equal(next?.status, 'created', `${prefix}: the next run: ${JSON.stringify(next)}`);
    }
    await assertAllRestore(b, 'after every phase failed once');
    await assertCheck(b, 'at the end');
  });

  it('a failed item does not leak into the next item of the same run', async () => {
    // Item a fails on its first pack; item b, with overlapping content, is written in the same run.
    const b = await bench((dir) => new LocalStorage(join(dir, 'repo')), {
      a: { small: 200, bigSize: 1.5 * MiB },
      b: { small: 200, bigSize: 1.5 * MiB },
    });
    benches.push(b);
    b.fault.failOn('put', (k) => k.startsWith('packs/'), 'ENOSPC', 1);
    const results = await run(b);
    assertDiskFull(results[0], 'item a');
    assert.equal(results[0]!.item, 'a');
    assert.equal(results[1]?.status, 'created', `item b: ${JSON.stringify(results[1])}`);
    b.fault.reset();
    await assertAllRestore(b, 'item b');
    await assertCheck(b, 'after item a failed');
    const [retry] = await run(b, ['a']);
    assert.equal(retry?.status, 'created', JSON.stringify(retry));
    await assertAllRestore(b, 'both items');
    await assertCheck(b, 'at the end');
  });

  it('a full disk while taking the lock fails the run before anything is written', async () => {
    const b = await bench(() => new MemStorage(), { x: { small: 20, bigSize: 0.5 * MiB } });
    benches.push(b);
    b.fault.failPutAfterBytes(0);
    await assert.rejects(
      run(b),
      (err: unknown) => isCairnError(err, 'CAIRN_E_STORAGE') && /disk full/.test(err.message),
    );
    assert.deepEqual(await objectKeys(b.fault, 'packs/'), []);
    assert.deepEqual(await objectKeys(b.fault, 'locks/'), []);
    b.fault.reset();
    const [res] = await run(b);
    assert.equal(res?.status, 'created');
    await assertCheck(b, 'after the lock failed', { noWarnings: true });
    assert.ok(!existsSync(join(b.dir, 'repo')), 'MemStorage wrote to disk');
  });

  it('with worker threads: a full disk mid-run leaves nothing behind for the next run of the same session', async () => {
    // Worker threads cannot load .ts under tsx: bundle the scenario (test/disk-full-threads.ts) with
    // its workers as scripts/build.mjs does, inside the project so native modules resolve, and run it.
    const { build } = await import('esbuild');
    const cache = join(ROOT, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    const out = mkdtempSync(join(cache, 'cairn-disk-full-'));
    const work = scratch('cairn-disk-full-threads-');
    try {
      await build({
        entryPoints: {
          harness: join(ROOT, 'test', 'disk-full-threads.ts'),
          'snapshot-worker': join(ROOT, 'src', 'services', 'snapshot-worker.ts'),
          'seal-worker': join(ROOT, 'src', 'repo', 'seal-worker.ts'),
        },
        outdir: out,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        external: ['better-sqlite3', 'zstd-napi', 'pg', 'pg-native', 'esbuild'],
        banner: {
          js: "import { createRequire as __cairnRequire } from 'node:module'; const require = __cairnRequire(import.meta.url);",
        },
        logLevel: 'error',
      });
      const res = spawnSync(process.execPath, [join(out, 'harness.js'), work, '3', String(seed)], {
        encoding: 'utf8',
        timeout: 240_000,
      });
      assert.equal(res.status, 0, `harness failed (seed ${seed}):\n${res.stdout}\n${res.stderr}`);
      const lines = res.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(lines[0], { first: 'created' });
      let failures = 0;
      for (const line of lines.slice(1)) {
        const what = `seed ${seed} round ${line.round}: ${JSON.stringify(line)}`;
        const failed = line.failed as { status: string; code?: string; snapshotWritten: boolean };
        if (failed.status === 'failed') {
          failures++;
          assert.equal(failed.code, 'CAIRN_E_STORAGE', what);
        }
        assert.equal(failed.snapshotWritten, failed.status !== 'failed', what);
        assert.equal((line.next as { status: string }).status, 'created', what);
        assert.deepEqual(line.errors, [], what);
        assert.equal(line.restored, 'identical', what);
      }
      assert.ok(failures > 0, `seed ${seed}: no run hit the full disk`);
    } finally {
      rmSync(out, { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    }
  });
});
