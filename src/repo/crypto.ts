import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { CairnError } from '../errors/index.js';

/**
 * The repository's master key: one AES-256-GCM key for data, one HMAC-SHA256 key for blob ids,
 * and the seed of the content-defined chunker (secret, so chunk boundaries reveal nothing).
 */
export interface MasterKey {
  readonly encryption: Buffer;
  readonly mac: Buffer;
  readonly chunkerSeed: number;
}

const NONCE = 12;
const TAG = 16;
export const SEAL_OVERHEAD = NONCE + TAG;

export function newMasterKey(): MasterKey {
  return { encryption: randomBytes(32), mac: randomBytes(32), chunkerSeed: randomBytes(4).readUInt32LE(0) };
}

export function masterKeyToJSON(key: MasterKey): Record<string, unknown> {
  return {
    encryption: key.encryption.toString('base64'),
    mac: key.mac.toString('base64'),
    chunkerSeed: key.chunkerSeed,
  };
}

export function masterKeyFromJSON(json: Record<string, unknown>): MasterKey {
  const encryption = Buffer.from(String(json.encryption), 'base64');
  const mac = Buffer.from(String(json.mac), 'base64');
  if (encryption.length !== 32 || mac.length !== 32 || typeof json.chunkerSeed !== 'number') {
    throw new CairnError('CAIRN_E_REPO_FORMAT', 'the master key object is malformed');
  }
  return { encryption, mac, chunkerSeed: json.chunkerSeed };
}

/** nonce ‖ AES-256-GCM(plain) ‖ tag; aad binds the ciphertext to its role. */
export function seal(key: Buffer, plain: Uint8Array, aad: string): Buffer {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad));
  const body = cipher.update(plain);
  const final = cipher.final();
  return Buffer.concat([nonce, body, final, cipher.getAuthTag()]);
}

/** Throws CAIRN_E_INTEGRITY when the bytes were altered or the key is wrong. */
export function open(key: Buffer, sealed: Uint8Array, aad: string, what: string): Buffer {
  if (sealed.length < SEAL_OVERHEAD) {
    throw new CairnError('CAIRN_E_INTEGRITY', `${what} is truncated (${sealed.length} bytes)`, { object: what });
  }
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(0, NONCE));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(buf.subarray(buf.length - TAG));
  try {
    return Buffer.concat([decipher.update(buf.subarray(NONCE, buf.length - TAG)), decipher.final()]);
  } catch {
    throw new CairnError('CAIRN_E_INTEGRITY', `${what} failed authentication: its bytes were altered`, {
      object: what,
    });
  }
}

export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Blob id = HMAC-SHA256(mac key, SHA-256(plaintext)): keyed, so ids reveal nothing about content. */
export function blobIdOfDigest(macKey: Buffer, digest: Uint8Array): string {
  return createHmac('sha256', macKey).update(digest).digest('hex');
}

export function randomId(): string {
  return randomBytes(32).toString('hex');
}
