import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { CairnError } from '../../errors/index.js';
import { assertValidKey, assertValidPrefix, assertValidRange } from '../key.js';
import { KeyedLock } from '../keyed-lock.js';
import {
  assertDeletable,
  assertValidDate,
  assertValidMode,
  extendedLock,
  initialLock,
  type Lock,
  lockInfo,
  noLock,
  sameLock,
} from '../retention.js';
import { alreadyExists, notFound, tooShort } from '../storage-errors.js';
import type { LockMode, ObjectInfo, PutOptions, RepairOptions, Storage } from '../types.js';
import { createClient, loadSdk, type S3Sdk } from './client.js';
import { type S3Settings, s3Settings } from './config.js';
import { httpStatus, isMissingObject, isObjectLockRefusal, noSuchBucket, s3Failure } from './errors.js';
import { inFuture, lockFromHead, lockParams, s3Mode } from './lock-headers.js';
import { RequestCounter, type RequestKind } from './request-counter.js';
import { keyVersions } from './versions.js';

interface Head {
  readonly size: number;
  readonly versionId: string | undefined;
  readonly lock: Lock;
}

interface Connection {
  readonly client: S3Client;
  readonly sdk: S3Sdk;
}

/**
 * The storage contract on an S3 bucket with versioning and Object Lock: WORM is the server's, so an
 * object under retention or legal hold cannot be removed by anyone, this code included. Each key is
 * one S3 object under the location's prefix. S3 has no "create only if absent" that RGW 16 honours,
 * so put is HEAD then PUT, serialized per key in this process; see docs/S3.md for the window.
 */
export class S3Storage implements Storage {
  readonly location: string;
  readonly listsRetention: boolean = false;
  readonly settings: S3Settings;
  readonly #counter = new RequestCounter();
  readonly #locks = new KeyedLock();
  #connection: Promise<Connection> | undefined;

  readonly #env: NodeJS.ProcessEnv;

  /** Settings come from env (CAIRN_S3_*, AWS_ENDPOINT_URL…); see docs/S3.md. */
  constructor(location: string, env: NodeJS.ProcessEnv = process.env) {
    this.settings = s3Settings(location, env);
    this.location = this.settings.location;
    this.#env = env;
  }

  /** Requests sent so far (since the last close), by kind. */
  get requests(): Readonly<Record<RequestKind, number>> {
    return { ...this.#counter.counts };
  }

  async put(key: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    assertValidKey(key);
    const lock = requestedLock(key, options);
    await this.#locks.run(key, () =>
      this.#call('write', key, async (c) => {
        // A content-addressed key needs no existence check: a second version would hold the same bytes.
        if (!options?.contentAddressed && (await this.#head(c, key))) throw alreadyExists(key, this.location);
        await this.#putObject(c, key, data, lock);
      }),
    );
  }

