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
 * Every glob is compiled once into a single regular expression, so a call costs one regex test.
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

function compile(globs: readonly string[]): (path: string) => boolean {
  const sources: string[] = [];
  for (const glob of globs) {
    const re = picomatch.makeRe(glob, OPTIONS);
    // picomatch emits `^(?:…)$` without flags; anything else is combined the slow but safe way.
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
