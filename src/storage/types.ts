/**
 * The storage contract: immutable objects under string keys ("config", "keys/<id>",
 * "packs/ab/<id>", "index/<id>", "snapshots/<id>", "locks/<id>").
 *
 * MUST rules every backend keeps (docs/FORMAT.md, tested by storage/contract.ts):
 * - put never overwrites: an existing key fails with CAIRN_E_EXISTS and leaves the object as it was.
 * - put is atomic: after a crash the key is either absent or holds every byte.
 * - delete of an object whose retainUntil is in the future fails with CAIRN_E_RETAINED and names the date.
 * - retention can be extended, never shortened.
 * - get of a missing key fails with CAIRN_E_NOT_FOUND.
 */

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly retainUntil?: Date | undefined;
}

export interface PutOptions {
  /** WORM: the object cannot be deleted before this instant. */
  readonly retainUntil?: Date | undefined;
}

export interface Storage {
  /** A human-readable location, used in messages ("/srv/backups/cairn", "mem:"). */
  readonly location: string;
  put(key: string, data: Uint8Array, options?: PutOptions): Promise<void>;
  get(key: string): Promise<Buffer>;
  /** Reads length bytes at offset; fails with CAIRN_E_INTEGRITY if the object is shorter. */
  getRange(key: string, offset: number, length: number): Promise<Buffer>;
  stat(key: string): Promise<ObjectInfo | undefined>;
  /** Every object whose key starts with prefix, in no particular order. */
  list(prefix: string): Promise<ObjectInfo[]>;
  delete(key: string): Promise<void>;
  /** Moves retainUntil later; a date earlier than the current one is ignored. */
  extendRetention(key: string, until: Date): Promise<void>;
  close(): Promise<void>;
}
