import type { Catalog, SnapshotRecord } from '../catalog/index.js';
import { CairnError, isCairnError } from '../errors/index.js';
import type { Policy } from '../policy/index.js';
import { mapLimit, openSealedObject, type Repository, sealObject } from '../repo/index.js';
import { NeededPacks } from './worm.js';

/**
 * Legal holds (docs/FORMAT.md "Retention (WORM)"). A hold is recorded durably in the repository as
 * `holds/<snapshot id>` (sealed, itself under legal hold), so it survives `catalog rebuild`; every
 * object the snapshot needs (its snapshot object and every pack reachable from its tree) carries the
 * storage's legal hold, which refuses deletion whatever the retention date. The record is written
 * first: a crash halfway leaves a hold that `check --locks` reports and `hold add` completes.
 */
export interface HoldRecord {
  readonly version: 1;
  readonly snapshot: string;
  readonly item: string;
  readonly reason: string | null;
  readonly time: string;
  readonly actor: string;
}

export interface HoldResult {
  readonly hold: HoldRecord;
  /** Objects carrying the legal hold now (the snapshot object, its packs, the hold record). */
  readonly objects: number;
  /** The snapshot was held already; the holds on its objects were set again. */
  readonly alreadyHeld: boolean;
}

export interface ReleaseResult {
  readonly hold: HoldRecord;
  /** Objects whose legal hold was cleared. */
  readonly released: number;
  /** Objects left held because another held snapshot needs them. */
  readonly stillHeld: number;
}

const PURPOSE = 'hold';
const PARALLEL = 8;

export function holdKey(snapshotId: string): string {
  return `holds/${snapshotId}`;
}

/** Every hold recorded in the repository, by snapshot id. */
export async function readHolds(repo: Repository): Promise<Map<string, HoldRecord>> {
  const keys = (await repo.storage.list('holds/')).map((o) => o.key);
  const records = await mapLimit(keys, PARALLEL, (key) => readHold(repo, key));
  return new Map(records.filter((r): r is HoldRecord => r !== undefined).map((r) => [r.snapshot, r]));
}

async function readHold(repo: Repository, key: string): Promise<HoldRecord | undefined> {
  let bytes: Buffer;
  try {
    bytes = await repo.storage.get(key);
  } catch (err) {
    if (isCairnError(err, 'CAIRN_E_NOT_FOUND')) return undefined;
    throw err;
  }
  const plain = openSealedObject(repo, bytes, PURPOSE, key);
  let record: HoldRecord | undefined;
  try {
    record = JSON.parse(plain.toString('utf8')) as HoldRecord;
  } catch {
    record = undefined;
  }
  if (!record || holdKey(record.snapshot) !== key)
    throw new CairnError('CAIRN_E_INTEGRITY', `${key} is not a valid hold record`, { object: key });
  return record;
}

/** What a hold covers: the snapshot object and every pack its tree needs. */
async function objectsOf(repo: Repository, snapshotId: string, needed: NeededPacks): Promise<Set<string>> {
  const s = await repo.loadSnapshot(snapshotId);
  return new Set([`snapshots/${snapshotId}`, ...(await needed.ofTree(s.tree))]);
}

/** `cairn hold add`: records the hold, then sets it on every object the snapshot needs. */
export async function addHold(
  repo: Repository,
  catalog: Catalog,
  snapshotId: string,
  opts: { reason?: string | undefined; actor: string; now?: Date },
): Promise<HoldResult> {
  const snapshot = await catalog.getSnapshot(snapshotId);
  if (!snapshot) throw new CairnError('CAIRN_E_NOT_FOUND', `no snapshot ${snapshotId}`);
  const lock = await repo.lock(false, 'hold');
  try {
    await repo.loadIndex();
    const key = holdKey(snapshot.id);
    const existing = await readHold(repo, key);
    const hold: HoldRecord = existing ?? {
      version: 1,
      snapshot: snapshot.id,
      item: snapshot.item,
      reason: opts.reason?.trim() || null,
      time: (opts.now ?? new Date()).toISOString(),
      actor: opts.actor,
    };
    const objects = await objectsOf(repo, snapshot.id, new NeededPacks(repo));
    if (!existing) await repo.storage.put(key, sealObject(repo, Buffer.from(JSON.stringify(hold)), PURPOSE));
    objects.add(key);
    await mapLimit([...objects], PARALLEL, (k) => repo.storage.setLegalHold(k, true));
    return { hold, objects: objects.size, alreadyHeld: existing !== undefined };
  } finally {
    await lock.release();
  }
}

/**
 * Lifting a hold is gated as forgetting outside the keep rules is: where the snapshot's tier asks for
 * approvals (deleteApprovals), it is requested through the server, where approvers other than the
 * requester sign it off, and a local `hold remove` is refused rather than let the key holder skip
 * them. The server calls removeHold itself once approved; adding a hold is never gated.
 */
export function refuseLocalRelease(policy: Policy | undefined, snapshot: SnapshotRecord): void {
  const needed = snapshot.tier ? (policy?.tiers[snapshot.tier]?.deleteApprovals ?? 0) : 0;
  if (needed === 0) return;
  throw new CairnError(
    'CAIRN_E_FORBIDDEN',
    `snapshot ${snapshot.id.slice(0, 12)} (${snapshot.item}, tier ${snapshot.tier}) needs ${needed} approvals to have ` +
      'its legal hold lifted: request it through the server (CAIRN_SERVER=… cairn hold remove ID), approvers answer ' +
      'with `cairn approvals grant`',
    { id: snapshot.id, tier: snapshot.tier, approvals: needed },
  );
}

/**
 * `cairn hold remove`: clears the hold on the objects no other held snapshot needs, then deletes the
 * record (last, so a crash leaves a hold that `hold remove` finishes, never held objects without one).
 */
export async function removeHold(repo: Repository, snapshotId: string): Promise<ReleaseResult> {
  const lock = await repo.lock(false, 'hold');
  try {
    const holds = await readHolds(repo);
    const hold = holds.get(snapshotId);
    if (!hold)
      throw new CairnError('CAIRN_E_NOT_FOUND', `snapshot ${snapshotId.slice(0, 12)} has no legal hold`, {
        id: snapshotId,
      });
    await repo.loadIndex();
    const needed = new NeededPacks(repo);
    const others = new Set<string>();
    for (const id of holds.keys()) {
      if (id === snapshotId) continue;
      try {
        for (const k of await objectsOf(repo, id, needed)) others.add(k);
      } catch (err) {
        // A held snapshot that cannot be read keeps nothing of ours held: check --locks reports it.
        if (!isCairnError(err, 'CAIRN_E_INTEGRITY') && !isCairnError(err, 'CAIRN_E_NOT_FOUND')) throw err;
      }
    }
    const mine = [...(await objectsOf(repo, snapshotId, needed))];
    const release = mine.filter((k) => !others.has(k));
    await mapLimit(release, PARALLEL, async (k) => {
      try {
        await repo.storage.setLegalHold(k, false);
      } catch (err) {
        if (!isCairnError(err, 'CAIRN_E_NOT_FOUND')) throw err;
      }
    });
    const key = holdKey(snapshotId);
    await repo.storage.setLegalHold(key, false);
    await repo.storage.delete(key);
    return { hold, released: release.length + 1, stillHeld: mine.length - release.length };
  } finally {
    await lock.release();
  }
}
