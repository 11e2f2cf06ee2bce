import { assertValidKey, assertValidPrefix, assertValidRange } from '../key.js';
import {
  assertDeletable,
  assertValidDate,
  assertValidMode,
  extendedLock,
  initialLock,
  type Lock,
  lockInfo,
  noLock,
} from '../retention.js';
import { alreadyExists, notFound, tooShort } from '../storage-errors.js';
import type { LockMode, ObjectInfo, PutOptions, RepairOptions, Storage } from '../types.js';

interface MemObject {
  data: Buffer;
  lock: Lock;
}

/** The storage contract in memory, for unit tests of the layers above. Data is copied in and out. */
export class MemStorage implements Storage {
  readonly location: string;
  readonly listsRetention: boolean = true;
  readonly #objects = new Map<string, MemObject>();

  constructor(location = 'mem:') {
    this.location = location;
  }

  async put(key: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    assertValidKey(key);
    const lock = validLock(key, options);
    if (this.#objects.has(key)) throw alreadyExists(key, this.location);
    this.#objects.set(key, { data: Buffer.from(data), lock });
  }

  async get(key: string): Promise<Buffer> {
    return Buffer.from(this.#find(key).data);
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    assertValidRange(key, offset, length);
    const { data } = this.#find(key);
    const got = Math.max(0, Math.min(length, data.length - offset));
    if (got < length) throw tooShort(key, offset, length, got);
    return Buffer.from(data.subarray(offset, offset + length));
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    assertValidKey(key);
    const object = this.#objects.get(key);
    return object && info(key, object);
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    assertValidPrefix(prefix);
    const found: ObjectInfo[] = [];
    for (const [key, object] of this.#objects) {
      if (key.startsWith(prefix)) found.push(info(key, object));
    }
    return found;
  }

  async delete(key: string): Promise<void> {
    assertDeletable(key, this.#find(key).lock);
    this.#objects.delete(key);
  }

  async extendRetention(key: string, until: Date, mode?: LockMode): Promise<void> {
    assertValidDate(key, until);
    assertValidMode(key, mode);
    const object = this.#find(key);
    object.lock = extendedLock(object.lock, until, mode);
  }

  async setLegalHold(key: string, on: boolean): Promise<void> {
    const object = this.#find(key);
    object.lock = { ...object.lock, legalHold: on === true };
  }

  async repair(key: string, data: Uint8Array, options?: RepairOptions): Promise<void> {
    assertValidKey(key);
    const wanted = validLock(key, options);
    const object = this.#objects.get(key);
    if (!object) {
      if (!options?.create) throw notFound(key, this.location);
      this.#objects.set(key, { data: Buffer.from(data), lock: wanted });
      return;
    }
    object.data = Buffer.from(data);
    if (wanted.retainUntil) object.lock = extendedLock(object.lock, wanted.retainUntil, wanted.mode);
  }

  async close(): Promise<void> {}

  #find(key: string): MemObject {
    assertValidKey(key);
    const object = this.#objects.get(key);
    if (!object) throw notFound(key, this.location);
    return object;
  }
}

function validLock(key: string, options: PutOptions | undefined): Lock {
  const retainUntil = options?.retainUntil;
  if (retainUntil === undefined) return noLock;
  assertValidDate(key, retainUntil);
  assertValidMode(key, options?.mode);
  return initialLock(retainUntil, options?.mode);
}

function info(key: string, object: MemObject): ObjectInfo {
  return { key, size: object.data.length, ...lockInfo(object.lock) };
}
