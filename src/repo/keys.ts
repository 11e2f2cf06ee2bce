import { randomBytes, timingSafeEqual } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { CairnError, isCairnError } from '../errors/index.js';
import type { Storage } from '../storage/index.js';
import { type MasterKey, masterKeyFromJSON, masterKeyToJSON, open, randomId, seal, sha256Hex } from './crypto.js';
import {
  describeKdf,
  type Kdf,
  keyFileKek,
  newKeyFileKdf,
  newPassphraseKdf,
  type PassphraseKdf,
  passphraseKek,
} from './key-providers/kdf.js';
import type { KeyProvider, ProviderName, ProviderRecord } from './key-providers/types.js';

/** How the master key is unlocked: a passphrase (scrypt or Argon2id), a key file's bytes (HKDF), or a key provider. */
export type Secret =
  | { readonly kind: 'password'; readonly value: string; readonly kdf?: PassphraseKdf | undefined }
  | { readonly kind: 'keyfile'; readonly value: Buffer }
  | { readonly kind: 'provider'; readonly provider: KeyProvider };

export type KeyKind = 'password' | 'keyfile' | ProviderName;

export interface KeyInfo {
  readonly id: string;
  readonly kind: KeyKind;
  readonly created: string;
  readonly host: string;
  readonly user: string;
  readonly label?: string;
  /** Passphrases and key files: the KDF and its parameters (no salt). */
  readonly kdf?: Readonly<Record<string, unknown>>;
  /** Key providers: which one, its key, and the address it was wrapped at. */
  readonly provider?: { readonly name: ProviderName; readonly key: string; readonly address: string };
}

/** `keys/<id>`, format v1; `kdf` (passphrase, key file) or `provider` (the rest); `repository` since issue 4. */
interface KeyObject {
  readonly version: 1;
  readonly id: string;
  readonly kind: KeyKind;
  readonly created: string;
  readonly host: string;
  readonly user: string;
  readonly label?: string;
  readonly kdf?: Kdf;
  readonly provider?: ProviderRecord;
  readonly repository?: string;
  readonly wrapped: string;
}

const KEY_AAD = 'cairn-key-v1';

function kindOf(secret: Secret): KeyKind {
  return secret.kind === 'provider' ? secret.provider.name : secret.kind;
}

function idOf(storageKey: string): string {
  return storageKey.slice('keys/'.length);
}

/**
 * Wraps the master key for a new secret under a new `keys/<id>`. `repository` (the repository id) is
 * recorded, and binds a provider's wrapper to this repository and key object; a provider needs it.
 */
export async function addKey(
  storage: Storage,
  master: MasterKey,
  secret: Secret,
  label?: string,
  repository?: string,
): Promise<KeyInfo> {
  const id = randomId().slice(0, 16);
  let kek: Buffer;
  let kdf: Kdf | undefined;
  let provider: ProviderRecord | undefined;
  if (secret.kind === 'provider') {
    if (!repository) throw new CairnError('CAIRN_E_USAGE', 'a key provider wraps a key only for a known repository id');
    // Only this random KEK leaves the host; it seals the master key here, as a passphrase's key does.
    kek = randomBytes(32);
    provider = await secret.provider.wrap(kek, { repository, keyObject: id });
  } else if (secret.kind === 'password') {
    kdf = newPassphraseKdf(secret.kdf ?? 'scrypt');
    kek = await passphraseKek(secret.value, kdf, 'the new key');
  } else {
    kdf = newKeyFileKdf();
    kek = keyFileKek(secret.value, kdf, 'the new key');
  }
  const object: KeyObject = {
    version: 1,
    id,
    kind: kindOf(secret),
    created: new Date().toISOString(),
    host: hostname(),
    user: safeUser(),
    ...(label ? { label } : {}),
    ...(kdf ? { kdf } : {}),
    ...(provider ? { provider } : {}),
    ...(repository ? { repository } : {}),
    wrapped: seal(kek, Buffer.from(JSON.stringify(masterKeyToJSON(master))), KEY_AAD).toString('base64'),
  };
  await storage.put(`keys/${id}`, Buffer.from(JSON.stringify(object, null, 2)));
  return infoOf(object);
}

function infoOf(obj: KeyObject): KeyInfo {
  const p = obj.provider;
  return {
    id: obj.id,
    kind: obj.kind,
    created: obj.created,
    host: obj.host,
    user: obj.user,
    ...(obj.label ? { label: obj.label } : {}),
    ...(obj.kdf ? { kdf: describeKdf(obj.kdf) } : {}),
    ...(p ? { provider: { name: p.name, key: p.keyArn ?? p.key, address: p.address } } : {}),
  };
}

