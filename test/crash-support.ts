/**
 * Support for the crash, lock and retention tests: a seeded PRNG, a regenerable corpus (every file's
 * bytes are a function of its path and version, so the expected content of any snapshot can be
 * rebuilt without keeping copies), an async `cairn` runner that can SIGKILL the child, and checks
 * of a repository's snapshots against the corpus states they were taken from.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { newConfig, writeConfig } from '../src/repo/config.js';
import { newMasterKey, randomId } from '../src/repo/crypto.js';
import { Repository, type Secret, type SnapshotObject } from '../src/repo/index.js';
import { addKey } from '../src/repo/keys.js';
import { flattenTree } from '../src/services/tree-walk.js';
import { LocalStorage, type Storage } from '../src/storage/index.js';
import { spawnCairn } from './e2e.js';
import { ROOT, scratch } from './helpers.js';

// ---- seeded randomness ---------------------------------------------------------------------------

/** The seed of this test file: CAIRN_TEST_SEED to replay a failure, else a fresh one (printed). */
export function testSeed(label: string): number {
  const fromEnv = process.env.CAIRN_TEST_SEED;
  const seed = fromEnv ? Number(fromEnv) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
  process.stdout.write(`# ${label}: seed ${seed} (replay with CAIRN_TEST_SEED=${seed})\n`);
  return seed;
}

export interface Rng {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

/** mulberry32: small, fast, and the same sequence on every platform for a given seed. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]!,
  };
}

/** The policy of the crash, lock and prune suites: one item over `src`, no retention, keep the last N. */
export function corpusPolicy(keepLast: number): string {
  return `version: 1
governance:
  retentionClasses:
    none: { keep: 0d }
tiers:
  t:
    retentionClass: none
    keep: { last: ${keepLast} }
items:
  - name: corpus
    owner: crash@example.com
    tier: t
    sources:
      - files: { root: src }
`;
}

/** A seeded scene for one test file: its seed and generator, a scratch folder, and the CLI environment. */
export function scene(name: string, password: string) {
  const seed = testSeed(name);
  const dir = scratch(`cairn-${name}-`);
  const repo = join(dir, 'repo');
  const env = {
    CAIRN_PASSWORD: password,
    CAIRN_REPOSITORY: repo,
    CAIRN_HOME: join(dir, 'home'),
    CAIRN_CONFIG: join(dir, 'cairn.yaml'),
  };
  return { seed, r: rng(seed), dir, repo, env };
}

// ---- corpus ------------------------------------------------------------------------------------

/** path (relative, '/'-separated) -> version; the state of the source tree at one moment. */
export type CorpusState = ReadonlyMap<string, number>;

export interface CorpusOptions {
  readonly smallFiles: number;
  readonly bigFiles: number;
  readonly bigSize: number;
  readonly salt: string;
}

/**
 * A source tree whose content is a pure function of (salt, path, version). Small files are YAML-ish
 * text (they compress and group into segments); big files are AES-CTR keystream (incompressible,
 * cut by the chunker), patched in place from one version to the next so most chunks dedup.
 */
export class Corpus {
  private readonly versions = new Map<string, number>();
  private nextNew = 0;

  constructor(
    readonly root: string,
    readonly options: CorpusOptions,
  ) {}

  /** Writes the initial tree. */
  create(): void {
    for (let i = 0; i < this.options.smallFiles; i++) this.set(smallPath(i), 0);
    for (let i = 0; i < this.options.bigFiles; i++) this.set(`blobs/big-${i}.bin`, 0);
    this.nextNew = this.options.smallFiles;
  }

  state(): CorpusState {
    return new Map(this.versions);
  }

  get fileCount(): number {
    return this.versions.size;
  }

  /**
   * Changes the tree: a share of the small files gets a new version, a few are removed and a few
   * added, and (if asked) one big file gets a new version. Returns the new state.
   */
  mutate(r: Rng, opts: { fraction: number; big?: boolean | 'replace' }): CorpusState {
    const small = [...this.versions.keys()].filter((p) => !p.startsWith('blobs/'));
    for (const p of small) if (r.chance(opts.fraction)) this.set(p, this.versions.get(p)! + 1);
    for (let k = r.int(0, 3); k > 0 && small.length > 0; k--) {
      const p = r.pick(small);
      if (!this.versions.has(p)) continue;
      rmSync(join(this.root, p));
      this.versions.delete(p);
    }
    for (let k = r.int(0, 3); k > 0; k--) this.set(smallPath(this.nextNew++), 0);
    if (opts.big === 'replace') {
      // Every big file gets new content throughout (the next multiple of 4: see bigContent).
      for (let i = 0; i < this.options.bigFiles; i++) {
        const p = `blobs/big-${i}.bin`;
        this.set(p, (Math.floor(this.versions.get(p)! / 4) + 1) * 4);
      }
    } else if (opts.big && this.options.bigFiles > 0) {
      const p = `blobs/big-${r.int(0, this.options.bigFiles - 1)}.bin`;
      this.set(p, this.versions.get(p)! + 1);
    }
    return this.state();
  }

