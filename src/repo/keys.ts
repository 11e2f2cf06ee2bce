import { hkdfSync, randomBytes, scrypt as scryptCb } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { promisify } from 'node:util';
import { CairnError, isCairnError } from '../errors/index.js';
import type { Storage } from '../storage/index.js';
import { type MasterKey, masterKeyFromJSON, masterKeyToJSON, open, randomId, seal, sha256Hex } from './crypto.js';

const scrypt = promisify(scryptCb) as (pw: Buffer, salt: Buffer, len: number, o: object) => Promise<Buffer>;

/** How the master key is unlocked: a passphrase (scrypt) or a key file's bytes (HKDF). */
export type Secret =
  | { readonly kind: 'password'; readonly value: string }
  | { readonly kind: 'keyfile'; readonly value: Buffer };

export interface KeyInfo {
  readonly id: string;
  readonly kind: Secret['kind'];
  readonly created: string;
  readonly host: string;
  readonly user: string;
  readonly label?: string;
}

interface KeyObject extends KeyInfo {
  readonly version: 1;
  readonly kdf:
    | { name: 'scrypt'; N: number; r: number; p: number; salt: string }
    | { name: 'hkdf-sha256'; salt: string };
  readonly wrapped: string;
}

// N=2^15 costs about 100 ms and 32 MiB here: slow enough to resist guessing, fast enough per command.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1 };

async function kek(secret: Secret, kdf: KeyObject['kdf']): Promise<Buffer> {
  const salt = Buffer.from(kdf.salt, 'base64');
  if (kdf.name === 'scrypt') {
    if (secret.kind !== 'password') throw wrongKind(secret);
    return scrypt(Buffer.from(secret.value.normalize('NFC')), salt, 32, {
      N: kdf.N,
      r: kdf.r,
      p: kdf.p,
      maxmem: 256 * kdf.N * kdf.r,
    });
  }
  if (secret.kind !== 'keyfile') throw wrongKind(secret);
  return Buffer.from(hkdfSync('sha256', secret.value, salt, 'cairn key file v1', 32));
}

function wrongKind(secret: Secret): CairnError {
  return new CairnError('CAIRN_E_WRONG_KEY', `this key is not unlocked by a ${secret.kind}`);
}

export async function addKey(storage: Storage, master: MasterKey, secret: Secret, label?: string): Promise<KeyInfo> {
  const salt = randomBytes(32).toString('base64');
  const kdf: KeyObject['kdf'] =
    secret.kind === 'password' ? { name: 'scrypt', ...SCRYPT, salt } : { name: 'hkdf-sha256', salt };
  const wrappingKey = await kek(secret, kdf);
  const info: KeyInfo = {
    id: randomId().slice(0, 16),
    kind: secret.kind,
    created: new Date().toISOString(),
    host: hostname(),
    user: safeUser(),
    ...(label ? { label } : {}),
  };
  const object: KeyObject = {
    ...info,
    version: 1,
    kdf,
    wrapped: seal(wrappingKey, Buffer.from(JSON.stringify(masterKeyToJSON(master))), 'cairn-key-v1').toString('base64'),
  };
  await storage.put(`keys/${info.id}`, Buffer.from(JSON.stringify(object, null, 2)));
  return info;
}

export async function listKeys(storage: Storage): Promise<KeyInfo[]> {
  const infos = await storage.list('keys/');
  const keys: KeyInfo[] = [];
  for (const { key } of infos) {
    const obj = await readKeyObject(storage, key);
    keys.push({
      id: obj.id,
      kind: obj.kind,
      created: obj.created,
      host: obj.host,
      user: obj.user,
      ...(obj.label ? { label: obj.label } : {}),
    });
  }
  return keys.sort((a, b) => a.created.localeCompare(b.created));
}

async function readKeyObject(storage: Storage, key: string): Promise<KeyObject> {
  try {
    return JSON.parse((await storage.get(key)).toString('utf8')) as KeyObject;
  } catch (err) {
    if (isCairnError(err)) throw err;
    throw new CairnError('CAIRN_E_REPO_FORMAT', `key object ${key} is not valid JSON`);
  }
}

/** Tries every key object of the secret's kind; the first that opens gives the master key. */
export async function unlock(storage: Storage, secret: Secret): Promise<{ master: MasterKey; keyId: string }> {
  const objects = await storage.list('keys/');
  if (objects.length === 0) {
    throw new CairnError('CAIRN_E_REPO_FORMAT', `repository at ${storage.location} has no keys`);
  }
  for (const { key } of objects) {
    const obj = await readKeyObject(storage, key);
    if (obj.kind !== secret.kind) continue;
    const wrappingKey = await kek(secret, obj.kdf);
    try {
      const plain = open(wrappingKey, Buffer.from(obj.wrapped, 'base64'), 'cairn-key-v1', key);
      return { master: masterKeyFromJSON(JSON.parse(plain.toString('utf8'))), keyId: obj.id };
    } catch (err) {
      if (!isCairnError(err, 'CAIRN_E_INTEGRITY')) throw err;
    }
  }
  const what = secret.kind === 'password' ? 'passphrase' : 'key file';
  throw new CairnError('CAIRN_E_WRONG_KEY', `wrong ${what}: no key of ${storage.location} opens with it`);
}

export async function removeKey(storage: Storage, id: string, inUse: string): Promise<void> {
  const all = await listKeys(storage);
  const match = all.filter((k) => k.id.startsWith(id));
  if (match.length === 0) throw new CairnError('CAIRN_E_NOT_FOUND', `no key ${id}`);
  if (match.length > 1) throw new CairnError('CAIRN_E_AMBIGUOUS', `key prefix ${id} matches ${match.length} keys`);
  const target = match[0]!;
  // The last key is also the one in use; say why it stays rather than ask for another key that does not exist.
  if (all.length <= 1) {
    throw new CairnError(
      'CAIRN_E_KEY_IN_USE',
      `refusing to remove key ${target.id}: it is the last key, and without it the repository cannot be opened`,
    );
  }
  if (target.id === inUse) {
    throw new CairnError(
      'CAIRN_E_KEY_IN_USE',
      `key ${target.id} is the one this command unlocked with; use another key to remove it`,
    );
  }
  await storage.delete(`keys/${target.id}`);
}

/** A new key file's content: 32 random bytes, base64, with a comment line. */
export function newKeyFileContent(): string {
  return `# cairn key file: keep it secret, keep a copy\n${randomBytes(32).toString('base64')}\n`;
}

/** Key files may carry comment lines; the key is the base64 text, or the raw bytes if not base64. */
export function keyFileSecret(content: Buffer): Secret {
  const text = content
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .join('')
    .trim();
  const decoded = /^[A-Za-z0-9+/=]+$/.test(text) ? Buffer.from(text, 'base64') : content;
  if (decoded.length < 16)
    throw new CairnError('CAIRN_E_USAGE', 'the key file holds fewer than 16 bytes of key material');
  return { kind: 'keyfile', value: Buffer.from(sha256Hex(decoded), 'hex') };
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
