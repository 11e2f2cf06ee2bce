import { CairnError, isCairnError } from '../errors/index.js';
import { mapLimit, type PackRecord, packIdOfKey, packKey, type Repository } from '../repo/index.js';
import type { ObjectInfo, Storage } from '../storage/index.js';
import { noProgress, type ProgressSink } from './progress.js';
import { assertReplicaSource } from './replica-identity.js';
import { contentAddress, lockOf, matchesAddress, retentionOf } from './replica-objects.js';

export interface RepairRequest {
  /** A replica of the repository (`cairn replicate --to`). */
  readonly from: Storage;
  /** Find and verify what would be repaired; write nothing. */
  readonly dryRun?: boolean;
  readonly concurrency?: number;
  readonly now?: Date;
}

export type RepairReason = 'missing' | 'damaged';

export interface RepairedObject {
  readonly key: string;
  readonly reason: RepairReason;
  readonly bytes: number;
}

export interface RepairProblem {
  readonly key: string;
  readonly reason: RepairReason | 'unreadable';
  readonly code: string;
  readonly message: string;
}

export interface RepairResult {
  readonly ok: boolean;
  readonly dryRun: boolean;
  readonly repository: string;
  readonly primary: string;
  readonly from: string;
  /** Objects of the primary read and checked against their content address. */
  readonly checked: { readonly objects: number; readonly bytes: number };
  /** Repaired (or, with dryRun, repairable: the replica's copy was fetched and verified). */
  readonly repaired: readonly RepairedObject[];
  readonly failed: readonly RepairProblem[];
  /** Records only the replica has, without a lock there: forgotten on purpose, or not; left alone. */
  readonly notRestored: readonly string[];
  readonly durationMs: number;
}

const PREFIXES = ['packs/', 'index/', 'snapshots/', 'verifications/'] as const;

/**
 * `cairn repair --from REPO2`: finds the primary's content-addressed objects that are damaged (bytes
 * that do not hash to their key) or missing (a pack an index file names; an index file naming a
 * pack no other index names; a snapshot or verification the replica still has under a lock, which
 * therefore was not forgotten), fetches each from the replica, verifies it there, and writes it
 * back with `Storage.repair` (the damaged version stays under its lock on S3). Config and keys are
 * not content-addressed and are never touched.
 */
export async function repairFromReplica(
  repo: Repository,
  request: RepairRequest,
  progress: ProgressSink = noProgress,
): Promise<RepairResult> {
  const started = performance.now();
  await assertReplicaSource(repo.storage, request.from);
  const lock = await repo.lock(false, 'repair');
  try {
    const run = new Repair(repo, request, progress);
    await run.run();
    return run.result(performance.now() - started);
  } finally {
    await lock.release();
  }
}

class Repair {
  readonly #primary: Storage;
  readonly #from: Storage;
  readonly #now: Date;
  readonly #limit: number;
  readonly #found = new Map<string, RepairReason>();
  readonly #repaired: RepairedObject[] = [];
  readonly #failed: RepairProblem[] = [];
  readonly #notRestored: string[] = [];
  #checked = { objects: 0, bytes: 0 };

  constructor(
    private readonly repo: Repository,
    private readonly request: RepairRequest,
    private readonly progress: ProgressSink,
  ) {
    this.#primary = repo.storage;
    this.#from = request.from;
    this.#now = request.now ?? new Date();
    this.#limit = Math.max(1, request.concurrency ?? 4);
  }

