import picomatch from 'picomatch';
import type { Catalog, DrillGapFound, SnapshotRecord } from '../../catalog/index.js';
import { isCairnError } from '../../errors/index.js';
import { flattenTree, type TreeSource } from '../tree-walk.js';
import { type RestoredState, restoredEntries, restoredSha256 } from './restored-files.js';
import type { ValidatorOutcome } from './validator-command.js';

/** What a baseline reference names for one item: a snapshot, or why there is none. */
export type BaselineFound = { readonly snapshot: SnapshotRecord } | { readonly missing: string };

/**
 * `release:<v>`: the item's newest complete snapshot taken (or verified unchanged) with that release.
 * A snapshot id or prefix names one snapshot, of one item: for another item it is `otherItem`.
 */
export async function findBaseline(
  catalog: Pick<Catalog, 'findSnapshots' | 'getSnapshot'>,
  ref: string,
  item: string,
): Promise<BaselineFound | { readonly otherItem: string }> {
  if (ref.startsWith('release:')) {
    const release = ref.slice('release:'.length);
    const [hit] = await catalog.findSnapshots({ item: [item], release, status: 'complete', limit: 1 });
    if (hit) return { snapshot: hit };
    return {
      missing: `baseline ${ref} no longer exists for ${item}: no complete snapshot of it was taken or verified with release ${release} (forgotten, or never taken)`,
    };
  }
  let snapshot: SnapshotRecord | undefined;
  try {
    snapshot = await catalog.getSnapshot(ref);
  } catch (err) {
    if (!isCairnError(err)) throw err;
    return { missing: `baseline ${ref}: ${err.message}` };
  }
  if (!snapshot) return { missing: `baseline snapshot ${ref} no longer exists (forgotten or pruned)` };
  return snapshot.item === item ? { snapshot } : { otherItem: snapshot.item };
}

interface Side {
  readonly type: string;
  readonly digest: string;
}

/**
 * A `baseline:` validator: the restored folder against the baseline snapshot's tree (names and
 * SHA-256 from the repository; the baseline is not restored). A restored file's SHA-256 is the one the
 * restore checked, unless the file changed since (a `run` validator wrote it): then it is read. Every added, removed or changed path not
 * matching `allowChanges` is a `baseline-deviation` gap keyed by the path.
 */
export async function runBaselineValidator(
  repo: TreeSource,
  v: {
    ref: string;
    allowChanges: readonly string[];
    item: string;
    dir: string;
    found: BaselineFound;
    /** The item's files as restored: their SHA-256 is taken from there unless changed since. */
    restored?: RestoredState;
  },
): Promise<ValidatorOutcome> {
  if ('missing' in v.found) {
    return {
      ok: false,
      output: v.found.missing,
      error: v.found.missing,
      gaps: [{ item: v.item, category: 'missing-baseline', key: v.ref, message: v.found.missing }],
    };
  }
  const base = v.found.snapshot;
  const short = base.id.slice(0, 12);
  const expected = new Map<string, Side>();
  try {
    for (const { path, entry } of await flattenTree(repo, base.tree)) {
      if (entry.type === 'dir') continue;
      expected.set(path, {
        type: entry.type,
        digest: entry.type === 'symlink' ? (entry.target ?? '') : (entry.sha256 ?? ''),
      });
    }
  } catch (err) {
    if (!isCairnError(err)) throw err;
    const message = `baseline ${v.ref} (snapshot ${short}) cannot be read from the repository: ${err.message}`;
    return {
      ok: false,
      output: message,
      error: message,
      gaps: [{ item: v.item, category: 'missing-baseline', key: v.ref, message }],
    };
  }
  const actual = new Map<string, Side>();
  for (const e of await restoredEntries(v.dir)) {
    actual.set(e.path, {
      type: e.type,
      digest: e.type === 'symlink' ? (e.target ?? '') : await restoredSha256(e, v.restored),
    });
  }
  const differences: Array<{ path: string; how: 'added' | 'removed' | 'changed' }> = [];
  for (const [path, side] of actual) {
    const was = expected.get(path);
    if (!was) differences.push({ path, how: 'added' });
    else if (was.type !== side.type || was.digest !== side.digest) differences.push({ path, how: 'changed' });
  }
  for (const path of expected.keys()) if (!actual.has(path)) differences.push({ path, how: 'removed' });
  differences.sort((a, b) => (a.path < b.path ? -1 : 1));
  const allowed = v.allowChanges.length > 0 ? picomatch([...v.allowChanges], { dot: true }) : () => false;
  const gaps: DrillGapFound[] = [];
  const lines = [`baseline ${v.ref}: snapshot ${short} of ${base.time}`];
  for (const d of differences) {
    const ok = allowed(d.path);
    lines.push(`${ok ? 'allowed' : 'DEVIATES'} ${d.how} ${d.path}`);
    if (!ok) {
      gaps.push({
        item: v.item,
        category: 'baseline-deviation',
        key: d.path,
        message: `${d.path} ${d.how} since baseline ${v.ref} (snapshot ${short})`,
      });
    }
  }
  const n = differences.length;
  lines.push(n === 0 ? 'no differences' : `${n} difference${n === 1 ? '' : 's'}, ${gaps.length} not allowed`);
  return { ok: gaps.length === 0, output: lines.join('\n'), gaps };
}
