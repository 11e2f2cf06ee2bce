/**
 * Small helpers shared by the end-to-end tests of init, key, snapshot, snapshots and catalog: run a
 * command and read its JSON, count repository objects, run the CLI as an unprivileged user, and
 * create a throwaway PostgreSQL database.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, type CliResult, type Fixture, fixture } from './helpers.js';

export interface ItemResult {
  readonly item: string;
  readonly status: 'created' | 'unchanged' | 'partial' | 'failed';
  readonly id: string | null;
  readonly parent: string | null;
  readonly verification?: string;
  readonly files: number;
  readonly unreadable: ReadonlyArray<{ path: string; reason: string }>;
  readonly error?: { code: string; message: string; details?: Record<string, unknown> };
}

export interface Verification {
  readonly id: string;
  readonly snapshotId: string;
  readonly release: string | null;
  readonly commit: string | null;
  readonly change: string | null;
  readonly time: string;
}

export interface Hit {
  readonly id: string;
  readonly item: string;
  readonly environment: string | null;
  readonly tier: string | null;
  readonly trigger: string;
  readonly release: string | null;
  readonly commit: string | null;
  readonly change: string | null;
  readonly deployment: string | null;
  readonly pipeline: string | null;
  readonly actor: string;
  readonly host: string;
  readonly time: string;
  readonly parent: string | null;
  readonly status: 'complete' | 'partial';
  readonly unreadable: readonly string[];
  readonly verifications: readonly Verification[];
}

/** One group of `cairn stats --json`: an item, a tier or the total. */
export interface StatsGroup {
  snapshots: number;
  logical: { latest: number; retained: number };
  stored: { unique: number; shared: number };
  churn: { addedBytes: number; snapshots: number; bytesPerDay: number; snapshotsPerDay: number };
  projection: { growthBytes: number; storedBytes: number };
}
export interface StatsItem extends StatsGroup {
  item: string;
  tier: string | null;
  churn: StatsGroup['churn'] & { days: number };
  projection: StatsGroup['projection'] & {
    lockDays: number;
    keepDays: number | null;
    horizonDays: number | null;
    historyDays: number;
  };
}
/** The document `cairn stats --json` prints. */
export interface StatsReport {
  window: { period: string; days: number };
  projection: { period: string; days: number; model: string };
  items: StatsItem[];
  tiers: Array<StatsGroup & { tier: string; items: string[] }>;
  total: StatsGroup & { items: number };
  repository: {
    packs: number;
    packBytes: number;
    uniqueToItems: number;
    sharedBetweenItems: number;
    unreferenced: number;
    unindexed: number;
    missingPacks: number;
    missingBlobs: number;
  };
  days: Array<{ day: string; snapshots: number; addedBytes: number }>;
}

export type Env = Record<string, string | undefined>;

/** `cairn snapshot --json ARGS`: the exit code and the per-item results. */
export function snap(f: Fixture, args: readonly string[] = [], env: Env = {}): { r: CliResult; results: ItemResult[] } {
  const r = f.cli(['snapshot', '--json', ...args], { env });
  return { r, results: r.json<{ snapshots: ItemResult[] }>().snapshots };
}

/** The one result of `cairn snapshot --item ITEM --json ARGS`, asserting the exit code. */
export function snapOne(f: Fixture, item: string, args: readonly string[] = [], env: Env = {}, code = 0): ItemResult {
  const { r, results } = snap(f, ['--item', item, ...args], env);
  assert.equal(r.code, code, `snapshot exit ${r.code}:\n${r.stdout}\n${r.stderr}`);
  assert.equal(results.length, 1, r.stdout);
  return results[0]!;
}

/** `cairn snapshots --json ARGS` (asserting exit 0). */
export function search(f: Fixture, args: readonly string[] = [], env: Env = {}): Hit[] {
  const r = f.cli(['snapshots', '--json', ...args], { env });
  assert.equal(r.code, 0, `snapshots ${args.join(' ')} exit ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.json<{ snapshots: Hit[] }>().snapshots;
}

/** Ids of `cairn snapshots --json ARGS`, newest first. */
export function searchIds(f: Fixture, args: readonly string[] = []): string[] {
  return search(f, args).map((h) => h.id);
}

/** `cairn stats --json ARGS` (asserting exit 0). */
export function stats(f: Fixture, args: readonly string[] = [], env: Env = {}): StatsReport {
  const r = f.cli(['stats', '--json', ...args], { env });
  assertExit(r, 0);
  return r.json<StatsReport>();
}

/**
 * Several read-only commands at once (a few processes at a time): each command spends much of its
 * time waiting for scrypt and the disk, so this roughly halves a long list of searches.
 */
export async function cliMany(f: Fixture, argLists: ReadonlyArray<readonly string[]>, limit = 3): Promise<CliResult[]> {
  const results: CliResult[] = new Array(argLists.length);
  let next = 0;
  const worker = async () => {
    while (next < argLists.length) {
      const i = next++;
      results[i] = await cliAsync(f, argLists[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, argLists.length) }, worker));
  return results;
}

/** The ids each `cairn snapshots --json ARGS` finds, in the order given (asserting exit 0). */
export async function searchMany(f: Fixture, argLists: ReadonlyArray<readonly string[]>): Promise<string[][]> {
  const results = await cliMany(
    f,
    argLists.map((args) => ['snapshots', '--json', ...args]),
  );
  return results.map((r, i) => {
    assert.equal(r.code, 0, `snapshots ${argLists[i]!.join(' ')} exit ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.json<{ snapshots: Hit[] }>().snapshots.map((h) => h.id);
  });
}

/**
 * The environment runCli gives the binary: the machine's own CI variables left out, then the
 * fixture's and `extra` (undefined removes a variable).
 */