  async run(): Promise<void> {
    const primary = await listAddressed(this.#primary);
    const replica = await listAddressed(this.#from);
    const named = await this.#scan(primary);
    // Packs some index file names but that are gone.
    for (const id of named.keys()) if (!primary.has(packKey(id))) this.#found.set(packKey(id), 'missing');
    await this.#findLostIndexFiles(primary, replica, named);
    await this.#findLostRecords(primary, replica);
    const order = (key: string) => PREFIXES.findIndex((p) => key.startsWith(p));
    const todo = [...this.#found].sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b));
    let done = 0;
    // Packs before index files before records, as they were written.
    for (const prefix of PREFIXES) {
      await mapLimit(
        todo.filter(([key]) => key.startsWith(prefix)),
        this.#limit,
        async ([key, reason]) => {
          await this.#repairOne(key, reason, replica.get(key));
          this.progress({ phase: 'repair', files: ++done, totalFiles: todo.length, bytes: 0 });
        },
      );
    }
  }

  result(durationMs: number): RepairResult {
    return {
      ok: this.#failed.length === 0,
      dryRun: this.request.dryRun === true,
      repository: this.repo.id,
      primary: this.#primary.location,
      from: this.#from.location,
      checked: this.#checked,
      repaired: this.#repaired.sort((a, b) => a.key.localeCompare(b.key)),
      failed: this.#failed.sort((a, b) => a.key.localeCompare(b.key)),
      notRestored: this.#notRestored.sort(),
      durationMs: Math.round(durationMs),
    };
  }

  /**
   * Reads every object of the primary and checks it against its key; returns the packs its
   * readable index files name (a damaged index file is read from the replica instead).
   */
  async #scan(primary: Map<string, ObjectInfo>): Promise<Map<string, PackRecord>> {
    const named = new Map<string, PackRecord>();
    const total = [...primary.values()].reduce((n, o) => n + o.size, 0);
    await mapLimit([...primary.values()], this.#limit, async (o) => {
      try {
        const bytes = await this.#primary.get(o.key);
        this.#checked.objects++;
        this.#checked.bytes += bytes.length;
        if (!matchesAddress(o.key, bytes)) this.#found.set(o.key, 'damaged');
      } catch (err) {
        if (!isCairnError(err)) throw err;
        if (err.code === 'CAIRN_E_NOT_FOUND') this.#found.set(o.key, 'missing');
        else this.#failed.push({ key: o.key, reason: 'unreadable', code: err.code, message: err.message });
      }
      this.progress({
        phase: 'repair: reading',
        files: this.#checked.objects,
        totalFiles: primary.size,
        bytes: this.#checked.bytes,
        totalBytes: total,
      });
    });
    for (const key of primary.keys()) {
      if (!key.startsWith('index/') || this.#failed.some((f) => f.key === key)) continue;
      const from = this.#found.has(key) ? this.#from : this.#primary;
      try {
        for (const p of await readIndexFrom(this.repo, from, key)) named.set(p.id, p);
      } catch (err) {
        if (!isCairnError(err)) throw err;
        // The replica's copy is damaged or gone too: #repairOne reports it.
      }
    }
    return named;
  }

  /** An index file only the replica has is restored when it names a pack no index file of the primary names. */
  async #findLostIndexFiles(
    primary: Map<string, ObjectInfo>,
    replica: Map<string, ObjectInfo>,
    named: Map<string, PackRecord>,
  ): Promise<void> {
    const orphans = new Set(
      [...primary.keys()].filter((k) => k.startsWith('packs/') && !named.has(packIdOfKey(k))).map(packIdOfKey),
    );
    if (orphans.size === 0) return;
    for (const key of replica.keys()) {
      if (!key.startsWith('index/') || primary.has(key)) continue;
      try {
        if ((await readIndexFrom(this.repo, this.#from, key)).some((p) => orphans.has(p.id)))
          this.#found.set(key, 'missing');
      } catch (err) {
        if (!isCairnError(err)) throw err;
      }
    }
  }

  /** Snapshots and verifications the replica holds under a lock cannot have been forgotten on the primary. */
  async #findLostRecords(primary: Map<string, ObjectInfo>, replica: Map<string, ObjectInfo>): Promise<void> {
    const candidates = [...replica.values()].filter(
      (o) => (o.key.startsWith('snapshots/') || o.key.startsWith('verifications/')) && !primary.has(o.key),
    );
    const locks = await mapLimit(candidates, this.#limit, (o) => lockOf(this.#from, o.key, o));
    candidates.forEach((o, i) => {
      const lock = locks[i];
      const retained = lock?.legalHold || (lock?.retainUntil && lock.retainUntil.getTime() > this.#now.getTime());
      if (retained) this.#found.set(o.key, 'missing');
      else this.#notRestored.push(o.key);
    });
  }

  async #repairOne(key: string, reason: RepairReason, listed: ObjectInfo | undefined): Promise<void> {
    const fail = (code: string, message: string) => this.#failed.push({ key, reason, code, message });
    if (!listed) {
      fail('CAIRN_E_NOT_FOUND', `${key} is ${reason} in ${this.#primary.location} and not in ${this.#from.location}`);
      return;
    }
    try {
      const bytes = await this.#from.get(key);
      if (!matchesAddress(key, bytes)) {
        fail(
          'CAIRN_E_INTEGRITY',
          `${key} is ${reason} in ${this.#primary.location} and damaged in ${this.#from.location}`,
        );
        return;
      }
      if (!this.request.dryRun) {
        const lock = reason === 'missing' ? await lockOf(this.#from, key, listed) : undefined;
        await this.#primary.repair(key, bytes, { create: reason === 'missing', ...retentionOf(lock, this.#now) });
        if (lock?.legalHold) await this.#primary.setLegalHold(key, true);
        const back = await this.#primary.get(key);
        if (!back.equals(bytes)) {
          throw new CairnError(
            'CAIRN_E_INTEGRITY',
            `${key} reads back wrong after the repair in ${this.#primary.location}`,
            {
              object: key,
            },
          );
        }
      }
      this.#repaired.push({ key, reason, bytes: bytes.length });
    } catch (err) {
      if (!isCairnError(err)) throw err;
      fail(err.code, `${key} could not be repaired: ${err.message}`);
    }
  }
}

async function listAddressed(storage: Storage): Promise<Map<string, ObjectInfo>> {
  const found = new Map<string, ObjectInfo>();
  for (const prefix of PREFIXES) {
    for (const o of await storage.list(prefix)) if (contentAddress(o.key)) found.set(o.key, o);
  }
  return found;
}

/**
 * An index file read (decrypted, checked against its id) from `storage`: the replica holds the same
 * bytes under the same key, sealed with the same master key, so the repository's reader serves both.
 */
function readIndexFrom(repo: Repository, storage: Storage, key: string): Promise<PackRecord[]> {
  if (storage === repo.storage) return repo.readIndexFile(key);
  const view = Object.create(repo, { storage: { value: storage } }) as Repository;
  return view.readIndexFile(key);
}
