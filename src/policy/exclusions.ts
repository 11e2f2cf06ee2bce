/**
 * Built-in exclusions (C1.5) and the compiled path filter a source walker runs for every path.
 *
 * The rule for the built-in list: leave out only what is generated, downloaded or transient, never a file a
 * person or a tool keeps as the source of truth. Deliberately NOT excluded:
 * - `terraform.tfstate`: it IS the infrastructure's configuration of record.
 * - lock files (`.terraform.lock.hcl`, `package-lock.json`, `Chart.lock`, `*.lock`): they pin what gets
 *   deployed; restoring a template without its lock file does not reproduce the release.
 * - `dist/`, `build/`, `target/`, `out/`: in configuration repositories these names are just as often real
 *   folders (`environments/build/`, `deploy/target/`); a team whose `build/` is output adds it to `exclude:`.
 * - `.pulumi/`: with a local backend it holds the stack state.
 * - `*.bak`, `*.orig`: may be the only copy of a hand edit; opt out per policy (the example does).
 * - `.env` and other secret-bearing files: those are configuration; the secret scanner deals with them.
 */
import picomatch from 'picomatch';

export const BUILTIN_EXCLUDES: readonly string[] = Object.freeze([
  // Version-control metadata: history belongs to the VCS; a `git` source reads refs properly.
  '**/.git/**',
  '**/.hg/**',
  '**/.svn/**',
  // Terraform/Terragrunt working folders: provider binaries and module copies, recreated by `terraform init`.
  '**/.terraform/**',
  '**/.terragrunt-cache/**',
  // Terraform's automatic copy of the previous state: the previous snapshot already holds that state.
  '**/*.tfstate.backup',
  // Terraform's lock file for a run in progress: transient by definition.
  '**/.terraform.tfstate.lock.info',
  // Downloaded dependencies and compiled caches: never hand-written, often huge.
  '**/node_modules/**',
  '**/__pycache__/**',
  '**/*.pyc',
  '**/*.pyo',
  '**/.venv/**',
  '**/.tox/**',
  '**/.pytest_cache/**',
  '**/.mypy_cache/**',
  '**/.gradle/**',
  '**/.cache/**',
  // Editor swap/backup files and OS metadata.
  '**/*.swp',
  '**/*.swo',
  '**/*~',
  '**/.#*',
  '**/.DS_Store',
  '**/Thumbs.db',
  // Temporary and runtime files.
  '**/*.tmp',
  '**/*.log',
  '**/*.pid',
  // Temporary credentials: cached session tokens that expire within hours and must never be kept.
  '**/.aws/cli/cache/**',
  '**/.aws/sso/cache/**',
  '**/.kube/cache/**',
  '**/.kube/http-cache/**',
  '**/.vault-token',
]);

const OPTIONS = { dot: true } as const;

/**
 * `(relPath, isDir) => boolean` for paths relative to a source root, with `/` separators.
 * - A file passes when it matches an include glob and no exclude glob.
 * - A directory passes when the walker should descend into it: false when an exclude glob matches the
 *   directory itself (`**\/node_modules/**` matches `a/node_modules`; like .gitignore, `**\/.git` prunes it
 *   too), or when no include glob can match anything below it (`deploy/**` never needs `src/`).
 * Globs are compiled once (see compile()); a call is a few string operations, ~1 µs.
 */
export function makePathFilter(
  include: readonly string[],
  exclude: readonly string[],
): (relPath: string, isDir: boolean) => boolean {
  const included = compile(include.length > 0 ? include : ['**']);
  const excluded = exclude.length > 0 ? compile(exclude) : () => false;
  const bases = include.length > 0 ? include.map(staticBase) : [{ base: '', literal: false }];
  const anyBase = bases.some((b) => b.base === '' && !b.literal);

  const canContainMatch = (dir: string): boolean => {
    if (anyBase) return true;
    for (const { base, literal } of bases) {
      if (base.startsWith(`${dir}/`)) return true; // an ancestor of the pattern's fixed folder
      if (!literal && (dir === base || dir.startsWith(`${base}/`) || base === '')) return true;
    }
    return false;
  };

  return (relPath, isDir) => {
    const path = relPath.startsWith('./') ? relPath.slice(2) : relPath;
    if (excluded(path)) return false;
    return isDir ? canContainMatch(path) : included(path);
  };
}

