import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { GitSource } from '../policy/index.js';
import { contentEntry, dirEntry, passwordOf, redactUrl, scrub, sourceError, tail } from './content.js';
import type { PathFilter } from './files-source.js';
import { catBlobs } from './git-cat.js';
import { sourceLabel } from './label.js';
import { runProcess } from './run-process.js';
import type { CollectOptions, SourceEntry, SourceResult } from './types.js';

type Env = Readonly<Record<string, string | undefined>>;

interface TreeLine {
  readonly mode: string;
  readonly type: string;
  readonly oid: string;
  readonly path: string;
}

/**
 * The tree of a ref, read with the `git` binary and no working copy: `path` sources read the local
 * repository, `url` sources fetch the ref (depth 1) into a bare cache repository first. Modes come
 * from the tree (100755 → 0755, 120000 → symlink); times are 0, so the content decides.
 */
export async function readGitSource(
  source: GitSource,
  filter: PathFilter,
  item: string,
  opts: CollectOptions = {},
): Promise<SourceResult> {
  const env = gitEnv(opts.env ?? process.env);
  const label = sourceLabel(source);
  const secret = source.url ? passwordOf(source.url) : undefined;
  const fail = (problem: string, extra: Record<string, unknown> = {}) =>
    sourceError(item, label, scrub(problem, [secret]), {
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

  let gitDir: string;
  let commitish: string;
  if (source.url) {
    gitDir = join(opts.gitCache ?? defaultGitCache(opts.env ?? process.env), hash(source.url).slice(0, 24));
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
      source.url,
      `+${source.ref}:${local}`,
    ]);
    if (fetch.code !== 0) {
      const err = tail(fetch.stderr);
      if (/couldn't find remote ref|not our ref|unadvertised object|no such remote ref|invalid refspec/i.test(err)) {
        throw fail(`ref ${source.ref} does not exist in ${redactUrl(source.url)}`, { stderr: scrub(err, [secret]) });
      }
      throw fail(`git fetch failed (exit ${fetch.code}): ${err}`, { stderr: scrub(err, [secret]) });
    }
    commitish = local;
  } else {
    gitDir = source.path!;
    commitish = source.ref;
  }
  const rev = await git(gitDir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${commitish}^{commit}`]);
  if (rev.code !== 0) {
    const err = tail(rev.stderr);
    if (/not a git repository/i.test(err)) throw fail(`${gitDir} is not a git repository`);
    throw fail(`ref ${source.ref} does not exist in ${source.url ? redactUrl(source.url) : gitDir}`);
  }
  const commit = rev.stdout.toString('utf8').trim();
  const args = ['ls-tree', '-r', '-z', '--full-tree', commit];
  if (source.subdir) args.push('--', source.subdir);
  const ls = await git(gitDir, args);
  if (ls.code !== 0) throw fail(`git ls-tree failed (exit ${ls.code}): ${tail(ls.stderr)}`);
  const lines = parseLsTree(ls.stdout);
  const prefix = source.subdir ? `${source.subdir.replace(/\/+$/, '')}/` : '';
  if (prefix && !lines.some((l) => l.path.startsWith(prefix))) {
    throw fail(`folder ${source.subdir} does not exist at ${source.ref} (${commit.slice(0, 12)})`, { commit });
  }
  const chosen = lines
    .filter((l) => l.type === 'blob' && l.path.startsWith(prefix))
    .map((l) => ({ ...l, path: l.path.slice(prefix.length) }))
    .filter((l) => passes(filter, l.path));
  let blobs: Map<string, Buffer>;
  try {
    blobs = await catBlobs(
      gitDir,
      chosen.map((l) => l.oid),
      env,
      source.timeoutMs,
    );
  } catch (err) {
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

/** `git ls-tree -r -z --long` output: "<mode> <type> <oid> <size>\t<path>\0" records. */
export function parseLsTree(out: Buffer): TreeLine[] {
  const lines: TreeLine[] = [];
  for (const rec of out.toString('utf8').split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, type, oid] = rec.slice(0, tab).split(/\s+/);
    lines.push({ mode: mode!, type: type!, oid: oid!, path: rec.slice(tab + 1) });
  }
  return lines;
}

/** A file passes when every folder above it and the file itself pass the item's filter. */
function passes(filter: PathFilter, path: string): boolean {
  const parts = path.split('/');
  for (let i = 1; i < parts.length; i++) if (!filter(parts.slice(0, i).join('/'), true)) return false;
  return filter(path, false);
}

/** Variables that would point git at another repository than the one named. */
const REPO_VARIABLES = new Set([
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
  'GIT_CEILING_DIRECTORIES',
]);

function gitEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !REPO_VARIABLES.has(k)) out[k] = v;
  // Never wait for a password on a terminal; never read the user's or the system's git hooks of a cache.
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
