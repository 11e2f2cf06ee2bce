/**
 * Helpers for end-to-end tests: run the real `cairn` binary (bin/cairn.js over dist/, built by the
 * test command) against a scratch folder with a small policy, repository and local state.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = join(ROOT, 'bin', 'cairn.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  json<T = Record<string, unknown>>(): T;
}

export interface Fixture {
  readonly dir: string; // scratch root
  readonly src: string; // configuration tree the policy points at
  readonly repo: string;
  readonly home: string;
  readonly env: Record<string, string>;
  cli(
    args: readonly string[],
    opts?: { env?: Record<string, string | undefined>; cwd?: string; input?: string },
  ): CliResult;
  write(rel: string, content: string | Buffer): string;
}

export function scratch(prefix = 'cairn-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function runCli(
  args: readonly string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string; input?: string } = {},
): CliResult {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    // CI variables of the machine running the tests must not leak into metadata assertions; a test
    // that wants them passes them in opts.env.
    if (v === undefined || /^(GITHUB_|GITLAB_|CI_|JENKINS_|BUILD_|GIT_COMMIT$|TAG_NAME$|CI$)/.test(k)) continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [BIN, ...args], {
    env,
    cwd: opts.cwd ?? ROOT,
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: 120_000,
  });
  return {
    code: r.status ?? -1,
    stdout: r.stdout,
    stderr: r.stderr,
    json<T>() {
      try {
        return JSON.parse(r.stdout) as T;
      } catch {
        throw new Error(`not JSON (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
      }
    },
  };
}

export const SMALL_POLICY = `version: 1
governance:
  retentionClasses:
    short: { keep: 0d }
tiers:
  2:
    retentionClass: short
    keep: { last: 2 }
environments:
  prod: {}
  dev: {}
items:
  - name: app-prod
    owner: team@example.com
    tier: 2
    environment: prod
    component: app
    sources:
      - files: { root: src/prod }
  - name: app-dev
    owner: team@example.com
    tier: 2
    environment: dev
    sources:
      - files: { root: src/dev }
`;

/** A scratch folder with src/{prod,dev} configuration, cairn.yaml, and (unless init: false) a repository. */
export function fixture(opts: { policy?: string; init?: boolean } = {}): Fixture {
  const dir = scratch();
  const src = join(dir, 'src');
  const env = {
    CAIRN_PASSWORD: 'test passphrase',
    CAIRN_REPOSITORY: join(dir, 'repo'),
    CAIRN_HOME: join(dir, 'home'),
    CAIRN_CONFIG: join(dir, 'cairn.yaml'),
  };
  const write = (rel: string, content: string | Buffer) => {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
    return p;
  };
  for (const envName of ['prod', 'dev']) {
    write(
      `src/${envName}/deployment.yaml`,
      `apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: ${envName === 'prod' ? 6 : 1}\n`,
    );
    write(
      `src/${envName}/app.env`,
      `LOG_LEVEL=${envName === 'prod' ? 'info' : 'debug'}\nDB_PASSWORD=\${DB_PASSWORD}\n`,
    );
    write(`src/${envName}/nested/deep/config.json`, JSON.stringify({ env: envName, timeoutMs: 3000 }, null, 2));
  }
  write('cairn.yaml', opts.policy ?? SMALL_POLICY);
  const f: Fixture = {
    dir,
    src,
    repo: env.CAIRN_REPOSITORY,
    home: env.CAIRN_HOME,
    env,
    write,
    cli: (args, o = {}) => runCli(args, { ...o, env: { ...env, ...o.env }, cwd: o.cwd ?? dir }),
  };
  if (opts.init !== false) {
    const r = f.cli(['init']);
    if (r.code !== 0) throw new Error(`init failed: ${r.stderr}`);
  }
  return f;
}

export interface PolicyTier {
  /** The retention class the tier names. */
  readonly class: string;
  readonly last: number;
  readonly lock?: { readonly mode: 'compliance' | 'governance'; readonly for: string };
}

export interface PolicyItem {
  readonly name: string;
  readonly tier: string;
  /** The one files source's root. */
  readonly root: string;
  /** Default: NAME@example.com. */
  readonly owner?: string;
}

/**
 * A cairn.yaml with retention classes (name → keep), tiers (`keep: { last }`, an optional WORM lock)
 * and items of one files source each: the retention and S3 tests' policies, written one way.
 */
export function policyYaml(opts: {
  readonly classes: Readonly<Record<string, string>>;
  readonly tiers: Readonly<Record<string, PolicyTier>>;
  readonly items: readonly PolicyItem[];
}): string {
  const lines = ['version: 1', 'governance:', '  retentionClasses:'];
  for (const [name, keep] of Object.entries(opts.classes)) lines.push(`    ${name}: { keep: ${keep} }`);
  lines.push('tiers:');
  for (const [name, t] of Object.entries(opts.tiers)) {
    lines.push(`  ${name}:`, `    retentionClass: ${t.class}`);
    if (t.lock) lines.push(`    lock: { mode: ${t.lock.mode}, for: ${t.lock.for} }`);
    lines.push(`    keep: { last: ${t.last} }`);
  }
  lines.push('items:');
  for (const item of opts.items) {
    lines.push(
      `  - name: ${item.name}`,
      `    owner: ${item.owner ?? `${item.name}@example.com`}`,
      `    tier: ${item.tier}`,
      '    sources:',
      `      - files: { root: ${item.root} }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The policy of the WORM tests: class none (keep 0d), tier `worm` (a `lock`, default compliance for
 * 1d) and tier `free` (no lock), each keeping the last one, and the items given.
 */
export function wormPolicy(
  items: readonly PolicyItem[],
  lock: NonNullable<PolicyTier['lock']> = { mode: 'compliance', for: '1d' },
): string {
  return policyYaml({
    classes: { none: '0d' },
    tiers: { worm: { class: 'none', lock, last: 1 }, free: { class: 'none', last: 1 } },
    items,
  });
}
