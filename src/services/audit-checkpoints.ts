import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  type CheckpointStore,
  DEFAULT_AUDIT_RETENTION_MS,
  isCheckpointName,
  type SigningKeyPair,
} from '../audit/index.js';
import { CairnError, isCairnError } from '../errors/index.js';
import { openSealedObject, type Repository, sealObject } from '../repo/index.js';

/** The signing key's private half, sealed with the repository key; written once, never replaced. */
export const SIGNING_KEY_OBJECT = 'audit/signing-key';
/** Its public half as PEM, in the clear: the key every checkpoint must be signed with (pinned). */
export const PUBLIC_KEY_OBJECT = 'audit/public-key';

const keyPurpose = 'audit-signing-key';
const eventsPurpose = 'audit-events';

export interface RepositoryCheckpointOptions {
  /** WORM retention of the key objects when created (the policy's audit retention; default 10 years). */
  readonly retentionMs?: number | undefined;
  readonly clock?: (() => Date) | undefined;
}

/**
 * Audit checkpoints as repository objects under WORM retention (docs/AUDIT.md). Event payloads and
 * the private key are sealed with the repository key; the checkpoints' signed fields and the public
 * key are readable without it.
 */
export class RepositoryCheckpointStore implements CheckpointStore {
  readonly #repo: Pick<Repository, 'storage' | 'master'>;
  readonly #o: RepositoryCheckpointOptions;
  #pair: Promise<SigningKeyPair> | undefined;

  constructor(repo: Pick<Repository, 'storage' | 'master'>, options: RepositoryCheckpointOptions = {}) {
    this.#repo = repo;
    this.#o = options;
  }

  async put(name: string, bytes: Uint8Array, retainUntil: Date): Promise<void> {
    if (!isCheckpointName(name)) {
      throw new CairnError('CAIRN_E_USAGE', `${JSON.stringify(name)} is not an audit checkpoint name`, { key: name });
    }
    const { storage } = this.#repo;
    await storage.put(name, bytes, { retainUntil });
    // The key must outlive every checkpoint it signed.
    for (const key of [SIGNING_KEY_OBJECT, PUBLIC_KEY_OBJECT]) await storage.extendRetention(key, retainUntil);
  }

  async list(): Promise<string[]> {
    const objects = await this.#repo.storage.list('audit/');
    return objects
      .map((o) => o.key)
      .filter(isCheckpointName)
      .sort();
  }

  get(name: string): Promise<Uint8Array> {
    return this.#repo.storage.get(name);
  }

  signingKey(): Promise<SigningKeyPair> {
    this.#pair ??= this.#loadOrCreate().catch((err: unknown) => {
      this.#pair = undefined;
      throw err;
    });
    return this.#pair;
  }

  async publicKey(): Promise<KeyObject | undefined> {
    const pem = await this.#repo.storage.get(PUBLIC_KEY_OBJECT).catch(absent);
    return pem && createPublicKey({ key: pem, format: 'pem' });
  }

  async sealEvents(plain: Uint8Array): Promise<Uint8Array> {
    return sealObject(this.#repo, plain, eventsPurpose);
  }

  async openEvents(sealed: Uint8Array): Promise<Uint8Array> {
    return openSealedObject(this.#repo, sealed, eventsPurpose, 'an audit checkpoint payload');
  }

  async #loadOrCreate(): Promise<SigningKeyPair> {
    const existing = await this.#load();
    if (existing) return existing;
    const pair = generateKeyPairSync('ed25519');
    const der = pair.privateKey.export({ type: 'pkcs8', format: 'der' });
    try {
      await this.#repo.storage.put(SIGNING_KEY_OBJECT, sealObject(this.#repo, der, keyPurpose), this.#retention());
    } catch (err) {
      // Another process created it first: use theirs.
      if (isCairnError(err, 'CAIRN_E_EXISTS')) return (await this.#load())!;
      throw err;
    }
    await this.#pin(pair.publicKey);
    return pair;
  }

  async #load(): Promise<SigningKeyPair | undefined> {
    const sealed = await this.#repo.storage.get(SIGNING_KEY_OBJECT).catch(absent);
    if (!sealed) return undefined;
    const der = openSealedObject(this.#repo, sealed, keyPurpose, SIGNING_KEY_OBJECT);
    const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    const publicKey = createPublicKey(privateKey);
    await this.#pin(publicKey); // a crash may have come between the two writes
    return { privateKey, publicKey };
  }

  async #pin(publicKey: KeyObject): Promise<void> {
    const pinned = await this.publicKey();
    if (!pinned) {
      const pem = Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }));
      await this.#repo.storage.put(PUBLIC_KEY_OBJECT, pem, this.#retention()).catch((err: unknown) => {
        if (!isCairnError(err, 'CAIRN_E_EXISTS')) throw err;
      });
      return this.#pin(publicKey);
    }
    if (!pinned.equals(publicKey)) {
      throw new CairnError('CAIRN_E_INTEGRITY', `${PUBLIC_KEY_OBJECT} is not the public half of ${SIGNING_KEY_OBJECT}`);
    }
  }

  #retention(): { retainUntil: Date } {
    const now = (this.#o.clock ?? (() => new Date()))();
    return { retainUntil: new Date(now.getTime() + (this.#o.retentionMs ?? DEFAULT_AUDIT_RETENTION_MS)) };
  }
}

function absent(err: unknown): undefined {
  if (isCairnError(err, 'CAIRN_E_NOT_FOUND')) return undefined;
  throw err;
}
