import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encrypts secrets the access layer must keep (TOTP secrets). The server passes one whose key is
 * derived from the repository key, so a copy of the catalog alone does not give the MFA secrets.
 */
export interface Sealer {
  seal(bytes: Uint8Array): Promise<Uint8Array>;
  open(bytes: Uint8Array): Promise<Uint8Array>;
}

const ivLength = 12;
const tagLength = 16;

/** AES-256-GCM with a random nonce: `nonce ‖ ciphertext ‖ tag`. */
export function aesGcmSealer(key: Uint8Array): Sealer {
  if (key.length !== 32) throw new RangeError(`an AES-256-GCM key is 32 bytes, not ${key.length}`);
  const secretKey = Buffer.from(key);
  return {
    async seal(bytes) {
      const iv = randomBytes(ivLength);
      const cipher = createCipheriv('aes-256-gcm', secretKey, iv);
      const body = Buffer.concat([cipher.update(bytes), cipher.final()]);
      return new Uint8Array(Buffer.concat([iv, body, cipher.getAuthTag()]));
    },
    async open(bytes) {
      if (bytes.length < ivLength + tagLength) throw new Error('sealed data is too short');
      const data = Buffer.from(bytes);
      const decipher = createDecipheriv('aes-256-gcm', secretKey, data.subarray(0, ivLength));
      decipher.setAuthTag(data.subarray(data.length - tagLength));
      const body = data.subarray(ivLength, data.length - tagLength);
      return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]));
    },
  };
}
