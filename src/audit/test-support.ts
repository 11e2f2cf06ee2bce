import type { TestContext } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { type Catalog, openCatalog } from '../catalog/index.js';
import type { CatalogTarget } from '../catalog/test-support.js';
import { AuditLog, type AuditLogOptions } from './audit-log.js';
import type { AuditEvent, AuditInput } from './event.js';
import { MemCheckpointStore } from './mem-checkpoint-store.js';

/** A clock for tests: starts at `start`, moves only when told. */
export class TestClock {
  #now: number;
  constructor(start = '2026-11-02T09:00:00.000Z') {
    this.#now = Date.parse(start);
  }
  readonly now = (): Date => new Date(this.#now);
  advance(ms: number): void {
    this.#now += ms;
  }
}

export interface AuditFixture {
  readonly catalog: Catalog;
  readonly checkpoints: MemCheckpointStore;
  readonly clock: TestClock;
  readonly log: AuditLog;
  /** The catalog's Kysely instance, to tamper with rows as an attacker with database access would. */
  readonly db: Kysely<unknown>;
}

/** A fresh catalog on the target, with an AuditLog over it writing checkpoints to memory. */
export async function auditFixture(
  t: TestContext,
  target: CatalogTarget,
  options: Partial<AuditLogOptions> = {},
): Promise<AuditFixture> {
  const { options: catalogOptions, remove } = await target.fresh();
  t.after(remove);
  const catalog = await openCatalog(catalogOptions);
  t.after(() => catalog.close());
  const checkpoints = new MemCheckpointStore();
  const clock = new TestClock();
  const log = new AuditLog({ store: catalog.audit, checkpoints, clock: clock.now, ...options });
  t.after(() => log.stopTimer());
  const db = (catalog.audit as unknown as { db: Kysely<unknown> }).db;
  return { catalog, checkpoints, clock, log, db };
}

export function input(n: number, fields: Partial<AuditInput> = {}): AuditInput {
  return {
    identity: n % 2 ? 'token:ci-bot' : 'oidc:alice@acme',
    roles: ['operator'],
    ip: `10.0.0.${n % 250}`,
    userAgent: 'cairn-cli/0.1.0',
    action: 'snapshot.create',
    target: `item-${n}`,
    result: 'ok',
    changeId: `CHG-${1000 + n}`,
    details: { n },
    ...fields,
  };
}

/** Records n events, one second apart. */
export async function recordMany(f: AuditFixture, n: number): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  for (let i = 1; i <= n; i++) {
    f.clock.advance(1000);
    out.push(await f.log.record(input(i)));
  }
  return out;
}

/** Inserts an event row as given (no head update): a forgery or a rewrite. */
export async function insertRow(db: Kysely<unknown>, e: AuditEvent): Promise<void> {
  await sql`insert into audit_events (seq, id, time, identity, roles, ip, user_agent, action, target, result,
    change_id, approval_id, details, prev_hash, hash) values (${e.seq}, ${e.id}, ${e.time}, ${e.identity},
    ${JSON.stringify(e.roles)}, ${e.ip}, ${e.userAgent}, ${e.action}, ${e.target}, ${e.result}, ${e.changeId},
    ${e.approvalId}, ${JSON.stringify(e.details)}, ${e.prevHash}, ${e.hash})`.execute(db);
}

export async function setSeq(db: Kysely<unknown>, from: number, to: number): Promise<void> {
  await sql`update audit_events set seq = ${to} where seq = ${from}`.execute(db);
}

export async function setHead(db: Kysely<unknown>, seq: number, hash: string): Promise<void> {
  await sql`update audit_head set seq = ${seq}, hash = ${hash} where id = 1`.execute(db);
}