  async get(key: string): Promise<Buffer> {
    assertValidKey(key);
    return this.#call('read', key, async (c) => {
      try {
        const out = await c.client.send(
          new c.sdk.GetObjectCommand({ Bucket: this.settings.bucket, Key: this.#k(key) }),
        );
        return await this.#body(out.Body);
      } catch (err) {
        if (isMissingObject(err)) throw notFound(key, this.location);
        throw err;
      }
    });
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    assertValidKey(key);
    assertValidRange(key, offset, length);
    return this.#call('read', key, async (c) => {
      if (length === 0) {
        if (!(await this.#head(c, key))) throw notFound(key, this.location);
        return Buffer.alloc(0);
      }
      let data: Buffer;
      try {
        const range = `bytes=${offset}-${offset + length - 1}`;
        const command = new c.sdk.GetObjectCommand({ Bucket: this.settings.bucket, Key: this.#k(key), Range: range });
        data = await this.#body((await c.client.send(command)).Body);
      } catch (err) {
        if (isMissingObject(err)) throw notFound(key, this.location);
        if (httpStatus(err) === 416) throw tooShort(key, offset, length, 0);
        throw err;
      }
      if (data.length < length) throw tooShort(key, offset, length, data.length);
      return data;
    });
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    assertValidKey(key);
    return this.#call('stat', key, async (c) => {
      const head = await this.#head(c, key);
      return head && { key, size: head.size, ...lockInfo(head.lock) };
    });
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    assertValidPrefix(prefix);
    return this.#call('list', prefix, async (c) => {
      const found: ObjectInfo[] = [];
      const strip = this.settings.prefix.length;
      let token: string | undefined;
      do {
        const page = await c.client.send(
          new c.sdk.ListObjectsV2Command({
            Bucket: this.settings.bucket,
            Prefix: this.#k(prefix),
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const o of page.Contents ?? []) {
          if (o.Key === undefined || o.Key.endsWith('/')) continue;
          found.push({ key: o.Key.slice(strip), size: o.Size ?? 0 });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return found;
    });
  }

  /**
   * Refuses, without asking the server to delete, while the object is retained or held; then removes
   * every version of the key, oldest first, so no delete marker hides a version that is still there.
   */
  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.#locks.run(key, () =>
      this.#call('delete', key, async (c) => {
        const head = await this.#head(c, key);
        if (!head) throw notFound(key, this.location);
        assertDeletable(key, head.lock);
        const versions = await keyVersions(c, this.settings.bucket, this.#k(key));
        for (const { versionId } of versions) {
          try {
            await c.client.send(
              new c.sdk.DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.#k(key), VersionId: versionId }),
            );
          } catch (err) {
            if (isObjectLockRefusal(err)) throw lockedByServer(key, versionId, err);
            throw err;
          }
        }
      }),
    );
  }

  async extendRetention(key: string, until: Date, mode?: LockMode): Promise<void> {
    assertValidKey(key);
    assertValidDate(key, until);
    assertValidMode(key, mode);
    await this.#locks.run(key, () =>
      this.#call('extend retention of', key, async (c) => {
        // One request when it can only strengthen: S3 itself refuses (403) to shorten a lock, to lower
        // COMPLIANCE to GOVERNANCE, or to raise GOVERNANCE to COMPLIANCE without the bypass (checked on
        // RGW 16: docs/S3.md). Any refusal falls through to the look-first path below.
        if (mode !== undefined && inFuture(until) && (await this.#tryExtend(c, key, until, mode))) return;
        const head = await this.#head(c, key);
        if (!head) throw notFound(key, this.location);
        const next = extendedLock(head.lock, until, mode);
        // An expired date protects nothing, and S3 refuses to set one.
        if (sameLock(head.lock, next) || !inFuture(next.retainUntil)) return;
        const raisesMode = head.lock.mode === 'governance' && next.mode === 'compliance';
        try {
          await c.client.send(
            new c.sdk.PutObjectRetentionCommand({
              Bucket: this.settings.bucket,
              Key: this.#k(key),
              VersionId: head.versionId,
              Retention: { Mode: s3Mode(next.mode), RetainUntilDate: next.retainUntil },
              // Changing GOVERNANCE to COMPLIANCE is a governance change: S3 asks for the bypass.
              ...(raisesMode && inFuture(head.lock.retainUntil) ? { BypassGovernanceRetention: true } : {}),
            }),
          );
        } catch (err) {
          // Another process may have extended it further meanwhile; the server refuses to shorten.
          const now = httpStatus(err) === 403 ? await this.#head(c, key) : undefined;
          if (now && sameLock(now.lock, extendedLock(now.lock, until, mode))) return;
          throw err;
        }
      }),
    );
  }

  /** PutObjectRetention on the current version without looking first; false when the server refused it. */
  async #tryExtend(c: Connection, key: string, until: Date, mode: LockMode): Promise<boolean> {
    try {
      await c.client.send(
        new c.sdk.PutObjectRetentionCommand({
          Bucket: this.settings.bucket,
          Key: this.#k(key),
          Retention: { Mode: s3Mode(mode), RetainUntilDate: until },
        }),
      );
      return true;
    } catch (err) {
      const status = httpStatus(err);
      if (status === 403 || status === 404 || status === 405 || status === 400) return false;
      throw err;
    }
  }

  /** On: the current version. Off: every version, so the versions a repair left behind can go too. */
  async setLegalHold(key: string, on: boolean): Promise<void> {
    assertValidKey(key);
    await this.#locks.run(key, () =>
      this.#call(on ? 'set legal hold on' : 'clear legal hold on', key, async (c) => {
        let targets: (string | undefined)[];
        if (on) {
          const head = await this.#head(c, key);
          if (!head) throw notFound(key, this.location);
          if (head.lock.legalHold) return;
          targets = [head.versionId];
        } else {
          const versions = await keyVersions(c, this.settings.bucket, this.#k(key));
          if (!versions.some((v) => v.latest && !v.deleteMarker)) throw notFound(key, this.location);
          targets = versions.filter((v) => !v.deleteMarker).map((v) => v.versionId);
        }
        for (const version of targets) {
          await c.client.send(
            new c.sdk.PutObjectLegalHoldCommand({
              Bucket: this.settings.bucket,
              Key: this.#k(key),
              VersionId: version,
              LegalHold: { Status: on ? 'ON' : 'OFF' },
            }),
          );
        }
      }),
    );
  }

  /** A new version with the bytes given and the current version's retention, mode and hold. */
  async repair(key: string, data: Uint8Array, options?: RepairOptions): Promise<void> {
    assertValidKey(key);
    const asked = requestedLock(key, options);
    await this.#locks.run(key, () =>
      this.#call('repair', key, async (c) => {
        const head = await this.#head(c, key);
        if (!head && !options?.create) throw notFound(key, this.location);
        const kept = head?.lock ?? noLock;
        const lock = asked.retainUntil ? extendedLock(kept, asked.retainUntil, asked.mode) : kept;
        await this.#putObject(c, key, data, lock);
      }),
    );
  }

  /** Appends the request counts to CAIRN_S3_REQUEST_LOG and lets the connections go; usable again after. */
  async close(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#counter.flush(this.settings.requestLog, this.location);
    if (connection) (await connection.catch(() => undefined))?.client.destroy();
  }

  #k(key: string): string {
    return this.settings.prefix + key;
  }

  /** Runs one operation with a connected client, turning SDK errors into CairnErrors. */
  async #call<T>(op: string, key: string, body: (c: Connection) => Promise<T>): Promise<T> {
    try {
      return await body(await this.#connect());
    } catch (err) {
      throw s3Failure(op, key, this.settings, err);
    }
  }

  /** The client, made on first use, after one HeadBucket that turns a missing bucket or bad credentials into a clear error. */
  #connect(): Promise<Connection> {
    this.#connection ??= (async () => {
      const sdk = await loadSdk();
      const client = await createClient(this.settings, this.#counter, this.#env);
      try {
        await client.send(new sdk.HeadBucketCommand({ Bucket: this.settings.bucket }));
      } catch (err) {
        client.destroy();
        if (httpStatus(err) === 404) throw noSuchBucket(this.settings, { cause: err });
        throw s3Failure('open', '', this.settings, err);
      }
      return { client, sdk };
    })().catch((err) => {
      this.#connection = undefined;
      throw err;
    });
    return this.#connection;
  }

  async #head(c: Connection, key: string): Promise<Head | undefined> {
    try {
      const out = await c.client.send(new c.sdk.HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.#k(key) }));
      return { size: out.ContentLength ?? 0, versionId: out.VersionId, lock: lockFromHead(out) };
    } catch (err) {
      if (isMissingObject(err)) return undefined;
      throw err;
    }
  }

  /** Content-MD5 makes the server check every byte before it stores the object. */
  async #putObject(c: Connection, key: string, data: Uint8Array, lock: Lock): Promise<void> {
    await c.client.send(
      new c.sdk.PutObjectCommand({
        Bucket: this.settings.bucket,
        Key: this.#k(key),
        Body: data,
        ContentLength: data.length,
        ContentMD5: createHash('md5').update(data).digest('base64'),
        ...lockParams(lock),
      }),
    );
  }

  async #body(body: { transformToByteArray(): Promise<Uint8Array> } | undefined): Promise<Buffer> {
    if (!body) return Buffer.alloc(0);
    const bytes = await body.transformToByteArray();
    this.#counter.received(bytes.length);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }
}

/** The lock asked for by put or repair options; a date already past asks for none. */
function requestedLock(key: string, options: PutOptions | undefined): Lock {
  const retainUntil = options?.retainUntil;
  if (retainUntil === undefined) return noLock;
  assertValidDate(key, retainUntil);
  assertValidMode(key, options?.mode);
  return initialLock(retainUntil, options?.mode);
}

function lockedByServer(key: string, version: string | undefined, err: unknown): CairnError {
  return new CairnError(
    'CAIRN_E_RETAINED',
    `${key} is locked by the S3 server (Object Lock refused deleting version ${version ?? 'null'})`,
    { key, versionId: version },
    { cause: err },
  );
}
