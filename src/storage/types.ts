/**
 * The storage contract: immutable objects under string keys ("config", "keys/<id>",
 * "packs/ab/<id>", "index/<id>", "snapshots/<id>", "locks/<id>").
 *
 * MUST rules every backend keeps (docs/FORMAT.md, tested by storage/contract.ts):
 * - put never overwrites: an existing key fails with CAIRN_E_EXISTS and leaves the object as it was.
 * - put is atomic: after a crash the key is either absent or holds every byte.
 * - delete of an object whose retainUntil is in the future, or that is under legal hold, fails with
 *   CAIRN_E_RETAINED and names the date (or the hold); a backend checks this before it asks the server.
 * - retention can be extended, never shortened; a lock mode can be raised (governance → compliance),
 *   never lowered.
 * - get of a missing key fails with CAIRN_E_NOT_FOUND.
 * - repair replaces an object's bytes only; its retention, mode and hold stay (S3: a new version;
 *   the damaged version stays under its lock).
 */

/** WORM lock strength: compliance cannot be shortened or lifted by anyone; governance by a privileged user. */
export type LockMode = 'compliance' | 'governance';

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  /**
   * From stat: the object's retention. From list: only where the backend has it without one request
   * per object (`Storage.listsRetention`); otherwise undefined, and callers that need it stat.
   */
  readonly retainUntil?: Date | undefined;
  /** The lock mode of retainUntil (stat only where listsRetention is false). */
  readonly mode?: LockMode | undefined;
  /** True while a legal hold is set (stat only where listsRetention is false). */
  readonly legalHold?: boolean | undefined;
}

export interface PutOptions {
  /** WORM: the object cannot be deleted before this instant. */
  readonly retainUntil?: Date | undefined;
  /** Lock mode for retainUntil; default governance. Ignored without retainUntil. */
  readonly mode?: LockMode | undefined;
  /**
   * The caller promises the key names these bytes alone (a content address, or a fresh random id), so an
   * object already under it holds the same bytes. A backend whose existence check costs a request (S3: a
   * HEAD before each PUT) may skip it; local and mem still refuse an existing key.
   */
  readonly contentAddressed?: boolean | undefined;
}

/** repair's options: the lock for a key that is gone (with create), raised on one that exists. */
export type RepairOptions = PutOptions & { readonly create?: boolean | undefined };

export interface Storage {
  /** A human-readable location, used in messages ("/srv/backups/cairn", "s3://bucket/prefix", "mem:"). */
  readonly location: string;
  /** Whether list() fills retainUntil, mode and legalHold (local, mem: yes; S3: no, it needs a HEAD each). */
  readonly listsRetention: boolean;
  put(key: string, data: Uint8Array, options?: PutOptions): Promise<void>;
  get(key: string): Promise<Buffer>;
  /** Reads length bytes at offset; fails with CAIRN_E_INTEGRITY if the object is shorter. */
  getRange(key: string, offset: number, length: number): Promise<Buffer>;
  stat(key: string): Promise<ObjectInfo | undefined>;
  /** Every object whose key starts with prefix, in no particular order. */
  list(prefix: string): Promise<ObjectInfo[]>;
  delete(key: string): Promise<void>;
  /**
   * Moves retainUntil later; a date earlier than the current one is ignored. With mode compliance, a
   * governance lock becomes compliance; mode governance never lowers a compliance lock.
   */
  extendRetention(key: string, until: Date, mode?: LockMode): Promise<void>;
  /** Sets or clears a legal hold: while set, delete fails with CAIRN_E_RETAINED whatever the date. */
  setLegalHold(key: string, on: boolean): Promise<void>;
  /**
   * Replaces the bytes of an existing object that is damaged or whose bytes are gone, with bytes the
   * caller has verified (against the content address in the key, or a replica). Retention, mode and
   * hold stay as they were; a missing key fails with CAIRN_E_NOT_FOUND unless `create` is set.
   */
  repair(key: string, data: Uint8Array, options?: RepairOptions): Promise<void>;
  close(): Promise<void>;
}
