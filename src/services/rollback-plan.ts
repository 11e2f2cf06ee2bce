import type { DeploymentRecord, SnapshotRecord } from '../catalog/index.js';
import type { Item, Policy, RestoreTarget } from '../policy/index.js';
import { describeTarget } from '../targets/index.js';
import type { Session } from './session.js';

/**
 * What a rollback of a deployment restores, in which order, from which snapshot: the deployment's
 * pre-deploy bundle plus the bundleWith closure (C7.5), bundle members adjacent.
 */
export interface PlannedItem {
  readonly name: string;
  /** The policy's item; undefined when the policy no longer has it. */
  readonly item: Item | undefined;
  readonly snapshot: SnapshotRecord | undefined;
  /** Where the snapshot came from: the pre-deploy bundle, or the newest one at or before the start. */
  readonly from: 'bundle' | 'before-start' | 'none';
  readonly target: string;
  /**
   * How the rollback checks its work afterwards: `live` reads the item's source again and compares it
   * with the snapshot (the source reads what the target wrote); `target` trusts the target having
   * accepted the bytes (a directory checks every file's SHA-256; a command exited 0; an HTTP request got 2xx).
   */
  readonly verify: 'live' | 'target';
  /** Why the item cannot be restored (no target, no snapshot, not in the policy). */
  readonly problem?: { readonly code: string; readonly message: string };
}

export async function planRollback(
  session: Session,
  policy: Policy,
  deployment: DeploymentRecord,
): Promise<PlannedItem[]> {
  const { catalog } = session;
  const env = deployment.environment;
  const byName = new Map(policy.items.map((i) => [i.name, i]));
  const bundle = await catalog.deployments.bundle(deployment.id, 'pre');
  const fromBundle = new Map(bundle.map((e) => [e.item, e]));
  const base =
    bundle.length > 0
      ? bundle.map((e) => e.item)
      : policy.items.filter((i) => i.environment === env).map((i) => i.name);
  const names = bundleClosure(policy, env, base);

  const planned = new Map<string, PlannedItem>();
  for (const name of names) {
    const item = byName.get(name);
    let snapshot: SnapshotRecord | undefined;
    let from: PlannedItem['from'] = 'none';
    const entry = fromBundle.get(name);
    if (entry?.snapshotId) snapshot = await catalog.getSnapshot(entry.snapshotId);
    if (!snapshot && entry?.verificationId) {
      const hits = await catalog.findSnapshots({ item: [name], deployment: deployment.id });
      snapshot = hits.find((h) => h.verifications.some((v) => v.id === entry.verificationId));
    }
    if (snapshot) from = 'bundle';
    else {
      const until = new Date(Date.parse(deployment.startedAt) + 1);
      [snapshot] = await catalog.findSnapshots({ item: [name], until, limit: 1 });
      if (snapshot) from = 'before-start';
    }
    const target = item?.restore ? targetLabel(item.restore) : '';
    const base = { name, item, snapshot, from, target, verify: item ? verifyMode(item) : 'target' } as const;
    planned.set(name, { ...base, ...problemOf(base, policy, deployment) });
  }
  return order(policy, [...planned.values()]);
}

function problemOf(p: Omit<PlannedItem, 'problem'>, policy: Policy, deployment: DeploymentRecord) {
  if (!p.item) {
    return {
      problem: {
        code: 'CAIRN_E_USAGE',
        message: `item ${p.name} of deployment ${deployment.id} is not in ${policy.file} any more; it cannot be restored from there`,
      },
    };
  }
  if (!p.item.restore) {
    return {
      problem: {
        code: 'CAIRN_E_USAGE',
        message: `item ${p.name} has no restore target: add restore: to the policy (${policy.file}:${p.item.at.line}), e.g. restore: { directory: /srv/${p.name} }`,
      },
    };
  }
  if (!p.snapshot) {
    return {
      problem: {
        code: 'CAIRN_E_NOT_FOUND',
        message: `item ${p.name} has no pre-deploy snapshot in deployment ${deployment.id} and none taken before ${deployment.startedAt}`,
      },
    };
  }
  return {};
}

/**
 * The items of `base` and, transitively, the items each is bundled with: those it lists in bundleWith
 * and those that list it, of the same environment. Items of another environment are left out.
 */
export function bundleClosure(policy: Policy, environment: string, base: readonly string[]): string[] {
  const byName = new Map(policy.items.map((i) => [i.name, i]));
  const seen = new Set<string>(base);
  const queue = [...base];
  while (queue.length > 0) {
    const name = queue.shift()!;
    for (const other of bundledWith(policy, byName, name)) {
      if (other.environment !== environment || seen.has(other.name)) continue;
      seen.add(other.name);
      queue.push(other.name);
    }
  }
  return [...seen];
}

function bundledWith(policy: Policy, byName: ReadonlyMap<string, Item>, name: string): Item[] {
  const out: Item[] = [];
  for (const b of byName.get(name)?.bundleWith ?? []) {
    const other = byName.get(b);
    if (other) out.push(other);
  }
  for (const i of policy.items) if (i.bundleWith.includes(name)) out.push(i);
  return out;
}

/** Policy order, except that an item's bundle (its connected bundleWith group) follows it at once. */
function order(policy: Policy, planned: PlannedItem[]): PlannedItem[] {
  const rank = new Map(policy.items.map((i, n) => [i.name, n]));
  const sorted = [...planned].sort(
    (a, b) =>
      (rank.get(a.name) ?? Number.MAX_SAFE_INTEGER) - (rank.get(b.name) ?? Number.MAX_SAFE_INTEGER) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const present = new Set(sorted.map((p) => p.name));
  const byName = new Map(policy.items.map((i) => [i.name, i]));
  const placed = new Set<string>();
  const out: PlannedItem[] = [];
  for (const p of sorted) {
    if (placed.has(p.name)) continue;
    // The whole group of p, in policy order.
    const group = new Set<string>([p.name]);
    const queue = [p.name];
    while (queue.length > 0) {
      for (const other of bundledWith(policy, byName, queue.shift()!)) {
        if (present.has(other.name) && !group.has(other.name)) {
          group.add(other.name);
          queue.push(other.name);
        }
      }
    }
    for (const q of sorted) {
      if (group.has(q.name) && !placed.has(q.name)) {
        placed.add(q.name);
        out.push(q);
      }
    }
  }
  return out;
}

/**
 * `live` when a source of the item reads back what its target writes: a directory target that is the
 * root of the item's one files source, or a command/http target of an item with one content source
 * (command, http, git, dotenv, postgres). Otherwise `target`.
 */
export function verifyMode(item: Item): 'live' | 'target' {
  const target = item.restore;
  if (!target || item.sources.length !== 1) return 'target';
  const source = item.sources[0]!;
  if (target.kind === 'directory') return source.kind === 'files' && source.root === target.path ? 'live' : 'target';
  return source.kind !== 'files' && source.kind !== 'ssh' ? 'live' : 'target';
}

/** A restore target for people and the catalog: describeTarget's (credentials removed, long commands cut). */
export function targetLabel(target: RestoreTarget): string {
  return describeTarget(target);
}
