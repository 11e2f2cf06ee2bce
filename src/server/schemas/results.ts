import { arr, bool, int, type JsonSchema, nullable, num, obj, openObject } from './common.js';
import { ticketStateSchema } from './release.js';
import { snapshotReplicationSchema } from './storage.js';

/**
 * Response schemas of the repository routes: the shapes the CLI prints with `--json` (catalog
 * records, services' results), field for field, so the server sends what the CLI would print.
 */

const s = { type: 'string' } as const;
const ns = nullable(s);
const strings = arr(s, 1_000_000);

const runMetadata: Record<string, JsonSchema> = {
  item: s,
  environment: ns,
  tier: ns,
  component: ns,
  trigger: s,
  release: ns,
  commit: ns,
  change: ns,
  deployment: ns,
  pipeline: ns,
  actor: s,
  host: s,
  time: s,
};

const snapshotFields: Record<string, JsonSchema> = {
  id: s,
  ...runMetadata,
  parent: ns,
  tree: s,
  contentHash: s,
  status: s,
  files: int,
  bytes: int,
  addedBytes: int,
  retainUntil: ns,
  unreadable: strings,
};

export const verificationSchema = obj({ id: s, snapshotId: s, ...runMetadata });

export const snapshotWithVerificationsSchema = obj({
  ...snapshotFields,
  verifications: arr(verificationSchema, 1_000_000),
});

export const snapshotsSchema = obj({ snapshots: arr(snapshotWithVerificationsSchema, 1_000_000) });

export const itemsSchema = obj({
  items: arr(obj({ name: s, owner: s, tier: s, environment: ns, component: ns }), 100_000),
});

const problem = obj({ code: s, message: s, object: s, files: strings });

export const checkReportSchema = obj({
  ok: bool,
  snapshots: int,
  verifications: int,
  indexes: int,
  packs: int,
  blobs: int,
  packsRead: int,
  bytesRead: int,
  errors: arr(problem, 1_000_000),
  warnings: arr(problem, 1_000_000),
});

export const itemResultSchema = obj({
  item: s,
  status: s,
  id: ns,
  parent: ns,
  verification: s,
  files: int,
  bytes: int,
  readFiles: int,
  readBytes: int,
  addedBytes: int,
  unreadable: arr(obj({ path: s, reason: s }), 1_000_000),
  retainUntil: ns,
  durationMs: num,
  error: obj({ code: s, message: s, details: {} }),
  ticket: ticketStateSchema,
});

/** `cairn snapshot --json`, with the replication it ran afterwards when there was one. */
export const createdSnapshotsSchema = obj({
  snapshots: arr(itemResultSchema, 100_000),
  replication: snapshotReplicationSchema,
});

export const listingSchema = obj({
  snapshot: s,
  entries: arr(obj({ path: s, type: s, mode: int, size: int, mtime: s, sha256: s, target: s }), 10_000_000),
});

const side = obj({ size: int, sha256: s, mode: int, target: s });

export const diffSchema = obj({
  from: s,
  to: s,
  changes: arr(obj({ path: s, kind: s, type: s, before: side, after: side, patch: s }), 10_000_000),
  summary: obj({ added: int, removed: int, modified: int, mode: int, type: int }),
});

export const restoreResultSchema = obj({
  snapshot: s,
  item: s,
  target: s,
  dryRun: bool,
  files: int,
  dirs: int,
  symlinks: int,
  bytes: int,
  failed: arr(obj({ path: s, code: s, message: s }), 10_000_000),
  paths: strings,
});

export const pruneResultSchema = obj({
  dryRun: bool,
  packsDeleted: int,
  packsRepacked: int,
  orphanPacks: int,
  bytesFreed: int,
  blobsKept: int,
  indexesReplaced: int,
  retained: arr(obj({ pack: s, retainUntil: s }), 10_000_000),
});

export const forgetResultSchema = obj({
  dryRun: bool,
  decisions: arr(obj({ id: s, item: s, time: s, action: s, reasons: strings, retainUntil: s }), 10_000_000),
  removed: int,
  retained: int,
  prune: pruneResultSchema,
});

const issue = obj({ severity: s, file: s, line: int, column: int, field: s, message: s });

export const policyCheckSchema = obj({
  valid: bool,
  file: s,
  items: int,
  tiers: int,
  exceptions: int,
  issues: arr(issue, 100_000),
});

export const policySchema = openObject;

export const keyViewFields: Record<string, JsonSchema> = {
  id: s,
  kind: s,
  created: s,
  host: s,
  user: s,
  label: s,
  kdf: openObject,
  provider: obj({ name: s, key: s, address: s }),
};

export const keysSchema = obj({ keys: arr(obj({ ...keyViewFields, current: bool })) });
export const keySchema = obj(keyViewFields);
