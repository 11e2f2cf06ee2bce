import { type Kysely, sql } from 'kysely';
import { batches } from './batches.js';
import type { CatalogDatabase } from './schema.js';

/** As the storage layer's LockMode: compliance cannot be lowered by anyone, governance by a privileged user. */
export type RecordedLockMode = 'compliance' | 'governance';

export interface RecordedLock {
  readonly key: string;
  readonly retainUntil: Date;
  readonly mode: RecordedLockMode;
  /** When Cairn set, extended or saw this lock. */
  readonly observedAt: Date;
}

/** A lock as seen by a control (check --locks): null when the object has no lock in force or is gone. */
export interface ObservedLock {
  readonly key: string;
  readonly retainUntil: Date | null;
  readonly mode: RecordedLockMode | null;
}

/**
 * The record of the locks Cairn has put on repository objects, extended, or seen by stat: a LOWER BOUND
 * of what the storage holds (locks only ever grow), so a snapshot can skip asking the storage about a
 * pack whose recorded lock already covers what it needs. Keyed by the storage's location (a replica
 * shares the repository id, not its locks) and the object key. An index like the snapshot rows: losing
 * it only costs requests. `observe` is the one way down: what `check --locks` read from the storage
 * replaces the record, so a lock weakened behind Cairn's back is stat'ed and extended again.
 */
export interface ObjectLocks {
  /** The recorded locks of those keys that have one. */
  get(location: string, keys: readonly string[]): Promise<Map<string, RecordedLock>>;
  /** Records locks known to be in force: the later date and the stronger mode of the record and these win. */
  raise(location: string, locks: ReadonlyArray<Omit<RecordedLock, 'observedAt'>>, at?: Date): Promise<void>;
  /** Replaces the record with what the storage reported; a key without a lock (or gone) is forgotten. */
  observe(location: string, locks: readonly ObservedLock[], at?: Date): Promise<void>;
}

interface ObjectLocksTable {
  location: string;
  object_key: string;
  retain_until: string; // ISO 8601 UTC with milliseconds: compares as text
  mode: string;
  observed_at: string;
}

type Db = Kysely<CatalogDatabase & { object_locks: ObjectLocksTable }>;

export class KyselyObjectLocks implements ObjectLocks {
  readonly #db: Db;

  constructor(db: Kysely<CatalogDatabase>) {
    this.#db = db.withTables<{ object_locks: ObjectLocksTable }>();
  }

  async get(location: string, keys: readonly string[]): Promise<Map<string, RecordedLock>> {
    const out = new Map<string, RecordedLock>();
    for (const batch of batches([...new Set(keys)])) {
      const rows = await this.#db
        .selectFrom('object_locks')
        .selectAll()
        .where('location', '=', location)
        .where('object_key', 'in', batch)
        .execute();
      for (const r of rows) {
        out.set(r.object_key, {
          key: r.object_key,
          retainUntil: new Date(r.retain_until),
          mode: r.mode === 'compliance' ? 'compliance' : 'governance',
          observedAt: new Date(r.observed_at),
        });
      }
    }
    return out;
  }

  async raise(
    location: string,
    locks: ReadonlyArray<Omit<RecordedLock, 'observedAt'>>,
    at: Date = new Date(),
  ): Promise<void> {
    // One row per key (PostgreSQL refuses a statement that updates a row twice), merged as the database would.
    const merged = new Map<string, ObjectLocksTable>();
    for (const l of locks) {
      const prev = merged.get(l.key);
      const until = l.retainUntil.toISOString();
      merged.set(l.key, {
        location,
        object_key: l.key,
        retain_until: prev && prev.retain_until > until ? prev.retain_until : until,
        mode: prev?.mode === 'compliance' || l.mode === 'compliance' ? 'compliance' : 'governance',
        observed_at: at.toISOString(),
      });
    }
    const rows = [...merged.values()];
    await this.#db.transaction().execute(async (trx) => {
      for (const batch of batches(rows)) {
        await trx
          .insertInto('object_locks')
          .values(batch)
          .onConflict((oc) =>
            oc.columns(['location', 'object_key']).doUpdateSet({
              retain_until: sql<string>`case when excluded.retain_until > object_locks.retain_until
                then excluded.retain_until else object_locks.retain_until end`,
              mode: sql<string>`case when excluded.mode = 'compliance' or object_locks.mode = 'compliance'
                then 'compliance' else 'governance' end`,
              observed_at: sql<string>`excluded.observed_at`,
            }),
          )
          .execute();
      }
    });
  }

  async observe(location: string, locks: readonly ObservedLock[], at: Date = new Date()): Promise<void> {
    const rows = new Map<string, ObjectLocksTable>();
    const gone = new Set<string>();
    for (const l of locks) {
      if (l.retainUntil === null) {
        gone.add(l.key);
        rows.delete(l.key);
        continue;
      }
      gone.delete(l.key);
      rows.set(l.key, {
        location,
        object_key: l.key,
        retain_until: l.retainUntil.toISOString(),
        mode: l.mode === 'compliance' ? 'compliance' : 'governance',
        observed_at: at.toISOString(),
      });
    }
    await this.#db.transaction().execute(async (trx) => {
      for (const batch of batches([...gone])) {
        await trx
          .deleteFrom('object_locks')
          .where('location', '=', location)
          .where('object_key', 'in', batch)
          .execute();
      }
      for (const batch of batches([...rows.values()])) {
        await trx
          .insertInto('object_locks')
          .values(batch)
          .onConflict((oc) =>
            oc.columns(['location', 'object_key']).doUpdateSet({
              retain_until: sql<string>`excluded.retain_until`,
              mode: sql<string>`excluded.mode`,
              observed_at: sql<string>`excluded.observed_at`,
            }),
          )
          .execute();
      }
    });
  }
}
