/**
 * repo/ — the repository engine: blobs in compressed, encrypted segments inside packs; an index
 * from blob id to pack; trees of directories; snapshot and verification records; master-key
 * wrappers; locks. It stores and proves bytes; it must not know about policy, the catalog or
 * where configuration comes from (docs/FORMAT.md is its contract).
 */
export { type SealedBlobs, sealBlobs } from './blob-sealing.js';
export { Chunker, type ChunkerParams, SMALL_FILE_LIMIT } from './chunker.js';
export type { CompressionParams } from './compress.js';
export { assertRepository, FORMAT_VERSION, type RepoConfig } from './config.js';
export { blobIdOfDigest, sha256Hex } from './crypto.js';
export { keyProviderFromSpec } from './key-providers/from-spec.js';
export { PASSPHRASE_KDFS, type PassphraseKdf } from './key-providers/kdf.js';
export type { KeyProvider, ProviderName } from './key-providers/types.js';
export {
  addKey,
  type KeyInfo,
  type KeyKind,
  keyFileSecret,
  listKeys,
  newKeyFileContent,
  removeKey,
  rotateKey,
  type Secret,
} from './keys.js';
export type { RepoLock } from './lock.js';
export type { BlobLocation } from './master-index.js';
export { type BlobType, type PackRecord, packIdOfKey, packKey, type SegmentRecord } from './pack-format.js';
export type { SnapshotObject, VerificationObject } from './records.js';
export { mapLimit, Repository } from './repository.js';
export { openSealedObject, sealObject } from './sealed-object.js';
export { serveCalls, ThreadPool, transferable } from './thread-pool.js';
export { assertSafeName, type EntryType, type Tree, type TreeEntry } from './tree.js';