  content(path: string, version: number): Buffer {
    return path.startsWith('blobs/') ? this.bigContent(path, version) : this.smallContent(path, version);
  }

  /** Asserts that dir holds exactly the files of state, byte for byte. */
  assertDir(dir: string, state: CorpusState, what: string): void {
    const found = listFiles(dir);
    const expected = [...state.keys()].sort();
    assert.deepEqual(found, expected, `${what}: the restored file list differs from the source's`);
    for (const p of expected) {
      const got = readFileSync(join(dir, p));
      if (!got.equals(this.content(p, state.get(p)!))) assert.fail(`${what}: ${p} differs from the source`);
    }
  }

  private set(path: string, version: number): void {
    const abs = join(this.root, path);
    mkdirSync(dirname(abs), { recursive: true });
    rmSync(abs, { force: true }); // a new inode: the snapshot's change detection must see it
    writeFileSync(abs, this.content(path, version));
    this.versions.set(path, version);
  }

  private smallContent(path: string, version: number): Buffer {
    const h = createHash('sha256').update(`${this.options.salt}:${path}:${version}`).digest();
    const lines = 8 + (h[0]! % 60);
    let out = `# ${path} v${version}\napiVersion: v1\nkind: ConfigMap\ndata:\n`;
    for (let l = 0; l < lines; l++) {
      const b = h[(l * 7) % 32]! ^ l;
      out += `  key_${l}: value-${(b * 2654435761) % 100_000}-${h[l % 32]!.toString(16)}\n`;
    }
    return Buffer.from(out);
  }

  private bigContent(path: string, version: number): Buffer {
    const { bigSize, salt } = this.options;
    // Every fourth version replaces the file; the others patch a few places of the last base.
    const base = version - (version % 4);
    const data = keystream(`${salt}:${path}:base:${base}`, bigSize);
    for (let v = base + 1; v <= version; v++) {
      const patch = createHash('sha256').update(`${salt}:${path}:patch:${v}`).digest();
      for (let k = 0; k < 3; k++) {
        const len = 4096;
        const off = patch.readUInt32LE(k * 4) % (bigSize - len);
        keystream(`${salt}:${path}:patch:${v}:${k}`, len).copy(data, off);
      }
    }
    return data;
  }
}

function smallPath(i: number): string {
  return `svc${String(i % 37).padStart(2, '0')}/env${i % 5}/conf-${i}.yaml`;
}

function keystream(label: string, size: number): Buffer {
  const key = createHash('sha256').update(label).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

/** Every regular file under dir, as sorted '/'-separated relative paths. */
export function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return prefix ? out : out.sort();
}

/** Bytes of every file under dir (a repository's size on disk, near enough). */
export function treeSize(dir: string): number {
  let n = 0;
  for (const p of listFiles(dir)) n += statSync(join(dir, p)).size;
  return n;
}

/**
 * A repository as `cairn init` makes it, but with 256 KiB packs of 64 KiB segments: a run of a few
 * MiB writes many packs, so a fault can land between packs.
 */
export async function initSmallPackRepository(storage: Storage, secret: Secret): Promise<void> {
  const master = newMasterKey();
  await addKey(storage, master, secret);
  await writeConfig(storage, master, { ...newConfig(randomId()), segmentSize: 64 * 1024, packSize: 256 * 1024 });
}

// ---- running cairn -----------------------------------------------------------------------------

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly killed: boolean;
  readonly ms: number;
  /** With killAfterLock: when (ms after spawn) the child's lock object appeared, if it did. */
  readonly lockedAtMs: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env: Record<string, string | undefined>;
  readonly cwd?: string;
  /** SIGKILL the child this many milliseconds after spawning it. */
  readonly killAfterMs?: number;
  /**
   * SIGKILL the child this many milliseconds after its lock object appears under <repo>/locks
   * (polled every few ms): the delay then falls in the command's work, not in Node's start-up.
   * With ms undefined, only record when the lock appeared.
   */
  readonly killAfterLock?: { readonly repo: string; readonly ms?: number | undefined };
  /** Extra node flags before bin/cairn.js (e.g. --import of a crash hook). */
  readonly nodeArgs?: readonly string[];
  /** Called once the child is spawned (for tests that kill on their own schedule). */
  readonly onSpawn?: (pid: number, kill: () => void) => void;
}

