import { readFile } from 'node:fs/promises';
import type { RequirementResult, SnapshotRecord } from '../catalog/index.js';
import { errnoCode } from '../errors/index.js';
import { type Item, type Policy, parseVersion, satisfies } from '../policy/index.js';
import type { Session } from './session.js';
import { flattenTree } from './tree-walk.js';

export type { RequirementResult } from '../catalog/index.js';

/** An item's version and where it was read, or why there is none. */
interface FoundVersion {
  readonly version: string | null;
  readonly from: string;
}

/**
 * Checks every `requires` rule of `items` (C4.5) against the versions in `snapshots` (item name → the
 * snapshot of the bundle): "app 2.x needs db >=14". An item's version is its `version.file` inside its
 * snapshot (else the live file), or for an item with a postgres source its snapshot's `server_version`.
 * A required item outside `snapshots` is read from its latest snapshot. A version that cannot be found
 * fails the rule, with the reason; a rule whose `when` does not match this item's version passes.
 */
export async function evaluateRequirements(
  session: Session,
  policy: Policy,
  items: readonly Item[],
  snapshots: ReadonlyMap<string, SnapshotRecord>,
): Promise<RequirementResult[]> {
  const byName = new Map(policy.items.map((i) => [i.name, i]));
  const cache = new Map<string, Promise<FoundVersion>>();
  const versionOf = (item: Item): Promise<FoundVersion> => {
    let found = cache.get(item.name);
    if (!found) {
      found = readItemVersion(session, item, snapshots.get(item.name));
      cache.set(item.name, found);
    }
    return found;
  };
  const out: RequirementResult[] = [];
  for (const item of items) {
    for (const rule of item.requires) {
      const base = { item: item.name, requires: rule.item, range: rule.version ?? null, when: rule.when ?? null };
      const own = await versionOf(item);
      if (rule.when && own.version === null) {
        out.push({
          ...base,
          version: null,
          requiredVersion: null,
          ok: false,
          reason: `${item.name}: ${own.from}; the rule "when ${rule.when}" cannot be decided`,
        });
        continue;
      }
      if (rule.when && own.version !== null && parseVersion(own.version) === undefined) {
        out.push({
          ...base,
          version: own.version,
          requiredVersion: null,
          ok: false,
          reason: `${item.name}: version ${JSON.stringify(own.version)} (${own.from}) is not understood; the rule "when ${rule.when}" cannot be decided`,
        });
        continue;
      }
      if (rule.when && own.version !== null && !satisfies(own.version, rule.when)) {
        out.push({
          ...base,
          version: own.version,
          requiredVersion: null,
          ok: true,
          reason: `not applicable: ${item.name} is ${own.version} (${own.from}), not ${rule.when}`,
        });
        continue;
      }
      const required = byName.get(rule.item);
      if (!required) {
        out.push({
          ...base,
          version: own.version ?? null,
          requiredVersion: null,
          ok: false,
          reason: `${item.name} requires ${rule.item}, which is not an item of ${policy.file}`,
        });
        continue;
      }
      const theirs = await versionOf(required);
      const mine = own.version ? `${item.name} ${own.version}` : item.name;
      const result = { ...base, version: own.version ?? null, requiredVersion: theirs.version };
      if (!rule.version) {
        const captured = snapshots.has(rule.item) || (await session.catalog.latestSnapshot(rule.item)) !== undefined;
        const ok = theirs.version !== null || captured;
        out.push({
          ...result,
          ok,
          reason: ok
            ? `${rule.item} is captured (${theirs.from})`
            : `${mine} requires ${rule.item}, which has no snapshot (neither in this bundle nor earlier)`,
        });
      } else if (theirs.version === null) {
        out.push({
          ...result,
          ok: false,
          reason: `${mine} requires ${rule.item} ${rule.version}, but ${rule.item}'s version is unknown: ${theirs.from}`,
        });
      } else if (satisfies(theirs.version, rule.version)) {
        out.push({
          ...result,
          ok: true,
          reason: `${mine} requires ${rule.item} ${rule.version}: ${rule.item} is ${theirs.version} (${theirs.from})`,
        });
      } else {
        out.push({
          ...result,
          ok: false,
          reason: `${mine} requires ${rule.item} ${rule.version}, but ${rule.item} is ${theirs.version} (${theirs.from})`,
        });
      }
    }
  }
  return out;
}

/** The version of one item: from its snapshot when it holds the version file, else the live file. */
export async function readItemVersion(
  session: Session,
  item: Item,
  snapshot: SnapshotRecord | undefined,
): Promise<FoundVersion> {
  const snap = snapshot ?? (await session.catalog.latestSnapshot(item.name));
  const pgIndex = item.sources.findIndex((s) => s.kind === 'postgres');
  const inSnapshot =
    item.version?.snapshotPath ??
    (pgIndex < 0 ? undefined : item.sources.length === 1 ? 'server_version' : `${pgIndex}-postgres/server_version`);
  if (inSnapshot && snap) {
    const text = await snapshotFile(session, snap, inSnapshot);
    const where = `${inSnapshot} in snapshot ${snap.id.slice(0, 12)}`;
    if (text === undefined) return { version: null, from: `${where} is missing` };
    const version = firstLine(text);
    return version ? { version, from: where } : { version: null, from: `${where} is empty` };
  }
  if (item.version) {
    try {
      const version = firstLine(await readFile(item.version.file, 'utf8'));
      return version ? { version, from: item.version.file } : { version: null, from: `${item.version.file} is empty` };
    } catch (err) {
      return { version: null, from: `${item.version.file} cannot be read (${errnoCode(err) ?? String(err)})` };
    }
  }
  if (pgIndex >= 0) return { version: null, from: 'it has no snapshot to read server_version from' };
  return {
    version: null,
    from: `item ${item.name} declares no version (set \`version: { file: … }\` at line ${item.at.line})`,
  };
}

async function snapshotFile(session: Session, snapshot: SnapshotRecord, path: string): Promise<string | undefined> {
  await session.repo.loadIndex();
  const hit = (await flattenTree(session.repo, snapshot.tree, [path])).find((e) => e.path === path);
  if (hit?.entry.type !== 'file') return undefined;
  const parts: Buffer[] = [];
  for (const id of hit.entry.blobs ?? []) parts.push(await session.repo.loadBlob(id));
  return Buffer.concat(parts).toString('utf8');
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').trim();
}
