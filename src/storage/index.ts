/**
 * storage — the object store under a repository: immutable byte objects under string keys, on a
 * local directory, in memory for tests, and on S3 with Object Lock (s3/, docs/S3.md). It guarantees what
 * types.ts lists as MUST rules: no overwrite, atomic put, WORM retention, clear errors.
 *
 * It must not know what the objects mean: nothing here about packs, indexes, snapshots,
 * encryption, compression or retention policy. Layers above choose keys, bytes and dates.
 * Test helpers (MemStorage, FaultStorage) are exported for every layer's tests; the shared
 * backend test suite lives in contract.ts and is imported by backend tests directly.
 */

export { FaultStorage, type KeyMatch, type StorageOp } from './fault/fault-storage.js';
export { assertValidKey } from './key.js';
export { LocalStorage } from './local/local-storage.js';
export { MemStorage } from './mem/mem-storage.js';
export { openStorage } from './open-storage.js';
export { type BucketReport, prepareS3Bucket } from './s3/bucket.js';
export { isS3Location } from './s3/config.js';
export { S3Storage } from './s3/s3-storage.js';
export type { LockMode, ObjectInfo, PutOptions, RepairOptions, Storage } from './types.js';
