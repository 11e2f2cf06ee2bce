import type { AuditEventRecord, SnapshotHit, SnapshotRecord, VerificationRecord } from '../catalog/index.js';
import type {
  CheckReport,
  DiffResult,
  ForgetResult,
  ItemResult,
  PruneResult,
  RestoreResult,
} from '../services/index.js';
import type {
  ApprovalView,
  CreatedToken,
  ElevationView,
  MfaEnrollment,
  MfaStatus,
  TokenView,
} from './backend-access.js';

/** Sample answers of every shape the Backend returns, filled in field by field (tests only). */

export const SNAP_ID = 'a'.repeat(64);

const run = {
  item: 'payments-api-prod',
  environment: 'prod',
  tier: 'critical',
  component: null,
  trigger: 'pre-deploy',
  release: '2.4.1',
  commit: 'deadbeef',
  change: 'CHG-1042',
  deployment: null,
  pipeline: null,
  actor: 'ci',
  host: 'runner-1',
  time: '2026-11-29T08:00:00.000Z',
} as const;

export const snapshot: SnapshotRecord = {
  ...run,
  id: SNAP_ID,
  parent: null,
  tree: 'b'.repeat(64),
  contentHash: 'c'.repeat(64),
  status: 'partial',
  files: 12,
  bytes: 34_567,
  addedBytes: 1_234,
  retainUntil: '2033-11-29T08:00:00.000Z',
  unreadable: ['secrets/locked.env'],
};

export const verification: VerificationRecord = { ...run, id: 'd'.repeat(64), snapshotId: SNAP_ID, release: '2.4.2' };
export const hit: SnapshotHit = { ...snapshot, verifications: [verification] };

export const itemResult: ItemResult = {
  item: 'payments-api-prod',
  status: 'failed',
  id: null,
  parent: SNAP_ID,
  files: 0,
  bytes: 0,
  readFiles: 0,
  readBytes: 0,
  addedBytes: 0,
  unreadable: [{ path: 'a.env', reason: 'EACCES' }],
  retainUntil: null,
  durationMs: 12.5,
  error: { code: 'CAIRN_E_SOURCE', message: 'root missing', details: { root: '/x' } },
};

export const diff: DiffResult = {
  from: SNAP_ID,
  to: 'e'.repeat(64),
  changes: [
    {
      path: 'a.yaml',
      kind: 'modified',
      type: 'file',
      before: { size: 1, sha256: 'f', mode: 420 },
      after: { size: 2, sha256: 'g', mode: 420 },
      patch: '@@ -1 +1 @@',
    },
    { path: 'link', kind: 'added', type: 'symlink', after: { mode: 511, target: 'a.yaml' } },
  ],
  summary: { added: 1, removed: 0, modified: 1, mode: 0, type: 0 },
};

export const restoreResult: RestoreResult = {
  snapshot: SNAP_ID,
  item: 'payments-api-prod',
  target: '/srv/restore/x',
  dryRun: true,
  files: 3,
  dirs: 1,
  symlinks: 0,
  bytes: 99,
  failed: [{ path: 'b', code: 'EACCES', message: 'denied' }],
  paths: ['a', 'b', 'c'],
};

export const checkReport: CheckReport = {
  ok: false,
  snapshots: 1,
  verifications: 1,
  indexes: 1,
  packs: 2,
  blobs: 10,
  packsRead: 2,
  bytesRead: 4096,
  errors: [{ code: 'CAIRN_E_INTEGRITY', message: 'pack damaged', object: 'packs/ab/cd', files: ['aaaa:a.yaml'] }],
  warnings: [],
};

export const pruneResult: PruneResult = {
  dryRun: false,
  packsDeleted: 1,
  packsRepacked: 0,
  orphanPacks: 0,
  bytesFreed: 1024,
  blobsKept: 9,
  indexesReplaced: 1,
  retained: [{ pack: 'p1', retainUntil: '2030-01-01T00:00:00.000Z' }],
};

export const forgetResult: ForgetResult = {
  dryRun: false,
  decisions: [
    {
      id: SNAP_ID,
      item: 'payments-api-prod',
      time: run.time,
      action: 'retained',
      reasons: ['last 1'],
      retainUntil: '2033-01-01T00:00:00.000Z',
    },
  ],
  removed: 0,
  retained: 1,
};

export const approval: ApprovalView = {
  id: 'apr-1',
  action: 'snapshot.forget',
  target: SNAP_ID,
  params: { ids: [SNAP_ID] },
  reason: null,
  requestedBy: 'token:operator',
  required: 2,
  createdAt: run.time,
  expiresAt: '2026-11-30T08:00:00.000Z',
  status: 'pending',
  statusBy: null,
  statusAt: null,
  statusNote: null,
  result: null,
  votes: [],
};

export const TOKEN_SECRET = 'cairn_0123456789abcdef_SUPERSECRETVALUE123456';

export const tokenView: TokenView = {
  id: '0123456789abcdef',
  name: 'ci',
  subject: 'token:ci',
  roles: ['operator'],
  state: 'active',
  createdBy: 'admin-user',
  createdAt: run.time,
  expiresAt: '2026-12-29T08:00:00.000Z',
  revokedAt: null,
  revokedBy: null,
  lastUsedAt: null,
};

export const createdToken: CreatedToken = { token: TOKEN_SECRET, info: tokenView };

export const elevation: ElevationView = {
  id: 'jit-1',
  subject: 'viewer-user',
  role: 'restorer',
  baseRoles: ['viewer'],
  reason: 'incident INC-7',
  durationMs: 1_800_000,
  required: 1,
  requestedAt: run.time,
  lapsesAt: '2026-11-30T08:00:00.000Z',
  status: 'pending',
  activeFrom: null,
  activeUntil: null,
  statusBy: null,
  statusAt: null,
  statusNote: null,
  votes: [{ approver: 'approver-user', time: run.time }],
};

export const MFA_SECRET = 'MFASECRETBASE32XYZ';

export const mfaEnrollment: MfaEnrollment = {
  subject: 'viewer-user',
  secret: MFA_SECRET,
  otpauthUri: `otpauth://totp/Cairn:viewer-user?secret=${MFA_SECRET}&issuer=Cairn`,
  qr: '██ ▄▄ ██',
};

export const mfaStatus: MfaStatus = { subject: 'viewer-user', enrolled: true, confirmed: true, confirmedAt: run.time };

export const auditRecord: AuditEventRecord = {
  seq: 1,
  id: '5f0c1c7e-0000-4000-8000-000000000001',
  time: run.time,
  identity: 'viewer-user',
  roles: ['viewer'],
  ip: '127.0.0.1',
  userAgent: null,
  action: 'snapshots.search',
  target: null,
  result: 'ok',
  changeId: null,
  approvalId: null,
  details: { requestId: 'r' },
  prevHash: '0'.repeat(64),
  hash: '1'.repeat(64),
};
