import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuditInput, AuditLog } from '../../audit/index.js';
import { type Catalog, openCatalog, type RunMetadata } from '../../catalog/index.js';
import type { CatalogTarget } from '../../catalog/test-support.js';
import { type Policy, parsePolicy } from '../../policy/index.js';
import { Repository } from '../../repo/index.js';
import { MemStorage } from '../../storage/index.js';
import { RepositoryCheckpointStore } from '../audit-checkpoints.js';
import { snapshotRecord, verificationRecord } from '../catalog-sync.js';

export const REPORT_POLICY = `version: 1
organisation: Acme
governance:
  retentionClasses:
    short: { keep: 2d }
tiers:
  gold:
    retentionClass: short
    rpo: 1d
    rto: 1h
    keep: { last: 3 }
environments:
  prod: {}
items:
  - name: api
    owner: ops@acme.example
    tier: gold
    environment: prod
    sources: [ { files: { root: . } } ]
  - name: db
    owner: ops@acme.example
    tier: gold
    environment: prod
    sources: [ { files: { root: . } } ]
exceptions:
  - item: legacy
    reason: decommissioned in Q1
    acceptedBy: [ciso@acme.example]
    ticket: RISK-1
    expires: 2026-11-15
`;

/** A repository (in memory), a catalog on `target`, a policy file, and an audit log on a settable clock. */
export interface ReportWorld {
  readonly repo: Repository;
  readonly catalog: Catalog;
  readonly policy: Policy;
  readonly policyFile: string;
  readonly log: AuditLog;
  setClock(iso: string): void;
  snapshot(item: string, time: string, o?: { status?: 'complete' | 'partial'; retainDays?: number }): Promise<string>;
  verification(snapshotId: string, item: string, time: string): Promise<string>;
  event(time: string, e: Partial<AuditInput> & { action: string }): Promise<number>;
  close(): Promise<void>;
}

export async function reportWorld(target: CatalogTarget, policyText = REPORT_POLICY): Promise<ReportWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-report-'));
  const policyFile = join(dir, 'cairn.yaml');
  await writeFile(policyFile, policyText);
  const { policy } = parsePolicy(policyText, policyFile, {
    now: new Date('2026-10-01T00:00:00Z'),
    expiredExceptions: 'warning',
  });
  const repo = await Repository.init(new MemStorage(), { kind: 'password', value: 'report test' });
  const fresh = await target.fresh();
  const catalog = await openCatalog(fresh.options);
  let clock = new Date('2026-10-01T00:00:00Z');
  const log = new AuditLog({
    store: catalog.audit,
    checkpoints: new RepositoryCheckpointStore(repo, { clock: () => clock }),
    clock: () => clock,
  });
  const tree = await repo.saveTree({ entries: [] });
  await repo.flush();
  const meta = (item: string, time: string): RunMetadata => ({
    item,
    environment: 'prod',
    tier: 'gold',
    component: null,
    trigger: 'scheduled',
    release: null,
    commit: null,
    change: null,
    deployment: null,
    pipeline: null,
    actor: 'ci',
    host: 'runner',
    time,
  });
  let n = 0;
  return {
    repo,
    catalog,
    policy,
    policyFile,
    log,
    setClock(iso) {
      clock = new Date(iso);
    },
    async snapshot(item, time, o = {}) {
      n += 1;
      const obj = {
        version: 1 as const,
        meta: meta(item, time),
        parent: null,
        tree,
        contentHash: createHash('sha256').update(`content ${n}`).digest('hex'),
        status: o.status ?? ('complete' as const),
        files: 1,
        bytes: 10,
        addedBytes: 10,
        retainUntil: new Date(Date.parse(time) + (o.retainDays ?? 2) * 86_400_000).toISOString(),
        unreadable: [],
      };
      const id = await repo.saveSnapshot(obj);
      await catalog.putSnapshot(snapshotRecord(id, obj));
      return id;
    },
    async verification(snapshotId, item, time) {
      const obj = { version: 1 as const, meta: meta(item, time), snapshot: snapshotId };
      const id = await repo.saveVerification(obj, null);
      await catalog.putVerification(verificationRecord(id, obj));
      return id;
    },
    async event(time, e) {
      clock = new Date(time);
      const ev = await log.record({ identity: 'local:alice@host', result: 'ok', ...e });
      return ev.seq;
    },
    async close() {
      await catalog.close();
      await fresh.remove();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
