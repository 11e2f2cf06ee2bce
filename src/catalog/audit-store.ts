import type { Insertable, Kysely, Selectable, SelectQueryBuilder } from 'kysely';
import { CairnError } from '../errors/index.js';
import type {
  AuditCheckpointRow,
  AuditEventFilter,
  AuditEventRecord,
  AuditHead,
  AuditResult,
  AuditStore,
} from './audit-types.js';
import type { CatalogDialect } from './migrations/index.js';
import { prefixRange } from './run-criteria.js';
import type { CatalogDatabase } from './schema.js';
import type { AuditEventsTable } from './schema-audit.js';

type Db = Kysely<CatalogDatabase>;
type EventQuery = SelectQueryBuilder<CatalogDatabase, 'audit_events', object>;

const defaultLimit = 1000;

/** The audit tables over Kysely; the same queries on SQLite and PostgreSQL. */
export class KyselyAuditStore implements AuditStore {
  constructor(
    readonly db: Db,
    readonly dialect: CatalogDialect,
  ) {}

  append(build: (head: AuditHead) => AuditEventRecord): Promise<AuditEventRecord> {
    return this.db.transaction().execute(async (trx) => {
      // The no-op UPDATE comes first: it takes SQLite's write lock (begin immediate already has it)
      // and PostgreSQL's row lock, and RETURNING reads the head as left by whoever held it before.
      const locked = await trx
        .updateTable('audit_head')
        .set({ id: 1 })
        .where('id', '=', 1)
        .returning(['seq', 'hash'])
        .executeTakeFirst();
      if (!locked) throw new CairnError('CAIRN_E_CATALOG', 'the audit head row is missing: run `cairn audit verify`');
      const head = { seq: Number(locked.seq), hash: locked.hash };
      const event = build(head);
      if (event.seq !== head.seq + 1 || event.prevHash !== head.hash) {
        throw new CairnError('CAIRN_E_CATALOG', `audit event ${event.seq} does not follow the head (${head.seq})`);
      }
      await trx.insertInto('audit_events').values(eventToRow(event)).execute();
      await trx.updateTable('audit_head').set({ seq: event.seq, hash: event.hash }).where('id', '=', 1).execute();
      return event;
    });
  }

  async head(): Promise<AuditHead> {
    const row = await this.db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
    if (!row) throw new CairnError('CAIRN_E_CATALOG', 'the audit head row is missing: run `cairn audit verify`');
    return { seq: Number(row.seq), hash: row.hash };
  }

  async range(afterSeq: number, limit: number): Promise<AuditEventRecord[]> {
    const rows = await this.db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(eventFromRow);
  }

  async find(filter: AuditEventFilter): Promise<AuditEventRecord[]> {
    const newest = filter.order === 'newest';
    const rows = await filtered(this.db.selectFrom('audit_events'), filter)
      .selectAll()
      .orderBy('seq', newest ? 'desc' : 'asc')
      .limit(filter.limit ?? defaultLimit)
      .execute();
    return rows.map(eventFromRow);
  }

  async count(filter: AuditEventFilter): Promise<number> {
    const row = await filtered(this.db.selectFrom('audit_events'), filter)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async lastEventSeq(): Promise<number> {
    const row = await this.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  async getCursor(name: string): Promise<number> {
    const row = await this.db.selectFrom('audit_cursors').select('seq').where('name', '=', name).executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  async setCursor(name: string, seq: number): Promise<void> {
    const updated = new Date().toISOString();
    await this.db
      .insertInto('audit_cursors')
      .values({ name, seq, updated })
      .onConflict((oc) => oc.column('name').doUpdateSet({ seq, updated }))
      .execute();
  }

  async putCheckpoint(row: AuditCheckpointRow): Promise<void> {
    await this.db
      .insertInto('audit_checkpoints')
      .values({ object_key: row.objectKey, seq: row.seq, hash: row.hash, time: row.time })
      .onConflict((oc) => oc.column('object_key').doNothing())
      .execute();
  }

  async checkpoints(): Promise<AuditCheckpointRow[]> {
    const rows = await this.db.selectFrom('audit_checkpoints').selectAll().orderBy('seq').orderBy('time').execute();
    return rows.map(checkpointFromRow);
  }

  async lastCheckpoint(): Promise<AuditCheckpointRow | undefined> {
    const row = await this.db
      .selectFrom('audit_checkpoints')
      .selectAll()
      .orderBy('seq', 'desc')
      .orderBy('time', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && checkpointFromRow(row);
  }

  async claimAlert(dedupKey: string, time: string): Promise<boolean> {
    const result = await this.db
      .insertInto('audit_alerts')
      .values({ dedup_key: dedupKey, time })
      .onConflict((oc) => oc.column('dedup_key').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }
}

function filtered(query: EventQuery, filter: AuditEventFilter): EventQuery {
  let q = query;
  if (filter.since !== undefined) q = q.where('time', '>=', filterTime(filter.since, 'since'));
  if (filter.until !== undefined) q = q.where('time', '<', filterTime(filter.until, 'until'));
  if (filter.identity !== undefined) q = q.where('identity', '=', filter.identity);
  if (filter.result !== undefined) q = q.where('result', '=', filter.result);
  if (filter.target !== undefined) q = q.where('target', '=', filter.target);
  if (filter.afterSeq !== undefined) q = q.where('seq', '>', filter.afterSeq);
  const action = filter.action;
  if (action?.endsWith('*') && action.length > 1) {
    const [from, to] = prefixRange(action.slice(0, -1));
    q = q.where('action', '>=', from).where('action', '<', to);
  } else if (action !== undefined) {
    q = q.where('action', '=', action);
  }
  return q;
}

function filterTime(value: string, what: string): string {
  if (Number.isNaN(Date.parse(value))) {
    throw new CairnError('CAIRN_E_USAGE', `--${what} ${JSON.stringify(value)} is not an ISO-8601 time`, {
      [what]: value,
    });
  }
  return new Date(value).toISOString();
}

function eventToRow(event: AuditEventRecord): Insertable<AuditEventsTable> {
  return {
    seq: event.seq,
    id: event.id,
    time: event.time,
    identity: event.identity,
    roles: JSON.stringify(event.roles),
    ip: event.ip,
    user_agent: event.userAgent,
    action: event.action,
    target: event.target,
    result: event.result,
    change_id: event.changeId,
    approval_id: event.approvalId,
    details: JSON.stringify(event.details),
    prev_hash: event.prevHash,
    hash: event.hash,
  };
}

/** Tolerates rows edited into invalid JSON: verify must read them to name them. */
function eventFromRow(row: Selectable<AuditEventsTable>): AuditEventRecord {
  return {
    seq: Number(row.seq),
    id: row.id,
    time: row.time,
    identity: row.identity,
    roles: parsed(
      row.roles,
      (v): v is string[] => Array.isArray(v),
      () => [row.roles],
    ),
    ip: row.ip,
    userAgent: row.user_agent,
    action: row.action,
    target: row.target,
    result: row.result as AuditResult,
    changeId: row.change_id,
    approvalId: row.approval_id,
    details: parsed(
      row.details,
      (v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v),
      () => ({ unparseable: row.details }),
    ),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

function parsed<T>(text: string, valid: (v: unknown) => v is T, fallback: () => T): T {
  try {
    const value: unknown = JSON.parse(text);
    return valid(value) ? value : fallback();
  } catch {
    return fallback();
  }
}

function checkpointFromRow(row: Selectable<CatalogDatabase['audit_checkpoints']>): AuditCheckpointRow {
  return { objectKey: row.object_key, seq: Number(row.seq), hash: row.hash, time: row.time };
}
