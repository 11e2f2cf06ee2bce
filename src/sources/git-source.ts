import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { GitSource } from '../policy/index.js';
import { contentEntry, dirEntry, redactUrl, scrub, secretsOf, sourceError, tail } from './content.js';
import type { PathFilter } from './files-source.js';
import { catBlobs } from './git-cat.js';
import { lockCache } from './git-lock.js';
import { sourceLabel } from './label.js';
import { runProcess } from './run-process.js';
import type { CollectOptions, SourceEntry, SourceResult } from './types.js';

type Env = Readonly<Record<string, string | undefined>>;

interface TreeLine {
  readonly mode: string;
  readonly type: string;
  readonly oid: string;
  /** Bytes of a blob; undefined for a submodule's commit. */
  readonly size: number | undefined;
  readonly path: string;
}

/** What one git source may read: per file and in all (blobs are held in memory until stored). */
export interface GitLimits {
  readonly maxFile: number;
  readonly maxTotal: number;
}

export const GIT_LIMITS: GitLimits = { maxFile: 64 * 1024 * 1024, maxTotal: 512 * 1024 * 1024 };

/**
 * The tree of a ref, read with the `git` binary and no working copy: `path` sources read the local
 * repository, `url` sources fetch the ref (depth 1) into a bare cache repository first. Modes come
 * from the tree (100755 → 0755, 120000 → symlink); times are 0, so the content decides.
 * Files over `limits.maxFile`, or more than `limits.maxTotal` in all, fail the source before any is read.
 */
