import { CairnError, isCairnError } from '../errors/index.js';
import { mapLimit, packKey, type Repository } from '../repo/index.js';
import { type ObjectInfo, openStorage, type Storage } from '../storage/index.js';
import { noProgress, type ProgressSink } from './progress.js';
import { ObjectCopier } from './replica-copier.js';
import { assertReplicaTarget } from './replica-identity.js';
import { PackNeeds } from './replica-needs.js';
import { lockOf, mergeLock, raiseLock, STAGES, type Stage, stageOf, type WantedLock } from './replica-objects.js';

export interface ReplicateRequest {
  /** The second repository: empty, or a replica of this one. */
  readonly to: Storage;
  /** Objects copied at the same time (default 8). */
  readonly concurrency?: number;
  /**
   * Raise the lock of every object already on the target to the primary's. Done anyway where both
   * backends list locks for free; on S3 it costs a HEAD per object on each side.
   */
  readonly syncLocks?: boolean;
  readonly now?: Date;
}

export interface ReplicationProblem {
  readonly key: string;
  readonly code: string;
  readonly message: string;
}

export interface ReplicateResult {
  readonly ok: boolean;
  readonly from: string;
  readonly to: string;
  readonly repository: string;
  /** The repository's objects (locks aside), and how many of them the target had before this run. */
  readonly objects: number;
  readonly alreadyThere: number;
  readonly copied: number;
  readonly copiedBytes: number;
  readonly copiedByKind: Readonly<Partial<Record<Stage, number>>>;
  /** Objects already on the target whose retention, mode or legal hold was raised to the primary's. */
  readonly locksRaised: number;
  /**
   * Every copy read back from the target and compared: objects, bytes, and the time spent reading
   * from the primary, writing to the target and reading back (each summed over concurrent copies).
   */
  readonly verified: {
    readonly objects: number;
    readonly bytes: number;
    readonly readMs: number;
    readonly writeMs: number;
    readonly verifyMs: number;
  };
  /** Snapshots and verifications not copied because something they need is not on the target. */
  readonly heldBack: readonly ReplicationProblem[];
  readonly failed: readonly ReplicationProblem[];
  readonly durationMs: number;
}

/**
 * `cairn replicate`: copies every object the target lacks, in write order (keys and config, packs,
 * index files, snapshots and verifications, then audit/), each verified before and after it travels.
 * A snapshot is copied only once every pack it needs is on the target and indexed there, and those
 * packs hold its retention, so the replica never has a snapshot it cannot restore or protect.
 * Nothing is ever deleted or overwritten on the target. Runs under a shared lock of the primary,
 * so prune cannot remove a pack while it is being copied.
 */
export async function replicateRepository(
  repo: Repository,
  request: ReplicateRequest,
  progress: ProgressSink = noProgress,
): Promise<ReplicateResult> {
  const started = performance.now();
  const lock = await repo.lock(false, 'replicate');
  try {
    const run = new Replication(repo, request, progress);
    await run.run();
    return run.result(performance.now() - started);
  } finally {
    await lock.release();
  }
}

class Replication {
  readonly #from: Storage;
  readonly #to: Storage;
  readonly #now: Date;
  readonly #limit: number;
  readonly #copier: ObjectCopier;
  #primary = new Map<string, ObjectInfo>();
  #target = new Map<string, ObjectInfo>();
  readonly #copied = new Set<string>();
  readonly #copiedByKind: Partial<Record<Stage, number>> = {};
  #copiedBytes = 0;
  #locksRaised = 0;
  readonly #failed: ReplicationProblem[] = [];
  readonly #heldBack: ReplicationProblem[] = [];
  #total = { objects: 0, bytes: 0 };

  constructor(
    private readonly repo: Repository,
    private readonly request: ReplicateRequest,
    private readonly progress: ProgressSink,
  ) {
    this.#from = repo.storage;
    this.#to = request.to;
    this.#now = request.now ?? new Date();
    this.#limit = Math.max(1, request.concurrency ?? 8);
    this.#copier = new ObjectCopier(this.#from, this.#to, this.#now);
  }

