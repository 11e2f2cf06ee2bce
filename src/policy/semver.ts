/**
 * The small part of semver that `requires` rules need (C4.5): versions as items write them (`14`, `14.2`,
 * `2.4.1`, `v2.4.1`, `2.4.1-rc.1`) and npm-style ranges: `>=14`, `>1.2`, `<=`, `<`, `=`, `2.x`, `2.4.x`,
 * `*`, `^1.2`, `~1.2`, an exact version, space-separated comparators (all must hold) and `||` (either).
 * Missing parts count as 0 in a version; in a range they are wildcards, as in npm (`>1.2` means `>=1.3.0`,
 * `<=14` means `<15.0.0`, `2.4` means `2.4.x`).
 */

type Triple = readonly [number, number, number];

interface Version {
  readonly parts: Triple;
  readonly pre: string; // '' for a release
}

/** A partial version in a range: `undefined` parts are wildcards. */
interface Partial {
  readonly parts: readonly (number | undefined)[]; // length 3
  readonly pre: string;
}

type Op = '>=' | '>' | '<=' | '<' | '=';
interface Comparator {
  readonly op: Op;
  readonly version: Version;
}

const VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;
const PARTIAL = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;
const TERM = /^(>=|<=|>|<|=|\^|~)?(.*)$/;

/** The version written in a VERSION file or server_version: its first line, trimmed; undefined if not one. */
export function parseVersion(text: string): Version | undefined {
  const m = VERSION.exec((text.split('\n')[0] ?? '').trim());
  if (!m) return undefined;
  return { parts: [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)], pre: m[4] ?? '' };
}

/** Does `version` satisfy `range`? False when either is not understood (rangeProblem says why). */
export function satisfies(version: string, range: string): boolean {
  const v = parseVersion(version);
  const sets = parseRange(range);
  if (!v || typeof sets === 'string') return false;
  return sets.some((set) => set.every((c) => test(v, c)));
}

/** Why `range` cannot be evaluated, or undefined when it can. */
export function rangeProblem(range: string): string | undefined {
  const sets = parseRange(range);
  return typeof sets === 'string' ? sets : undefined;
}

function parseRange(range: string): Comparator[][] | string {
  if (range.trim() === '') return `"${range}" is not a version range: it is empty`;
  const out: Comparator[][] = [];
  for (const alternative of range.split('||')) {
    // ">= 14" is the same as ">=14".
    const terms = alternative
      .trim()
      .replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1')
      .split(/\s+/)
      .filter((t) => t !== '');
    if (terms.length === 0) return `"${range}" is not a version range: an empty alternative around "||"`;
    const set: Comparator[] = [];
    for (const term of terms) {
      const comparators = parseTerm(term);
      if (typeof comparators === 'string') return `"${range}" is not a version range: ${comparators}`;
      set.push(...comparators);
    }
    out.push(set);
  }
  return out;
}

function parseTerm(term: string): Comparator[] | string {
  const [, op = '', rest = ''] = TERM.exec(term) ?? [];
  const m = PARTIAL.exec(rest);
  if (!m) {
    return `"${term}" is not a comparator (use e.g. >=14, <2.0, 2.x, ^1.2, ~1.2.3, 2.4.1; join with spaces or ||)`;
  }
  const raw = [m[1], m[2], m[3]];
  if (m[4] !== undefined && raw.some((p) => p === undefined || /^[xX*]$/.test(p))) {
    return `"${term}": a pre-release needs a full version (1.2.3-rc.1)`;
  }
  const parts = raw.map((p) => (p === undefined || /^[xX*]$/.test(p) ? undefined : Number(p)));
  // After the first wildcard everything is a wildcard: 2.x.5 is 2.x.
  const firstWild = parts.indexOf(undefined);
  if (firstWild >= 0) for (let i = firstWild; i < 3; i++) parts[i] = undefined;
  const p: Partial = { parts, pre: m[4] ?? '' };
  return expand(op, p);
}

function expand(op: string, p: Partial): Comparator[] {
  const [major, minor, patch] = p.parts;
  const exact = (op: Op, a: number, b = 0, c = 0, pre = ''): Comparator => ({
    op,
    version: { parts: [a, b, c], pre },
  });
  if (major === undefined) return op === '<' || op === '>' ? [exact('<', 0, 0, 0, '0')] : [];
  const lower = exact('>=', major, minor ?? 0, patch ?? 0, p.pre);
  // The first version above the wildcard span: 2.x → 3.0.0, 2.4.x → 2.5.0.
  const above = minor === undefined ? exact('<', major + 1) : exact('<', major, minor + 1);
  switch (op) {
    case '>=':
      return [lower];
    case '>':
      if (minor === undefined) return [exact('>=', major + 1)];
      if (patch === undefined) return [exact('>=', major, minor + 1)];
      return [exact('>', major, minor, patch, p.pre)];
    case '<':
      return [exact('<', major, minor ?? 0, patch ?? 0, p.pre)];
    case '<=':
      if (patch === undefined) return [above];
      return [exact('<=', major, minor!, patch, p.pre)];
    case '^': {
      if (major > 0 || minor === undefined) return [lower, exact('<', major + 1)];
      if (minor > 0 || patch === undefined) return [lower, exact('<', 0, minor + 1)];
      return [lower, exact('<', 0, 0, patch + 1)];
    }
    case '~':
      return [lower, above];
    default: // '' or '='
      if (patch === undefined) return [lower, above];
      return [exact('=', major, minor!, patch, p.pre)];
  }
}

function test(v: Version, c: Comparator): boolean {
  const d = compare(v, c.version);
  switch (c.op) {
    case '>=':
      return d >= 0;
    case '>':
      return d > 0;
    case '<=':
      return d <= 0;
    case '<':
      return d < 0;
    default:
      return d === 0;
  }
}

/** Negative, zero or positive; a pre-release sorts before its release (2.0.0-rc.1 < 2.0.0). */
export function compareVersions(a: Version, b: Version): number {
  return compare(a, b);
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) {
    const d = a.parts[i]! - b.parts[i]!;
    if (d !== 0) return d;
  }
  if (a.pre === b.pre) return 0;
  if (a.pre === '') return 1;
  if (b.pre === '') return -1;
  return comparePre(a.pre, b.pre);
}

function comparePre(a: string, b: string): number {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn && Number(p) !== Number(q)) return Number(p) - Number(q);
    if (pn !== qn) return pn ? -1 : 1;
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}