/**
 * Runs `cairn args` asynchronously (so several can run at once, and one can be killed). A start that
 * fails because dist/ is being rebuilt by a concurrent `npm run build` is retried: that is the
 * workstation, not the code under test.
 */
export async function cairn(args: readonly string[], opts: RunOptions): Promise<RunResult> {
  for (let attempt = 1; ; attempt++) {
    const r = await cairnOnce(args, opts);
    if (attempt >= 10 || r.killed || !/ERR_MODULE_NOT_FOUND|Cannot find module .*dist/.test(r.stderr)) return r;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function cairnOnce(args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...opts.env })) {
    if (v === undefined || /^(GITHUB_|GITLAB_|CI_|JENKINS_|BUILD_|NODE_OPTIONS$)/.test(k)) continue;
    env[k] = v;
  }
  const started = performance.now();
  const spawned = spawnCairn(args, {
    env,
    cwd: opts.cwd ?? ROOT,
    ...(opts.nodeArgs ? { nodeArgs: opts.nodeArgs } : {}),
  });
  const { child } = spawned;
  let killed = false;
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) {
      killed = true;
      child.kill('SIGKILL');
    }
  };
  const timer = opts.killAfterMs === undefined ? undefined : setTimeout(kill, opts.killAfterMs);
  const watchdog = setTimeout(kill, 180_000);
  let lockedAtMs: number | undefined;
  let lockTimer: NodeJS.Timeout | undefined;
  const watch = opts.killAfterLock;
  const locksDir = watch && join(watch.repo, 'locks');
  const earlier = new Set(locksDir && existsSync(locksDir) ? readdirSync(locksDir) : []);
  const poll =
    locksDir &&
    setInterval(() => {
      if (!existsSync(locksDir) || !readdirSync(locksDir).some((name) => !earlier.has(name))) return;
      lockedAtMs = performance.now() - started;
      clearInterval(poll);
      if (watch.ms !== undefined) lockTimer = setTimeout(kill, watch.ms);
    }, 3);
  if (child.pid !== undefined) opts.onSpawn?.(child.pid, kill);
  // 'close' comes after the child has been reaped and its output drained.
  const done = spawned.closed.finally(() => {
    clearTimeout(timer);
    clearTimeout(watchdog);
    clearTimeout(lockTimer);
    if (poll) clearInterval(poll);
  });
  const { code, signal } = await done;
  return {
    code,
    signal,
    killed: killed && signal === 'SIGKILL',
    ms: performance.now() - started,
    lockedAtMs,
    stdout: spawned.stdout(),
    stderr: spawned.stderr(),
  };
}

export function describeRun(r: RunResult): string {
  return `exit ${r.code} signal ${r.signal} after ${Math.round(r.ms)} ms\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`;
}

/**
 * A module for `node --import` that SIGKILLs the process just before its Nth change to the
 * repository folder (an object linked into place, a file unlinked or removed, a sidecar renamed),
 * counting from 1; CAIRN_TEST_KILL_AT=0 only counts. The count is written to CAIRN_TEST_OPS_FILE at
 * exit, so a test can tell how many changes a complete run made.
 */
export function writeKillHook(dir: string): string {
  const file = join(dir, 'kill-hook.mjs');
  writeFileSync(
    file,
    `import { promises as fs, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
const repo = resolve(process.env.CAIRN_REPOSITORY) + '/';
const killAt = Number(process.env.CAIRN_TEST_KILL_AT ?? '0');
const opsFile = process.env.CAIRN_TEST_OPS_FILE;
let ops = 0;
const inRepo = (p) => typeof p === 'string' && resolve(p).startsWith(repo) && !resolve(p).startsWith(repo + 'tmp/');
for (const name of ['link', 'unlink', 'rm', 'rename']) {
  const real = fs[name].bind(fs);
  fs[name] = async (...args) => {
    const target = args[name === 'link' || name === 'rename' ? 1 : 0];
    if (inRepo(target)) {
      ops++;
      if (ops === killAt) process.kill(process.pid, 'SIGKILL');
    }
    return real(...args);
  };
}
if (opsFile) process.on('exit', () => writeFileSync(opsFile, String(ops)));
`,
  );
  return file;
}

// ---- checking a repository ---------------------------------------------------------------------

