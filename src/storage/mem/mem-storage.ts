import { assertValidKey, assertValidPrefix, assertValidRange } from '../key.js';
import { assertDeletable, assertValidDate, laterOf } from '../retention.js';
import { alreadyExists, notFound, tooShort } from '../storage-errors.js';
import type { ObjectInfo, PutOptions, Storage } from '../types.js';

interface MemObject {
  readonly data: Buffer;
  retainUntil: Date | undefined;
}

/** The storage contract in memory, for unit tests of the layers above. Data is copied in and out. */
export class MemStorage implements Storage {
  readonly location: string;
  readonly #objects = new Map<string, MemObject>();

  constructor(location = 'mem:') {
    this.location = location;
  }

  async put(key: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    assertValidKey(key);
    const retainUntil = options?.retainUntil;
    if (retainUntil !== undefined) assertValidDate(key, retainUntil);
    if (this.#objects.has(key)) throw alreadyExists(key, this.location);
    this.#objects.set(key, { data: Buffer.from(data), retainUntil: retainUntil && new Date(retainUntil) });
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
    assertDeletable(key, this.#find(key).retainUntil);
    this.#objects.delete(key);
  }

  async extendRetention(key: string, until: Date): Promise<void> {
    assertValidDate(key, until);
    const object = this.#find(key);
    object.retainUntil = new Date(laterOf(object.retainUntil, until)!);
  }

  async close(): Promise<void> {}

  #find(key: string): MemObject {
    assertValidKey(key);
    const object = this.#objects.get(key);
    if (!object) throw notFound(key, this.location);
    return object;
  }
}

function info(key: string, object: MemObject): ObjectInfo {
  return { key, size: object.data.length, retainUntil: object.retainUntil && new Date(object.retainUntil) };
}
