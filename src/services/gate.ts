import type { PreDeployCapture, RequirementResult, SnapshotRecord } from '../catalog/index.js';
import { isCairnError } from '../errors/index.js';
import type { Item, Policy } from '../policy/index.js';
import { packKey } from '../repo/index.js';
import { compareLive, type ItemDrift } from './drift.js';
import { environmentItems } from './environments.js';
import { evaluateRequirements } from './requirements.js';
import type { Session } from './session.js';
import { type FlatEntry, flattenTree } from './tree-walk.js';

/**
 * The release gate (C7.2): a release may be promoted in an environment only when every item of it has
 * a pre-deploy capture for that release that is intact and is still the item's live state, and the
 * items' `requires` rules hold over those captures. Nothing is read but trees and live metadata: an
 * unchanged file is never opened, and the repository's data is never read.
 */

export interface GateCheck {
  readonly name: 'captured' | 'intact' | 'current' | 'requirements';
  readonly ok: boolean;
  readonly reason: string;
}

export interface GateItem {
  readonly item: string;
  readonly snapshot: string | null;
  readonly verification: string | null;
  readonly checks: GateCheck[];
}

export interface GateReport {
  readonly environment: string;
  readonly release: string;
  readonly checkedAt: string;
  readonly passed: boolean;
  readonly items: GateItem[];
  readonly requirements: RequirementResult[];
  /** One sentence per failed requirement of the gate. */
  readonly failed: string[];
}

export async function evaluateGate(
  session: Session,
  policy: Policy,
  input: { environment: string; release: string; now?: Date },
): Promise<GateReport> {
  const { environment, release } = input;
  const items = environmentItems(policy, environment);
  const captures = await session.catalog.gate.preDeployCaptures(
    items.map((i) => i.name),
    release,
  );
  await session.repo.loadIndex();
  const failed: string[] = [];
  const out: GateItem[] = [];
  const captured = new Map<string, SnapshotRecord>();
  for (const item of items) {
    const capture = captures.get(item.name);
    if (!capture) {
      const reason = `no pre-deploy snapshot for release ${release} in ${environment}`;
      failed.push(`${item.name}: ${reason}`);
      out.push({
        item: item.name,
        snapshot: null,
        verification: null,
        checks: [{ name: 'captured', ok: false, reason }],
      });
      continue;
    }
    captured.set(item.name, capture.snapshot);
    out.push(await checkItem(session, policy, item, capture, failed));
  }
  const requirements = await evaluateRequirements(
    session,
    policy,
    items.filter((i) => captured.has(i.name)),
    captured,
  );
  for (const r of requirements.filter((r) => !r.ok)) {
    failed.push(r.reason.startsWith(r.item) ? r.reason : `${r.item}: ${r.reason}`);
  }
  for (const g of out) {
    const own = requirements.filter((r) => r.item === g.item);
    if (own.length === 0 || g.snapshot === null) continue;
    const bad = own.filter((r) => !r.ok);
    g.checks.push({
      name: 'requirements',
      ok: bad.length === 0,
      reason:
        bad.length === 0
          ? `${own.length} requirement${own.length === 1 ? '' : 's'} met`
          : bad.map((r) => `${r.requires}: ${r.reason}`).join('; '),
    });
  }
  return {
    environment,
    release,
    checkedAt: (input.now ?? new Date()).toISOString(),
    passed: failed.length === 0,
    items: out,
    requirements,
    failed,
  };
}

async function checkItem(
  session: Session,
  policy: Policy,
  item: Item,
  capture: PreDeployCapture,
  failed: string[],
): Promise<GateItem> {
  const { snapshot } = capture;
  const short = snapshot.id.slice(0, 12);
  const checks: GateCheck[] = [
    {
      name: 'captured',
      ok: true,
      reason: capture.verification
        ? `verified unchanged against snapshot ${short} at ${capture.time}`
        : `snapshot ${short} taken at ${capture.time}`,
    },
  ];
  const result = { item: item.name, snapshot: snapshot.id, verification: capture.verification, checks };
  const intact = await intactness(session, snapshot);
  checks.push({ name: 'intact', ok: intact.problem === null, reason: intact.problem ?? 'tree and every blob present' });
  if (intact.problem !== null) {
    failed.push(`${item.name}: pre-deploy snapshot ${short} is not intact: ${intact.problem}`);
    return result;
  }
  const drift = await compareLive(session, policy, item, snapshot, { flat: intact.flat });
  const current = currentCheck(drift, short);
  checks.push(current);
  if (!current.ok) failed.push(`${item.name}: ${current.reason}`);
  return result;
}

function currentCheck(drift: ItemDrift, short: string): GateCheck {
  if (drift.error) {
    return {
      name: 'current',
      ok: false,
      reason: `live state could not be compared with snapshot ${short}: ${drift.error.message}`,
    };
  }
  if (drift.drifted) {
    const n = drift.changes.length;
    const shown = drift.changes.slice(0, 5).map((c) => c.path);
    const more = n > shown.length ? `, … ${n - shown.length} more` : '';
    return {
      name: 'current',
      ok: false,
      reason: `live state differs from snapshot ${short} in ${n} file${n === 1 ? '' : 's'} (${shown.join(', ')}${more})`,
    };
  }
  const ignored = drift.ignored > 0 ? ` (${drift.ignored} differing only in ignored keys or lines)` : '';
  return { name: 'current', ok: true, reason: `live state matches snapshot ${short}${ignored}` };
}

/**
 * Whether a snapshot can be restored, from metadata alone: complete, every tree readable, every blob
 * its trees name in the index, and every pack holding them present in storage (a stat, not a read).
 */
async function intactness(
  session: Session,
  snapshot: SnapshotRecord,
): Promise<{ problem: string | null; flat?: FlatEntry[] }> {
  const { repo } = session;
  if (snapshot.status !== 'complete') {
    return { problem: `it is partial (${snapshot.unreadable.length} files could not be read when it was taken)` };
  }
  let flat: FlatEntry[];
  try {
    flat = await flattenTree(repo, snapshot.tree);
  } catch (err) {
    if (!isCairnError(err)) throw err;
    return { problem: `its trees cannot be read (${err.message})` };
  }
  const blobs = new Set<string>([snapshot.tree]);
  for (const { entry } of flat) {
    if (entry.tree) blobs.add(entry.tree);
    for (const b of entry.blobs ?? []) blobs.add(b);
  }
  const packs = new Set<string>();
  let missing = 0;
  for (const b of blobs) {
    const loc = repo.index.find(b);
    if (loc) packs.add(packKey(loc.pack));
    else missing++;
  }
  if (missing > 0) return { problem: `${missing} of its ${blobs.size} blobs are in no index` };
  const stats = await Promise.all([...packs].map(async (key) => ({ key, info: await repo.storage.stat(key) })));
  const gone = stats
    .filter((s) => s.info === undefined)
    .map((s) => s.key.slice(s.key.lastIndexOf('/') + 1).slice(0, 12));
  if (gone.length > 0) {
    const packsWord = gone.length === 1 ? 'pack' : 'packs';
    return { problem: `${packsWord} ${gone.join(', ')} it needs missing from storage` };
  }
  return { problem: null, flat };
}