export async function listKeys(storage: Storage): Promise<KeyInfo[]> {
  const infos = await storage.list('keys/');
  const keys: KeyInfo[] = [];
  for (const { key } of infos) keys.push(infoOf(await readKeyObject(storage, key)));
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

/** The key-encryption key of one key object from the secret; provider refusals propagate. */
async function kekOf(secret: Secret, obj: KeyObject, key: string): Promise<Buffer> {
  if (secret.kind === 'provider') {
    if (!obj.provider || !obj.repository) {
      throw new CairnError('CAIRN_E_REPO_FORMAT', `key object ${key} names no provider or repository`);
    }
    return secret.provider.unwrap(obj.provider, { repository: obj.repository, keyObject: idOf(key) });
  }
  if (!obj.kdf) throw new CairnError('CAIRN_E_REPO_FORMAT', `key object ${key} has no kdf`);
  return secret.kind === 'password'
    ? passphraseKek(secret.value, obj.kdf, key)
    : keyFileKek(secret.value, obj.kdf, key);
}

/** The master key one key object holds, or undefined when the secret does not open it. */
async function openKeyObject(storage: Storage, key: string, secret: Secret): Promise<MasterKey | undefined> {
  const obj = await readKeyObject(storage, key);
  const kek = await kekOf(secret, obj, key);
  try {
    return masterKeyFromJSON(JSON.parse(open(kek, Buffer.from(obj.wrapped, 'base64'), KEY_AAD, key).toString('utf8')));
  } catch (err) {
    if (isCairnError(err, 'CAIRN_E_INTEGRITY')) return undefined;
    throw err;
  }
}

/**
 * Tries the key objects of the secret's kind (for a provider: those its key wrapped first) until one opens.
 * A provider that refuses or cannot be reached ends the search with CAIRN_E_KEY_PROVIDER, never "wrong passphrase".
 */
export async function unlock(
  storage: Storage,
  secret: Secret,
): Promise<{ master: MasterKey; keyId: string; repository?: string }> {
  const objects = await storage.list('keys/');
  if (objects.length === 0) {
    throw new CairnError('CAIRN_E_REPO_FORMAT', `repository at ${storage.location} has no keys`);
  }
  const kind = kindOf(secret);
  const candidates: Array<{ key: string; obj: KeyObject; rank: number }> = [];
  const sameKind: KeyObject[] = [];
  for (const { key } of objects) {
    const obj = await readKeyObject(storage, key);
    if (obj.kind !== kind) continue;
    sameKind.push(obj);
    const match = secret.kind === 'provider' && obj.provider ? secret.provider.matches(obj.provider) : 'yes';
    if (match !== 'no') candidates.push({ key, obj, rank: match === 'yes' ? 0 : 1 });
  }
  candidates.sort((a, b) => a.rank - b.rank);
  for (const { key, obj } of candidates) {
    let kek: Buffer;
    try {
      kek = await kekOf(secret, obj, key);
    } catch (err) {
      // KMS saying "another of my keys wrapped this" means: try the next object.
      if (secret.kind === 'provider' && isCairnError(err, 'CAIRN_E_WRONG_KEY')) continue;
      throw err;
    }
    try {
      const plain = open(kek, Buffer.from(obj.wrapped, 'base64'), KEY_AAD, key);
      const master = masterKeyFromJSON(JSON.parse(plain.toString('utf8')));
      return { master, keyId: idOf(key), ...(obj.repository ? { repository: obj.repository } : {}) };
    } catch (err) {
      if (!isCairnError(err, 'CAIRN_E_INTEGRITY')) throw err;
    }
  }
  throw wrongSecret(storage, secret, sameKind);
}

function wrongSecret(storage: Storage, secret: Secret, sameKind: readonly KeyObject[]): CairnError {
  if (secret.kind !== 'provider') {
    const what = secret.kind === 'password' ? 'passphrase' : 'key file';
    return new CairnError('CAIRN_E_WRONG_KEY', `wrong ${what}: no key of ${storage.location} opens with it`);
  }
  const { name, key } = secret.provider;
  const known = sameKind.map((o) => `"${o.provider?.key}"`).join(', ');
  return new CairnError(
    'CAIRN_E_WRONG_KEY',
    sameKind.length === 0
      ? `no key of ${storage.location} is wrapped by ${name}; open it with the passphrase, key file or provider it was made with`
      : `no key of ${storage.location} opens with ${name} key "${key}" (its ${name} keys: ${known})`,
    { provider: name, key },
  );
}

function sameMaster(a: MasterKey, b: MasterKey): boolean {
  return (
    timingSafeEqual(a.encryption, b.encryption) && timingSafeEqual(a.mac, b.mac) && a.chunkerSeed === b.chunkerSeed
  );
}

/**
 * Adds a wrapper for the new secret, proves it opens the same master key by reading it back, then
 * deletes the wrapper `retire` (the one in use) unless told to keep it. No data object is touched.
 */
export async function rotateKey(
  storage: Storage,
  master: MasterKey,
  secret: Secret,
  opts: { repository: string; retire: string; keepOld: boolean; label?: string | undefined },
): Promise<{ added: KeyInfo; retired: string | null }> {
  const added = await addKey(storage, master, secret, opts.label, opts.repository);
  let opened: MasterKey | undefined;
  try {
    opened = await openKeyObject(storage, `keys/${added.id}`, secret);
  } catch (err) {
    await storage.delete(`keys/${added.id}`).catch(() => {});
    throw err;
  }
  if (!opened || !sameMaster(opened, master)) {
    await storage.delete(`keys/${added.id}`).catch(() => {});
    throw new CairnError(
      'CAIRN_E_INTEGRITY',
      `the new key ${added.id} did not open the repository's master key when read back; nothing was retired`,
    );
  }
  if (opts.keepOld) return { added, retired: null };
  await storage.delete(`keys/${opts.retire}`);
  return { added, retired: opts.retire };
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