const LITERAL = /^[^*?[\]{}()!+@\\]+$/;

/**
 * Compiles globs into one predicate. picomatch's regular expressions for `**\/x/**` scan the whole path
 * with a lookahead at every character (~10 µs a path for the built-in list), so the shapes exclusion lists
 * are made of are answered with string operations instead, with exactly picomatch's meaning (dot: true):
 * `**\/name/**` (a path segment), `**\/a/b/**` (a run of segments), `**\/name`, `**\/*suffix`,
 * `**\/prefix*`, `**\/<glob>` (the last segment only). Any other glob goes into one combined picomatch regex.
 */
function compile(globs: readonly string[]): (path: string) => boolean {
  const segments = new Set<string>();
  const runs: string[] = [];
  const names = new Set<string>();
  const suffixes: string[] = [];
  const prefixes: string[] = [];
  const baseGlobs: RegExp[] = [];
  const general: string[] = [];
  let everything = false;
  for (const glob of globs) {
    const g = glob.startsWith('./') ? glob.slice(2) : glob;
    const inner = /^\*\*\/(.+)\/\*\*$/.exec(g)?.[1];
    const last = /^\*\*\/([^/]+)$/.exec(g)?.[1];
    if (g === '**') everything = true;
    else if (inner !== undefined && LITERAL.test(inner)) {
      if (inner.includes('/')) runs.push(`/${inner}/`);
      else segments.add(inner);
    } else if (last !== undefined && LITERAL.test(last)) names.add(last);
    else if (last?.startsWith('*') && LITERAL.test(last.slice(1))) suffixes.push(last.slice(1));
    else if (last?.endsWith('*') && LITERAL.test(last.slice(0, -1))) prefixes.push(last.slice(0, -1));
    else if (last !== undefined && !last.includes('**')) baseGlobs.push(picomatch.makeRe(last, OPTIONS));
    else general.push(g);
  }
  const generalTest = combine(general);
  return (path) => {
    if (everything) return true;
    const slash = path.lastIndexOf('/');
    const base = slash === -1 ? path : path.slice(slash + 1);
    if (names.has(base)) return true;
    for (const suffix of suffixes) if (base.endsWith(suffix)) return true;
    for (const prefix of prefixes) if (base.startsWith(prefix)) return true;
    if (segments.size > 0) {
      for (let from = 0; from <= path.length; ) {
        const to = path.indexOf('/', from);
        const end = to === -1 ? path.length : to;
        if (segments.has(path.slice(from, end))) return true;
        from = end + 1;
      }
    }
    if (runs.length > 0) {
      const wrapped = `/${path}/`;
      for (const run of runs) if (wrapped.includes(run)) return true;
    }
    for (const re of baseGlobs) if (re.test(base)) return true;
    return generalTest(path);
  };
}

/** Any globs as one regular expression (picomatch emits `^(?:…)$` each; joined, it is one test). */
function combine(globs: readonly string[]): (path: string) => boolean {
  if (globs.length === 0) return () => false;
  const sources: string[] = [];
  for (const glob of globs) {
    const re = picomatch.makeRe(glob, OPTIONS);
    if (re.flags !== '' || !re.source.startsWith('^(?:') || !re.source.endsWith(')$')) {
      const matcher = picomatch(globs as string[], OPTIONS);
      return (path) => matcher(path);
    }
    sources.push(re.source.slice(1, -1));
  }
  const combined = new RegExp(`^(?:${sources.join('|')})$`);
  return (path) => combined.test(path);
}

/** The folder part of a glob before its first wildcard; `literal` when the glob has no wildcard at all. */
function staticBase(glob: string): { base: string; literal: boolean } {
  const info = picomatch.scan(glob);
  if (info.negated) return { base: '', literal: false };
  return { base: info.base.replace(/^\.\//, ''), literal: !info.isGlob };
}
