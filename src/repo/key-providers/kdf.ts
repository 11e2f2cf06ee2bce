import { hkdfSync, randomBytes, scrypt as scryptCb } from 'node:crypto';
import { promisify } from 'node:util';
import { CairnError } from '../../errors/index.js';

const scrypt = promisify(scryptCb) as (pw: Buffer, salt: Buffer, len: number, o: object) => Promise<Buffer>;

/** How a key object turns a passphrase or a key file into its key-encryption key; salt in base64. */
export type Kdf =
  | { readonly name: 'scrypt'; readonly N: number; readonly r: number; readonly p: number; readonly salt: string }
  | {
      readonly name: 'argon2id';
      /** Memory in KiB, passes, lanes, Argon2 version (0x13). */
      readonly m: number;
      readonly t: number;
      readonly p: number;
      readonly v: number;
      readonly salt: string;
    }
  | { readonly name: 'hkdf-sha256'; readonly salt: string };

export type PassphraseKdf = 'scrypt' | 'argon2id';
export const PASSPHRASE_KDFS: readonly PassphraseKdf[] = ['scrypt', 'argon2id'];

// scrypt N=2^15 costs about 90 ms and 32 MiB here. Argon2id takes RFC 9106's second recommended
// setting, 64 MiB, 3 passes, 4 lanes: about 0.27 s here in hash-wasm (docs/KEYS.md has the numbers).
const SCRYPT = { N: 2 ** 15, r: 8, p: 1 };
const ARGON2ID = { m: 64 * 1024, t: 3, p: 4, v: 0x13 };

/** Parameters a key object may ask for: a forged object must not make opening take minutes or gigabytes. */
const LIMITS = { scryptN: 2 ** 20, argonKiB: 1024 * 1024, passes: 64, lanes: 64 };

export function newPassphraseKdf(name: PassphraseKdf): Kdf {
  const salt = randomBytes(32).toString('base64');
  return name === 'argon2id' ? { name, ...ARGON2ID, salt } : { name, ...SCRYPT, salt };
}

export function newKeyFileKdf(): Kdf {
  return { name: 'hkdf-sha256', salt: randomBytes(32).toString('base64') };
}

export async function passphraseKek(passphrase: string, kdf: Kdf, where: string): Promise<Buffer> {
  const password = Buffer.from(passphrase.normalize('NFC'));
  const salt = Buffer.from(kdf.salt, 'base64');
  if (kdf.name === 'scrypt') {
    if (!(kdf.N <= LIMITS.scryptN && kdf.r <= 32 && kdf.p <= LIMITS.lanes)) throw outOfBounds(where, kdf);
    return scrypt(password, salt, 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r });
  }
  if (kdf.name === 'argon2id') {
    if (!(kdf.m >= 8 * kdf.p && kdf.m <= LIMITS.argonKiB && kdf.t <= LIMITS.passes && kdf.p <= LIMITS.lanes)) {
      throw outOfBounds(where, kdf);
    }
    if (kdf.v !== 0x13) throw outOfBounds(where, kdf);
    // Loaded when a key asks for Argon2id: 260 KB of WebAssembly glue every other command need not parse.
    const wasm = await import('hash-wasm');
    // hash-wasm is a UMD module: imported dynamically from the bundle, its exports sit under `default`.
    const argon2id = wasm.argon2id ?? (wasm as unknown as { default: typeof wasm }).default.argon2id;
    const hash = await argon2id({
      password,
      salt,
      memorySize: kdf.m,
      iterations: kdf.t,
      parallelism: kdf.p,
      hashLength: 32,
      outputType: 'binary',
    });
    return Buffer.from(hash);
  }
  throw new CairnError('CAIRN_E_REPO_FORMAT', `${where} uses ${kdf.name}, which does not take a passphrase`);
}

export function keyFileKek(material: Buffer, kdf: Kdf, where: string): Buffer {
  if (kdf.name !== 'hkdf-sha256') {
    throw new CairnError('CAIRN_E_REPO_FORMAT', `${where} uses ${kdf.name}, which does not take a key file`);
  }
  return Buffer.from(hkdfSync('sha256', material, Buffer.from(kdf.salt, 'base64'), 'cairn key file v1', 32));
}

/** The KDF without its salt, as `key list` shows it. */
export function describeKdf(kdf: Kdf): Record<string, unknown> {
  const { salt: _salt, ...rest } = kdf;
  return rest;
}

function outOfBounds(where: string, kdf: Kdf): CairnError {
  return new CairnError('CAIRN_E_REPO_FORMAT', `${where} asks for ${kdf.name} parameters out of bounds`, {
    kdf: describeKdf(kdf),
  });
}