export interface CheckJson {
  readonly ok: boolean;
  readonly snapshots: number;
  readonly packs: number;
  readonly errors: ReadonlyArray<{ code: string; message: string }>;
  readonly warnings: ReadonlyArray<{ code: string; message: string }>;
}

/** `cairn check --read-data --json`: exit 0, no errors; warnings only about unreferenced packs. */
export async function assertCheckPasses(env: RunOptions['env'], what: string, cwd?: string): Promise<CheckJson> {
  const r = await cairn(['check', '--read-data', '--json'], { env, ...(cwd ? { cwd } : {}) });
  let report: CheckJson;
  try {
    report = JSON.parse(r.stdout) as CheckJson;
  } catch {
    assert.fail(`${what}: check printed no report\n${describeRun(r)}`);
  }
  assert.deepEqual(report.errors, [], `${what}: check reports errors\n${describeRun(r)}`);
  assert.equal(r.code, 0, `${what}: check failed\n${describeRun(r)}`);
  for (const w of report.warnings)
    assert.equal(w.code, 'CAIRN_E_UNREFERENCED', `${what}: unexpected warning ${w.message}`);
  return report;
}

export interface StoredSnapshot {
  readonly id: string;
  readonly object: SnapshotObject;
}

export interface VerifiedSnapshot extends StoredSnapshot {
  readonly tree: string;
  readonly state: CorpusState;
}

/**
 * Reads a repository with its own code in this process. `inspect` lists every snapshot object and
 * reads every file of every snapshot through the repository's read path (index lookup, segment
 * decryption, blob-id check), comparing it byte for byte with the corpus state it was taken from: a
 * restore into memory. A file whose blobs were already compared is not read again (its bytes cannot
 * change under the same blob ids, and `check --read-data` re-reads every blob on each round), which
 * keeps checking every snapshot after every crash within the time budget.
 */
export class RepoInspector {
  private readonly compared = new Set<string>();

  constructor(
    readonly repoDir: string,
    readonly password: string,
    readonly corpus: Corpus,
  ) {}

  async open(): Promise<Repository> {
    return Repository.open(new LocalStorage(this.repoDir), { kind: 'password', value: this.password });
  }

  async inspect(stateOf: (s: StoredSnapshot) => CorpusState, what: string): Promise<VerifiedSnapshot[]> {
    const repo = await this.open();
    try {
      await repo.loadIndex();
      const out: VerifiedSnapshot[] = [];
      for (const id of await repo.listIds('snapshots')) {
        const object = await repo.loadSnapshot(id);
        const snap = { id, object, tree: object.tree, state: stateOf({ id, object }) };
        await this.compare(repo, snap, what);
        out.push(snap);
      }
      return out.sort((a, b) => a.object.meta.time.localeCompare(b.object.meta.time));
    } finally {
      await repo.close();
    }
  }

  private async compare(repo: Repository, snap: VerifiedSnapshot, what: string): Promise<void> {
    const label = `${what}: snapshot ${snap.id.slice(0, 12)}`;
    const files = (await flattenTree(repo, snap.tree)).filter((e) => e.entry.type === 'file');
    assert.deepEqual(
      files.map((f) => f.path).sort(),
      [...snap.state.keys()].sort(),
      `${label}: the file list differs from the source's`,
    );
    for (const f of files) {
      const version = snap.state.get(f.path)!;
      const key = `${f.path}\0${version}\0${(f.entry.blobs ?? []).join(',')}`;
      if (this.compared.has(key)) continue;
      const parts: Buffer[] = [];
      for (const b of f.entry.blobs ?? []) parts.push(await repo.loadBlob(b));
      if (!Buffer.concat(parts).equals(this.corpus.content(f.path, version)))
        assert.fail(`${label}: ${f.path} differs from the source`);
      this.compared.add(key);
    }
  }
}

/** `cairn restore ID --target DIR` into a fresh folder and a byte-for-byte comparison with the state. */
export async function assertCliRestore(
  env: RunOptions['env'],
  corpus: Corpus,
  snap: { id: string; state: CorpusState },
  target: string,
  what: string,
): Promise<void> {
  rmSync(target, { recursive: true, force: true });
  const r = await cairn(['restore', snap.id, '--target', target, '--json'], { env });
  assert.equal(r.code, 0, `${what}: restore of ${snap.id.slice(0, 12)} failed\n${describeRun(r)}`);
  corpus.assertDir(target, snap.state, `${what}: restore of ${snap.id.slice(0, 12)}`);
  rmSync(target, { recursive: true, force: true });
}
