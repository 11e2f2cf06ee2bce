import { CairnError } from '../../errors/index.js';

/**
 * A key provider is an outside service (Vault Transit, AWS KMS) that wraps and unwraps one 32-byte
 * key-encryption key (KEK) per key object. It never sees the master key or any data: the KEK seals the
 * master key locally, exactly as a passphrase-derived key does (docs/KEYS.md).
 */
export type ProviderName = 'vault-transit' | 'aws-kms';

/** What a wrapped KEK is bound to: the provider is asked to refuse it anywhere else where it can. */
export interface KeyBinding {
  readonly repository: string;
  readonly keyObject: string;
}

/** The provider's part of a key object: enough to show and to ask again, never an address to trust. */
export interface ProviderRecord {
  readonly name: ProviderName;
  /** The provider's key as the user named it (Vault key name; KMS key id, ARN or alias). */
  readonly key: string;
  /** Where it was wrapped, for people; opening uses the address configured now, never this one. */
  readonly address: string;
  /** The wrapped KEK as the provider returned it (Vault `vault:v1:…`, KMS CiphertextBlob in base64). */
  readonly ciphertext: string;
  readonly mount?: string;
  readonly namespace?: string;
  /** KMS: the ARN the provider answered with, so an alias or id given later still matches. */
  readonly keyArn?: string;
  readonly region?: string;
}

export interface KeyProvider {
  readonly name: ProviderName;
  readonly key: string;
  /** The address requests go to (for messages). */
  readonly address: string;
  /** Whether a key object was wrapped by this provider's key ("maybe": only the provider can tell). */
  matches(record: ProviderRecord): 'yes' | 'maybe' | 'no';
  wrap(kek: Buffer, binding: KeyBinding): Promise<ProviderRecord>;
  /**
   * The KEK, or CAIRN_E_KEY_PROVIDER when the provider refuses or cannot be reached, or CAIRN_E_WRONG_KEY
   * when the provider says the object was wrapped by another of its keys.
   */
  unwrap(record: ProviderRecord, binding: KeyBinding): Promise<Buffer>;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** A refusal or an outage of the provider, naming it, its address and key, and its own words. */
export function providerError(
  provider: Pick<KeyProvider, 'name' | 'key' | 'address'>,
  operation: 'encrypt' | 'decrypt',
  problem: string,
  extra: Record<string, unknown> = {},
): CairnError {
  return new CairnError(
    'CAIRN_E_KEY_PROVIDER',
    `${provider.name} key "${provider.key}" at ${provider.address}: ${operation} of the key-encryption key failed: ${problem}`,
    { provider: provider.name, address: provider.address, key: provider.key, operation, ...extra },
  );
}

/** A KEK the provider handed back must be the 32 bytes it was given. */
export function assertKek(provider: KeyProvider, kek: Buffer): Buffer {
  if (kek.length !== 32) {
    throw providerError(provider, 'decrypt', `it returned ${kek.length} bytes instead of the 32-byte key`);
  }
  return kek;
}

/** The text of a network failure: fetch and the AWS SDK hide the errno in `cause` or `code`. */
export function networkReason(err: unknown): string {
  const e = err as { message?: string; code?: string; cause?: { code?: string; message?: string } } | null;
  const code = e?.cause?.code ?? e?.code;
  const message = e?.cause?.message ?? e?.message ?? String(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