  async run(): Promise<void> {
    // Snapshots and verifications are listed first: everything they need was written before them,
    // so it is in the listing that follows.
    const records = [...(await this.#from.list('snapshots/')), ...(await this.#from.list('verifications/'))];
    const rest = (await this.#from.list('')).filter((o) => {
      const stage = stageOf(o.key);
      return stage !== undefined && stage !== 'snapshots' && stage !== 'verifications';
    });
    this.#primary = new Map([...rest, ...records].map((o) => [o.key, o]));
    this.#target = new Map((await this.#to.list('')).filter((o) => stageOf(o.key)).map((o) => [o.key, o]));
    await assertReplicaTarget(this.#from, this.#to, this.#target.keys(), (k) => this.#primary.has(k));

    const missing = Object.fromEntries(STAGES.map((s) => [s, [] as ObjectInfo[]])) as Record<Stage, ObjectInfo[]>;
    for (const o of this.#primary.values()) {
      const there = this.#target.get(o.key);
      if (!there) missing[stageOf(o.key)!].push(o);
      else if (there.size !== o.size) this.#fail(o.key, this.#damagedOnTarget(o, there));
    }
    for (const list of Object.values(missing)) {
      this.#total.objects += list.length;
      this.#total.bytes += list.reduce((n, o) => n + o.size, 0);
    }
    this.#report();
    await this.#copyAll(missing.keys);
    await this.#copyAll(missing.config);
    await this.#copyAll(missing.packs);
    await this.#copyAll(missing.index);
    await this.#copyRecords(missing.snapshots, missing.verifications);
    await this.#copyAll(missing.other);
  }

  result(durationMs: number): ReplicateResult {
    return {
      ok: this.#failed.length === 0 && this.#heldBack.length === 0,
      from: this.#from.location,
      to: this.#to.location,
      repository: this.repo.id,
      objects: this.#primary.size,
      alreadyThere: [...this.#primary.keys()].filter((k) => this.#target.has(k)).length,
      copied: this.#copied.size,
      copiedBytes: this.#copiedBytes,
      copiedByKind: this.#copiedByKind,
      locksRaised: this.#locksRaised,
      verified: {
        objects: this.#copied.size,
        bytes: this.#copier.verifiedBytes,
        readMs: Math.round(this.#copier.readMs),
        writeMs: Math.round(this.#copier.writeMs),
        verifyMs: Math.round(this.#copier.verifyMs),
      },
      heldBack: this.#heldBack,
      failed: this.#failed,
      durationMs: Math.round(durationMs),
    };
  }

  /**
   * Snapshots whose packs are all on the target (and named by its index files) are copied, after
   * the target's copies of those packs are locked at least as long as the snapshot; the others wait
   * for a later run. A verification follows its snapshot.
   */
  async #copyRecords(snapshots: readonly ObjectInfo[], verifications: readonly ObjectInfo[]): Promise<void> {
    const wants = new Map<string, WantedLock>();
    const want = (key: string, lock: WantedLock | ObjectInfo | undefined) =>
      wants.set(key, mergeLock(wants.get(key) ?? {}, lock));
    if (this.request.syncLocks === true || (this.#from.listsRetention && this.#to.listsRetention)) {
      const common = [...this.#primary].filter(([key]) => this.#target.has(key));
      const locks = await mapLimit(common, this.#limit, ([key, listed]) => lockOf(this.#from, key, listed));
      common.forEach(([key], i) => {
        want(key, locks[i]);
      });
    }
    if (snapshots.length + verifications.length === 0) {
      await this.#raiseLocks(wants);
      return;
    }
    const needs = new PackNeeds(this.repo);
    const indexKeys = [...this.#primary.keys()].filter((k) => stageOf(k) === 'index');
    let covered: ReadonlySet<string>;
    try {
      await needs.loadIndex(indexKeys);
      covered = await this.#coveredPacks(indexKeys);
    } catch (err) {
      if (!isCairnError(err)) throw err;
      for (const o of [...snapshots, ...verifications]) this.#holdBack(o.key, err.code, err.message);
      await this.#raiseLocks(wants);
      return;
    }
    const ready: Array<{ object: ObjectInfo; packs: ReadonlySet<string> }> = [];
    for (const object of snapshots) {
      const packs = await this.#needsOf(object.key, () => needs.ofSnapshot(idOf(object.key)));
      if (!packs) continue;
      const absent = [...packs].filter((p) => !covered.has(p) || !this.#onTarget(packKey(p)));
      if (absent.length > 0) {
        const more = absent.length > 1 ? ` and ${absent.length - 1} more` : '';
        this.#holdBack(
          object.key,
          'CAIRN_E_INTEGRITY',
          `it needs pack ${absent[0]}${more}, which ${this.#to.location} does not have yet`,
        );
        continue;
      }
      ready.push({ object, packs });
    }
    const readyVerifications: Array<{ object: ObjectInfo; snapshot: string; packs: ReadonlySet<string> }> = [];
    for (const object of verifications) {
      const snapshot = await this.#needsOf(object.key, async () =>
        this.repo.loadVerification(idOf(object.key)).then((v) => v.snapshot),
      );
      if (!snapshot) continue;
      const snapshotKey = `snapshots/${snapshot}`;
      if (!this.#target.has(snapshotKey) && !ready.some((r) => r.object.key === snapshotKey)) {
        this.#holdBack(object.key, 'CAIRN_E_INTEGRITY', `its snapshot ${snapshot.slice(0, 12)} is not on the target`);
        continue;
      }
      const packs = await this.#needsOf(object.key, () => needs.ofSnapshot(snapshot));
      if (packs) readyVerifications.push({ object, snapshot, packs });
    }
    // A record's retention covers the packs it needs (docs/FORMAT.md); packs copied in this run
    // carry the primary's lock already, older copies may hold a shorter one.
    for (const r of [...ready, ...readyVerifications]) {
      const lock = await lockOf(this.#from, r.object.key, r.object);
      for (const p of r.packs) if (this.#target.has(packKey(p))) want(packKey(p), lock);
    }
    const unlocked = await this.#raiseLocks(wants);

    const blocked = (packs: ReadonlySet<string>) => [...packs].find((p) => unlocked.has(packKey(p)));
    await this.#copyAll(
      ready
        .filter((r) => {
          const pack = blocked(r.packs);
          if (pack) this.#holdBack(r.object.key, 'CAIRN_E_STORAGE', `the lock of pack ${pack} could not be raised`);
          return !pack;
        })
        .map((r) => r.object),
    );
    await this.#copyAll(
      readyVerifications
        .filter((r) => {
          if (this.#onTarget(`snapshots/${r.snapshot}`) && !blocked(r.packs)) return true;
          this.#holdBack(r.object.key, 'CAIRN_E_INTEGRITY', `its snapshot ${r.snapshot.slice(0, 12)} was not copied`);
          return false;
        })
        .map((r) => r.object),
    );
  }

  /** Raises locks on the target; returns the keys where that failed. */
  async #raiseLocks(wants: Map<string, WantedLock>): Promise<Set<string>> {
    const failed = new Set<string>();
    await mapLimit([...wants], this.#limit, async ([key, want]) => {
      try {
        const have = await lockOf(this.#to, key, this.#target.get(key));
        if (await raiseLock(this.#to, key, want, have, this.#now)) this.#locksRaised++;
      } catch (err) {
        if (!isCairnError(err)) throw err;
        failed.add(key);
        this.#fail(key, err);
      }
    });
    return failed;
  }

  /** Packs named by the index files on the target (all of the primary's, unless some failed to copy). */
  async #coveredPacks(indexKeys: readonly string[]): Promise<ReadonlySet<string>> {
    const onTarget = indexKeys.filter((k) => this.#onTarget(k));
    if (onTarget.length === indexKeys.length) return new Set(this.repo.index.packs.keys());
    const covered = new Set<string>();
    for (const key of onTarget) for (const p of await this.repo.readIndexFile(key)) covered.add(p.id);
    return covered;
  }

  async #needsOf<T>(key: string, load: () => Promise<T>): Promise<T | undefined> {
    try {
      return await load();
    } catch (err) {
      if (!isCairnError(err)) throw err;
      this.#holdBack(key, err.code, `it cannot be read in ${this.#from.location}: ${err.message}`);
      return undefined;
    }
  }

  async #copyAll(objects: readonly ObjectInfo[]): Promise<void> {
    await mapLimit(objects, this.#limit, async (o) => {
      try {
        const size = await this.#copier.copy(o.key, o);
        this.#copied.add(o.key);
        this.#copiedBytes += size;
        const stage = stageOf(o.key)!;
        this.#copiedByKind[stage] = (this.#copiedByKind[stage] ?? 0) + 1;
      } catch (err) {
        if (!isCairnError(err)) throw err;
        this.#fail(o.key, err);
      }
      this.#report();
    });
  }

  #onTarget(key: string): boolean {
    return this.#target.has(key) || this.#copied.has(key);
  }

  #report(): void {
    this.progress({
      phase: 'replicate',
      files: this.#copied.size + this.#failed.length,
      totalFiles: this.#total.objects,
      bytes: this.#copiedBytes,
      totalBytes: this.#total.bytes,
    });
  }

  #fail(key: string, err: CairnError): void {
    this.#failed.push({ key, code: err.code, message: err.message });
  }

  #holdBack(key: string, code: string, why: string): void {
    this.#heldBack.push({ key, code, message: `${key} was not copied: ${why}` });
  }

  #damagedOnTarget(o: ObjectInfo, there: ObjectInfo): CairnError {
    return new CairnError(
      'CAIRN_E_INTEGRITY',
      `${o.key} is ${there.size} bytes in ${this.#to.location} but ${o.size} in ${this.#from.location}: ` +
        `the replica's copy is damaged; repair it with \`cairn repair --repo ${this.#to.location} --from ${this.#from.location}\``,
      { object: o.key },
    );
  }
}

function idOf(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** The storage of a second repository named on the command line or in the policy (a path or s3://…). */
export function openReplica(location: string): Storage {
  return openStorage(location);
}