export async function readGitSource(
  source: GitSource,
  filter: PathFilter,
  item: string,
  opts: CollectOptions = {},
  limits: GitLimits = GIT_LIMITS,
): Promise<SourceResult> {
  const env = gitEnv(opts.env ?? process.env);
  const label = sourceLabel(source);
  const secrets = source.url ? secretsOf(source.url) : [];
  const fail = (problem: string, extra: Record<string, unknown> = {}) =>
    sourceError(item, label, scrub(problem, secrets), {
      kind: 'git',
      ref: source.ref,
      ...(source.url ? { url: redactUrl(source.url) } : { path: source.path }),
      ...extra,
    });
  const git = async (gitDir: string, args: string[], max = 256 * 1024 * 1024) => {
    const r = await runProcess({
      command: 'git',
      args: ['-C', gitDir, ...args],
      env,
      timeoutMs: source.timeoutMs,
      maxOutput: max,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (r.spawnError) throw fail(`the git program could not be started: ${r.spawnError}`);
    if (r.timedOut) throw fail(`git ${args[0]} did not finish within ${source.timeoutMs} ms`);
    if (r.aborted) throw fail('cancelled');
    return r;
  };

  if (!source.url) return readTree(source.path!, source.ref);
  const url = source.url;
  const cacheDir = join(opts.gitCache ?? defaultGitCache(opts.env ?? process.env), hash(url).slice(0, 24));
  let unlock: (() => void) | undefined;
  try {
    mkdirSync(dirname(cacheDir), { recursive: true });
    // One fetch per cache repository at a time (git's shallow.lock would fail the second one).
    unlock = await lockCache(cacheDir, source.timeoutMs, Math.max(2 * source.timeoutMs, 10 * 60_000), opts.signal);
  } catch (err) {
    throw fail(`cannot lock the cache repository ${cacheDir}: ${err instanceof Error ? err.message : err}`);
  }
  if (!unlock) {
    if (opts.signal?.aborted) throw fail('cancelled');
    throw fail(`the cache repository ${cacheDir} stayed locked by another fetch for ${source.timeoutMs} ms`);
  }
  let fetched: string;
  try {
    fetched = await fetchIntoCache(cacheDir, url);
  } finally {
    unlock();
  }
  return readTree(cacheDir, fetched);

  /** Fetches the ref (depth 1) into the bare cache repository; returns the local ref it is kept under. */
  async function fetchIntoCache(gitDir: string, url: string): Promise<string> {
    if (!existsSync(join(gitDir, 'HEAD'))) {
      mkdirSync(gitDir, { recursive: true });
      const init = await git(gitDir, ['init', '--bare', '-q']);
      if (init.code !== 0) throw fail(`cannot create the cache repository ${gitDir}: ${tail(init.stderr)}`);
    }
    const local = `refs/cairn/fetched/${hash(source.ref).slice(0, 16)}`;
    const fetch = await git(gitDir, [
      'fetch',
      '-q',
      '--depth',
      '1',
      '--no-tags',
      '--end-of-options',
      url,
      `+${source.ref}:${local}`,
    ]);
    if (fetch.code !== 0) {
      const err = tail(fetch.stderr);
      if (/couldn't find remote ref|not our ref|unadvertised object|no such remote ref|invalid refspec/i.test(err)) {
        throw fail(`ref ${source.ref} does not exist in ${redactUrl(url)}`, { stderr: scrub(err, secrets) });
      }
      throw fail(`git fetch failed (exit ${fetch.code}): ${err}`, { stderr: scrub(err, secrets) });
    }
    return local;
  }

  async function readTree(gitDir: string, commitish: string): Promise<SourceResult> {
    const rev = await git(gitDir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${commitish}^{commit}`]);
    if (rev.code !== 0) {
      const err = tail(rev.stderr);
      if (/not a git repository/i.test(err)) throw fail(`${gitDir} is not a git repository`);
      throw fail(`ref ${source.ref} does not exist in ${source.url ? redactUrl(source.url) : gitDir}`);
    }
    const commit = rev.stdout.toString('utf8').trim();
    const args = ['ls-tree', '-r', '-z', '--long', '--full-tree', commit];
    if (source.subdir) args.push('--', source.subdir);
    const ls = await git(gitDir, args);
    if (ls.code !== 0) throw fail(`git ls-tree failed (exit ${ls.code}): ${tail(ls.stderr)}`);
    let lines: TreeLine[];
    try {
      lines = parseLsTree(ls.stdout);
    } catch (err) {
      throw fail(`cannot read the tree of ${commit.slice(0, 12)}: ${err instanceof Error ? err.message : err}`);
    }
    const prefix = source.subdir ? `${source.subdir.replace(/\/+$/, '')}/` : '';
    if (prefix && !lines.some((l) => l.path.startsWith(prefix))) {
      throw fail(`folder ${source.subdir} does not exist at ${source.ref} (${commit.slice(0, 12)})`, { commit });
    }
    const chosen = lines
      .filter((l) => l.type === 'blob' && l.path.startsWith(prefix))
      .map((l) => ({ ...l, path: l.path.slice(prefix.length) }))
      .filter((l) => passes(filter, l.path));
    let total = 0;
    for (const l of chosen) {
      const size = l.size ?? 0;
      if (size > limits.maxFile) {
        throw fail(
          `${l.path} is ${size} bytes at ${commit.slice(0, 12)}, over the limit of ${limits.maxFile} bytes per file`,
          {
            commit,
            file: l.path,
            size,
            maxFile: limits.maxFile,
          },
        );
      }
      total += size;
    }
    if (total > limits.maxTotal) {
      throw fail(
        `the ${chosen.length} files at ${commit.slice(0, 12)} are ${total} bytes, over the limit of ${limits.maxTotal} bytes`,
        {
          commit,
          size: total,
          maxTotal: limits.maxTotal,
        },
      );
    }
    let blobs: Map<string, Buffer>;
    try {
      blobs = await catBlobs(
        gitDir,
        chosen.map((l) => l.oid),
        env,
        { timeoutMs: source.timeoutMs, maxFile: limits.maxFile, ...(opts.signal ? { signal: opts.signal } : {}) },
      );
    } catch (err) {
      if (opts.signal?.aborted) throw fail('cancelled');
      throw fail(`reading the files of ${commit.slice(0, 12)} failed: ${err instanceof Error ? err.message : err}`);
    }
    const entries: SourceEntry[] = [];
    const dirs = new Set<string>();
    for (const l of chosen) {
      const parts = l.path.split('/');
      for (let i = 1; i < parts.length; i++) {
        const d = parts.slice(0, i).join('/');
        if (!dirs.has(d)) {
          dirs.add(d);
          entries.push(dirEntry(d));
        }
      }
      const data = blobs.get(l.oid)!;
      if (l.mode === '120000') {
        entries.push({
          ...contentEntry(l.path, Buffer.alloc(0), 0o777),
          type: 'symlink',
          size: 0,
          target: data.toString('utf8'),
        });
      } else {
        entries.push(contentEntry(l.path, data, l.mode === '100755' ? 0o755 : 0o644));
      }
    }
    return { entries, unreadable: [] };
  }
}

/** `git ls-tree -r -z --long` output: "<mode> <type> <oid> <size>\t<path>\0" records. */
export function parseLsTree(out: Buffer): TreeLine[] {
  const lines: TreeLine[] = [];
  for (const rec of out.toString('utf8').split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, type, oid, size] = tab < 0 ? [] : rec.slice(0, tab).trim().split(/\s+/);
    if (!mode || !type || !oid || !size || (size !== '-' && !/^\d+$/.test(size))) {
      throw new Error(`unexpected git ls-tree output: ${JSON.stringify(rec.slice(0, 200))}`);
    }
    lines.push({ mode, type, oid, size: size === '-' ? undefined : Number(size), path: rec.slice(tab + 1) });
  }
  return lines;
}

/** A file passes when every folder above it and the file itself pass the item's filter. */
function passes(filter: PathFilter, path: string): boolean {
  const parts = path.split('/');
  for (let i = 1; i < parts.length; i++) if (!filter(parts.slice(0, i).join('/'), true)) return false;
  return filter(path, false);
}

/** What of the caller's environment git gets: where programs and ssh keys are, locale, proxies, CA files. */
const GIT_PASSED = [
  'PATH',
  'HOME',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TMPDIR',
  'GIT_SSH_COMMAND',
  'GIT_SSH',
  'SSH_AUTH_SOCK',
  'GIT_SSL_CAINFO',
  'GIT_SSL_CAPATH',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'all_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
];

/**
 * The environment of every git command: only the variables listed above (nothing that points git at
 * another repository or injects configuration: GIT_DIR, GIT_CONFIG_*), no system gitconfig, never a
 * password prompt.
 */
export function gitEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of GIT_PASSED) {
    const v = env[k];
    if (v !== undefined) out[k] = v;
  }
  out.GIT_CONFIG_NOSYSTEM = '1';
  out.GIT_TERMINAL_PROMPT = '0';
  out.GIT_ASKPASS = 'true';
  return out;
}

/** $CAIRN_HOME/git-cache (CAIRN_HOME defaults like the CLI's: $XDG_STATE_HOME/cairn or ~/.local/state/cairn). */
export function defaultGitCache(env: Env): string {
  const home = env.CAIRN_HOME
    ? resolve(env.CAIRN_HOME)
    : join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'cairn');
  return join(home, 'git-cache');
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
