import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { type CatalogOptions, openCatalog } from './open-catalog.js';
import type { Catalog, SnapshotRecord, VerificationRecord } from './types.js';

/**
 * What the catalog tests run against: each target hands out fresh, isolated catalogs. PostgreSQL is
 * required, not optional: if it cannot be reached the tests fail (CI starts it).
 */
export interface CatalogTarget {
  readonly dialect: 'sqlite' | 'postgres';
  /** Options for a new, empty catalog of its own (the same options reopen it), and its removal. */
  fresh(): Promise<{ options: CatalogOptions; remove(): Promise<void> }>;
  /** Options for a catalog that cannot be opened, whose URL (if any) carries `password`. */
  unreachable(password: string): Promise<CatalogOptions>;
}

export const pgUrl = process.env.CAIRN_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';

const sqlite: CatalogTarget = {
  dialect: 'sqlite',
  async fresh() {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-catalog-'));
    return {
      options: { sqlitePath: join(dir, 'state', 'catalog.sqlite') },
      remove: () => rm(dir, { recursive: true, force: true }),
    };
  },
  async unreachable() {
    return { sqlitePath: '/dev/null/catalog.sqlite' }; // its "directory" is a device: mkdir fails
  },
};

const postgres: CatalogTarget = {
  dialect: 'postgres',
  async fresh() {
    // A schema per catalog: parallel test files and reruns never see each other's tables.
    const schema = `cairn_test_${randomBytes(6).toString('hex')}`;
    return { options: { url: pgUrl, schema }, remove: () => dropSchema(schema) };
  },
  async unreachable(password) {
    const url = new URL(pgUrl);
    url.username = 'cairn';
    url.password = password;
    url.hostname = '127.0.0.1';
    url.port = String(await closedPort());
    return { url: url.toString() };
  },
};

export const catalogTargets: readonly CatalogTarget[] = [sqlite, postgres];

/**
 * A fresh catalog on `target`, opened once (returned twice) or twice on one database (two replicas);
 * closed and removed after the test.
 */
export async function freshCatalogs(
  target: CatalogTarget,
  tc: TestContext,
  replicas: 1 | 2 = 1,
): Promise<[Catalog, Catalog]> {
  const { options, remove } = await target.fresh();
  const a = await openCatalog(options);
  const b = replicas === 2 ? await openCatalog(options) : a;
  tc.after(async () => {
    await a.close();
    await b.close();
    await remove();
  });
  return [a, b];
}

async function dropSchema(schema: string): Promise<void> {
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: pgUrl, max: 1 }) }),
  });
  try {
    await db.schema.dropSchema(schema).ifExists().cascade().execute();
  } finally {
    await db.destroy();
  }
}

/** A local port nobody listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export function hexId(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

let sequence = 0;

export function snapshotRecord(fields: Partial<SnapshotRecord> = {}): SnapshotRecord {
  sequence += 1;
  return {
    id: hexId(`snapshot ${sequence}`),
    item: 'nginx',
    environment: 'prod',
    tier: 'gold',
    component: 'web',
    trigger: 'pre-deploy',
    release: '2.4.0',
    commit: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    change: 'CHG-1042',
    deployment: 'D-77',
    pipeline: 'https://ci.example.com/runs/1',
    actor: 'ci-bot',
    host: 'runner-1',
    time: '2026-11-01T10:00:00.000Z',
    parent: null,
    tree: hexId(`tree ${sequence}`),
    contentHash: hexId(`content ${sequence}`),
    status: 'complete',
    files: 3,
    bytes: 12_345,
    addedBytes: 678,
    retainUntil: null,
    unreadable: [],
    ...fields,
  };
}

export function verificationRecord(
  snapshot: SnapshotRecord,
  fields: Partial<VerificationRecord> = {},
): VerificationRecord {
  sequence += 1;
  const { item, environment, tier, component, trigger, release, commit, change, deployment, pipeline } = snapshot;
  return {
    item,
    environment,
    tier,
    component,
    trigger,
    release,
    commit,
    change,
    deployment,
    pipeline,
    actor: snapshot.actor,
    host: snapshot.host,
    time: snapshot.time,
    id: hexId(`verification ${sequence}`),
    snapshotId: snapshot.id,
    ...fields,
  };
}
