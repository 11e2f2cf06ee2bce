import { storageFailure } from '../storage-errors.js';
import type { LockMode, ObjectInfo, PutOptions, RepairOptions, Storage } from '../types.js';

export type StorageOp =
  | 'put'
  | 'get'
  | 'getRange'
  | 'stat'
  | 'list'
  | 'delete'
  | 'extendRetention'
  | 'setLegalHold'
  | 'repair';

/** An exact key, or a test on the key (on the prefix, for list). */
export type KeyMatch = string | ((key: string) => boolean);

interface Failure {
  readonly op: StorageOp;
  readonly match: KeyMatch;
  readonly error: Error | string;
  remaining: number;
}

const ops: readonly StorageOp[] = [
  'put',
  'get',
  'getRange',
  'stat',
  'list',
  'delete',
  'extendRetention',
  'setLegalHold',
  'repair',
];

/**
 * Wraps a Storage to make it fail on purpose, for the tests of every layer. Faults are armed with
 * the methods below and cleared by reset(); with none armed it behaves exactly like the inner one.
 */
export class FaultStorage implements Storage {
  readonly inner: Storage;
  /** Calls per operation, failed ones included. */
  readonly counts: Record<StorageOp, number> = zeroCounts();
  #failures: Failure[] = [];
  #corruptions = new Map<string, number[]>();
  #putBudget: { bytesLeft: number; code: string } | undefined;

  constructor(inner: Storage) {
    this.inner = inner;
  }

  get location(): string {
    return this.inner.location;
  }

  get listsRetention(): boolean {
    return this.inner.listsRetention;
  }

  /** A disk that fills up: once n more bytes have been put, a put that does not fit fails with code. */
  failPutAfterBytes(n: number, code = 'ENOSPC'): this {
    this.#putBudget = { bytesLeft: n, code };
    return this;
  }

  /**
   * op fails for matching keys, `times` times (default: always). A string error is an errno code
   * ('EIO'), reported the way a real backend reports it; an Error is thrown as it is.
   */
  failOn(op: StorageOp, match: KeyMatch, error: Error | string, times = Number.POSITIVE_INFINITY): this {
    this.#failures.push({ op, match, error, remaining: times });
    return this;
  }

  /** get and getRange return the object with the byte at offset inverted. */
  corrupt(key: string, offset: number): this {
    this.#corruptions.set(key, [...(this.#corruptions.get(key) ?? []), offset]);
    return this;
  }

  reset(): void {
    this.#failures = [];
    this.#corruptions.clear();
    this.#putBudget = undefined;
    Object.assign(this.counts, zeroCounts());
  }

  async put(key: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    this.#enter('put', key);
    const budget = this.#putBudget;
    if (budget && data.length > budget.bytesLeft) {
      throw storageFailure('write', key, this.location, errnoError(budget.code, 'put', key));
    }
    await this.inner.put(key, data, options);
    if (budget) budget.bytesLeft -= data.length;
  }

  async get(key: string): Promise<Buffer> {
    this.#enter('get', key);
    return this.#damage(key, await this.inner.get(key), 0);
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    this.#enter('getRange', key);
    return this.#damage(key, await this.inner.getRange(key, offset, length), offset);
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    this.#enter('stat', key);
    return this.inner.stat(key);
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    this.#enter('list', prefix);
    return this.inner.list(prefix);
  }

  async delete(key: string): Promise<void> {
    this.#enter('delete', key);
    return this.inner.delete(key);
  }

  async extendRetention(key: string, until: Date, mode?: LockMode): Promise<void> {
    this.#enter('extendRetention', key);
    return this.inner.extendRetention(key, until, mode);
  }

  async setLegalHold(key: string, on: boolean): Promise<void> {
    this.#enter('setLegalHold', key);
    return this.inner.setLegalHold(key, on);
  }

  async repair(key: string, data: Uint8Array, options?: RepairOptions): Promise<void> {
    this.#enter('repair', key);
    return this.inner.repair(key, data, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  #enter(op: StorageOp, key: string): void {
    this.counts[op] += 1;
    const failure = this.#failures.find((f) => f.op === op && f.remaining > 0 && matches(f.match, key));
    if (!failure) return;
    failure.remaining -= 1;
    if (failure.error instanceof Error) throw failure.error;
    throw storageFailure(op, key, this.location, errnoError(failure.error, op, key));
  }

  /** data holds the object's bytes from offset `start` on. */
  #damage(key: string, data: Buffer, start: number): Buffer {
    const offsets = this.#corruptions.get(key);
    if (!offsets) return data;
    const damaged = Buffer.from(data);
    for (const offset of offsets) {
      const i = offset - start;
      if (i >= 0 && i < damaged.length) damaged[i] = damaged[i]! ^ 0xff;
    }
    return damaged;
  }
}

function matches(match: KeyMatch, key: string): boolean {
  return typeof match === 'string' ? match === key : match(key);
}

function errnoError(code: string, op: string, key: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected fault, ${op} '${key}'`), { code });
}

function zeroCounts(): Record<StorageOp, number> {
  return Object.fromEntries(ops.map((op) => [op, 0])) as Record<StorageOp, number>;
}