export function cliEnv(f: Fixture, extra: Env = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(GITHUB_|GITLAB_|CI_|JENKINS_|BUILD_|GIT_COMMIT$|TAG_NAME$|CI$)/.test(k)) env[k] = v;
  }
  for (const [k, v] of Object.entries({ ...f.env, ...extra })) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface CairnChild {
  readonly child: ChildProcess;
  /** What the child wrote on stdout so far. */
  stdout(): string;
  /** What the child wrote on stderr so far. */
  stderr(): string;
  /** Settles once the child has exited and its output is drained ('close'). */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `node [nodeArgs] bin/cairn.js ARGS` and collects both streams as they come. */
export function spawnCairn(
  args: readonly string[],
  opts: { env: Record<string, string>; cwd: string; nodeArgs?: readonly string[]; timeout?: number },
): CairnChild {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), BIN, ...args], {
    env: opts.env,
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, closed };
}

/**
 * `cairn ARGS` in a child process without blocking this one (for tests whose fake servers or proxies
 * run in this process), with the fixture's environment plus `env`.
 */
export async function cliAsync(f: Fixture, args: readonly string[], env: Env = {}): Promise<CliResult> {
  const c = spawnCairn(args, { env: cliEnv(f, env), cwd: f.dir, timeout: 120_000 });
  const { code } = await c.closed;
  return result(code ?? -1, c.stdout(), c.stderr());
}

function result(code: number, stdout: string, stderr: string): CliResult {
  return {
    code,
    stdout,
    stderr,
    json<T>() {
      try {
        return JSON.parse(stdout) as T;
      } catch {
        throw new Error(`not JSON (exit ${code}):\n${stdout}\n${stderr}`);
      }
    },
  };
}

/** How many objects a repository folder (snapshots, verifications, keys, …) holds. */
export function countObjects(f: Fixture, folder: string): number {
  const dir = join(f.repo, folder);
  if (!existsSync(dir)) return 0;
  let n = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else n++;
    }
  };
  walk(dir);
  return n;
}

/** The error document a command prints on stdout with --json. */
export function jsonError(r: CliResult): { code: string; message: string } {
  const doc = r.json<{ error?: { code: string; message: string } }>();
  assert.ok(doc.error, `no error document on stdout:\n${r.stdout}`);
  assert.equal(typeof doc.error.code, 'string');
  assert.equal(typeof doc.error.message, 'string');
  return doc.error;
}

export function assertExit(r: CliResult, code: number): void {
  assert.equal(r.code, code, `expected exit ${code}, got ${r.code}:\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
}

// --- as another user --------------------------------------------------------------------------

export const NOBODY = 65534;

/** Opens the fixture's scratch folder (src, repo, home) to the unprivileged user. */
function shareWithNobody(f: Fixture): void {
  const walk = (p: string) => {
    const st = statSync(p);
    chmodSync(p, st.isDirectory() ? 0o777 : 0o666);
    if (st.isDirectory()) for (const name of readdirSync(p)) walk(join(p, name));
  };
  walk(f.dir);
}

/**
 * A fixture whose repository the unprivileged user created and can use: root reads every file
 * whatever its mode, so unreadable-file tests run the CLI as user 65534 (setpriv, util-linux).
 * Being unable to fails the test rather than skipping it.
 */
export function nobodyFixture(): Fixture {
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (asRoot && spawnSync('setpriv', ['--version'], { encoding: 'utf8' }).status !== 0) {
    throw new Error('tests run as root need setpriv (util-linux) to make a file unreadable to cairn');
  }
  const f = fixture({ init: false });
  shareWithNobody(f);
  const r = cliAsNobody(f, ['init']);
  if (r.code !== 0) throw new Error(`init as user ${NOBODY} failed: ${r.stderr}`);
  return f;
}

/** Runs `cairn ARGS` with the fixture's environment, as user 65534 when the tests run as root. */
export function cliAsNobody(f: Fixture, args: readonly string[], extraEnv: Env = {}): CliResult {
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const [cmd, cmdArgs] = asRoot
    ? ['setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, BIN, ...args]]
    : [process.execPath, [BIN, ...args]];
  const env = cliEnv(f, { HOME: f.dir, ...extraEnv });
  const r = spawnSync(cmd, cmdArgs, { env, cwd: f.dir, input: '', encoding: 'utf8', timeout: 120_000 });
  return result(r.status ?? -1, r.stdout, r.stderr);
}

// --- PostgreSQL ---------------------------------------------------------------------------------

export const PG_ADMIN_URL = process.env.CAIRN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function psql(sql: string): { ok: boolean; output: string } {
  const u = new URL(PG_ADMIN_URL);
  const r = spawnSync(
    'psql',
    [
      '-h',
      u.hostname,
      '-p',
      u.port || '5432',
      '-U',
      decodeURIComponent(u.username || 'postgres'),
      '-d',
      u.pathname.slice(1) || 'postgres',
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      sql,
    ],
    { encoding: 'utf8', timeout: 30_000, env: { ...process.env, PGCONNECT_TIMEOUT: '5' } },
  );
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/**
 * A fresh database for one test; its URL, and a drop() to call when done. PostgreSQL not being there
 * fails the test (.ci/run starts it): the catalog must be shown to work on it, not assumed.
 */
export function freshPgDatabase(): { url: string; drop(): void } {
  const name = `cairn_e2e_${randomBytes(6).toString('hex')}`;
  const created = psql(`create database ${name}`);
  if (!created.ok) throw new Error(`PostgreSQL at ${PG_ADMIN_URL} is not usable: ${created.output.trim()}`);
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop() {
      psql(`drop database if exists ${name} with (force)`);
    },
  };
}
