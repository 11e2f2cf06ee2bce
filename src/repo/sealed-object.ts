import { CairnError } from '../errors/index.js';
import { type MasterKey, open, seal } from './crypto.js';

/**
 * Sealing for objects that other layers keep in the repository (the audit trail's signing key and
 * checkpoint payloads): AES-256-GCM with the master key, the AAD naming the purpose, so bytes
 * sealed for one purpose never open as another, nor as any of the repository's own records.
 */
export function sealObject(repo: { readonly master: MasterKey }, plain: Uint8Array, purpose: string): Buffer {
  return seal(repo.master.encryption, plain, aad(purpose));
}

/** Throws CAIRN_E_INTEGRITY when the bytes were altered or sealed for another purpose. */
export function openSealedObject(
  repo: { readonly master: MasterKey },
  sealed: Uint8Array,
  purpose: string,
  what: string,
): Buffer {
  return open(repo.master.encryption, sealed, aad(purpose), what);
}

function aad(purpose: string): string {
  if (!/^[a-z][a-z0-9-]{0,63}$/.test(purpose)) {
    throw new CairnError('CAIRN_E_USAGE', `sealed-object purpose ${JSON.stringify(purpose)} must be lowercase words`);
  }
  return `cairn-object-${purpose}-v1`;
}
