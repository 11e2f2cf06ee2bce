import { createCipheriv, createDecipheriv, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { CairnError } from '../errors/index.js';
import type { CheckpointStore, SigningKeyPair } from './checkpoint-store.js';

/**
 * A CheckpointStore in memory, for tests of any layer: WORM-like (no overwrite), with a key of its
 * own for sealing. `objects` is exposed so tests can damage what was written.
 */
export class MemCheckpointStore implements CheckpointStore {
  readonly objects = new Map<string, { bytes: Buffer; retainUntil: Date }>();
  readonly #key = randomBytes(32);
  #pair: SigningKeyPair | undefined;

  async put(name: string, bytes: Uint8Array, retainUntil: Date): Promise<void> {
    if (this.objects.has(name)) throw new CairnError('CAIRN_E_EXISTS', `${name} already exists`, { key: name });
    this.objects.set(name, { bytes: Buffer.from(bytes), retainUntil });
  }

  async list(): Promise<string[]> {
    return [...this.objects.keys()].sort();
  }

  async get(name: string): Promise<Uint8Array> {
    const found = this.objects.get(name);
    if (!found) throw new CairnError('CAIRN_E_NOT_FOUND', `${name} does not exist`, { key: name });
    return found.bytes;
  }

  async signingKey(): Promise<SigningKeyPair> {
    this.#pair ??= generateKeyPairSync('ed25519');
    return this.#pair;
  }

  async publicKey(): Promise<KeyObject | undefined> {
    return this.#pair?.publicKey;
  }

  async sealEvents(plain: Uint8Array): Promise<Uint8Array> {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    return Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  }

  async openEvents(sealed: Uint8Array): Promise<Uint8Array> {
    const buf = Buffer.from(sealed);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, buf.subarray(0, 12));
    decipher.setAuthTag(buf.subarray(buf.length - 16));
    return Buffer.concat([decipher.update(buf.subarray(12, buf.length - 16)), decipher.final()]);
  }
}
