import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AuditLog } from '../../audit/index.js';
import { openCatalog } from '../../catalog/index.js';
import type { CatalogTarget } from '../../catalog/test-support.js';
import { type Policy, parsePolicy } from '../../policy/index.js';
import { syncCatalog } from '../catalog-sync.js';
import { forgetSnapshots } from '../forget.js';
import { initRepository } from '../repository-admin.js';
import { openRepository, type Session } from '../session.js';
import { takeSnapshots } from '../snapshot.js';

/**
 * A repository with two items snapshotted three times, on a catalog of the given target, for the
 * drill tests: app (tier 0, RPO 1h, RTO 10m) and db (tier 1). db's first snapshot (release 0.9) is
 * forgotten, so a baseline naming it no longer exists. cache (tier 1) has never been snapshotted.
 */
export interface DrillScene {
  readonly dir: string;
  readonly session: Session;
  readonly log: AuditLog;
  /** The id of db's forgotten snapshot. */
  readonly forgotten: string;
  /** Policy with these drills: under `drills:` (YAML, indented by four). */
  policy(drills: string): Policy;
  write(rel: string, text: string): void;
  close(): Promise<void>;
}

const secret = { kind: 'password', value: 'drill tests' } as const;

const BASE = `version: 1
tiers:
  0: { keep: { last: 10 }, rpo: 1h, rto: 10m }
  1: { keep: { last: 10 }, rpo: 1d, rto: 1h }
environments:
  prod: {}
items:
  - name: app
    owner: team@example.com
    tier: 0
    environment: prod
    sources: [{ files: { root: src/app } }]
  - name: db
    owner: team@example.com
    tier: 1
    environment: prod
    sources: [{ files: { root: src/db } }]
  - name: cache
    owner: team@example.com
    tier: 1
    environment: prod
    sources: [{ files: { root: src/cache } }]
access:
  teams:
    ops: [alice, bob]
    security: [alice, carol]
`;

export async function drillScene(target: CatalogTarget): Promise<DrillScene> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-drill-scene-'));
  const write = (rel: string, text: string) => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  const policy = (drills: string) => {
    const text = drills ? `${BASE}drills:\n${drills}` : BASE;
    write('cairn.yaml', text);
    return parsePolicy(text, join(dir, 'cairn.yaml')).policy;
  };
  write('src/app/config.json', '{ "replicas": 3, "port": 8080 }\n');
  write('src/app/VERSION', '1.0\n');
  write('src/db/settings.json', '{ "max_connections": 90 }\n');
  write('src/cache/cache.conf', 'size 1g\n');
  write('schema.json', JSON.stringify({ type: 'object', additionalProperties: { type: 'number' }, minProperties: 1 }));
  const repository = join(dir, 'repo');
  await initRepository({ repository, secret });
  const repo = await openRepository({ repository, secret });
  const { options, remove } = await target.fresh();
  const catalog = await openCatalog(options);
  const session: Session = {
    repo,
    catalog,
    async close() {
      await repo.close();
      await catalog.close();
      await repo.storage.close();
    },
  };
  await syncCatalog(repo, catalog);
  const base = policy('');
  const [old] = await takeSnapshots(session, base, { items: ['db'], run: { release: '0.9' } });
  write('src/db/settings.json', '{ "max_connections": 100 }\n');
  await takeSnapshots(session, base, { items: ['app', 'db'], run: { release: '1.0' } });
  write('src/app/VERSION', '1.1\n');
  await takeSnapshots(session, base, { items: ['app'], run: { release: '1.1' } });
  await forgetSnapshots(repo, catalog, [old!.id!], {});
  const log = new AuditLog({ store: catalog.audit });
  return {
    dir,
    session,
    log,
    forgotten: old!.id!,
    policy,
    write,
    async close() {
      await session.close();
      await remove();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
