import type { KeyObject } from 'node:crypto';

export interface SigningKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/**
 * Where checkpoints are kept: the repository, under WORM retention (services/audit-checkpoints.ts).
 * audit/ asks only for these few operations; it never sees the repository or its key.
 */
export interface CheckpointStore {
  /** Writes a checkpoint once (never overwriting), retained until retainUntil. */
  put(name: string, bytes: Uint8Array, retainUntil: Date): Promise<void>;
  /** Every checkpoint's name, sorted; names sort by seq, then time (checkpointName). */
  list(): Promise<string[]>;
  get(name: string): Promise<Uint8Array>;
  /** The Ed25519 signing key pair, created and stored once (private half sealed) on first use. */
  signingKey(): Promise<SigningKeyPair>;
  /** The pinned public key, readable without the repository key; undefined before any was created. */
  publicKey(): Promise<KeyObject | undefined>;
  /** Encrypts a checkpoint's event payload (identities and IPs are personal data). */
  sealEvents(plain: Uint8Array): Promise<Uint8Array>;
  /** Decrypts it; absent when the store cannot (an auditor without the repository key). */
  openEvents?(sealed: Uint8Array): Promise<Uint8Array>;
}
