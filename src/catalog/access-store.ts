import type { Kysely, Selectable } from 'kysely';
import type {
  AccessStore,
  ApprovalFilter,
  ApprovalRequestRecord,
  ApprovalStatus,
  MfaEnrolmentRecord,
  NewApprovalRequest,
  NewRoleGrant,
  RoleGrantFilter,
  RoleGrantRecord,
  RoleGrantStatus,
  TokenRecord,
  Transition,
  VoteRecord,
} from './access-types.js';
import { batches } from './batches.js';
import type { CatalogDialect } from './migrations/index.js';
import { isoTime } from './rows.js';
import type { CatalogDatabase } from './schema.js';
import type { ApprovalRequestsTable, RoleGrantsTable, TokensTable } from './schema-access.js';

type Db = Kysely<CatalogDatabase>;

/** The access tables over Kysely; the same queries on SQLite and PostgreSQL. */
export class KyselyAccessStore implements AccessStore {
  constructor(
    readonly db: Db,
    readonly dialect: CatalogDialect,
  ) {}

  async insertToken(token: TokenRecord): Promise<void> {
    await this.db
      .insertInto('tokens')
      .values({
        id: token.id,
        name: token.name,
        roles: JSON.stringify(token.roles),
        hash: token.hash,
        created_by: token.createdBy,
        created_at: isoTime(token.createdAt, 'createdAt'),
        expires_at: isoTime(token.expiresAt, 'expiresAt'),
        revoked_at: optionalTime(token.revokedAt, 'revokedAt'),
        revoked_by: token.revokedBy,
        last_used_at: optionalTime(token.lastUsedAt, 'lastUsedAt'),
      })
      .execute();
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const row = await this.db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row && tokenFromRow(row);
  }

  async listTokens(): Promise<TokenRecord[]> {
    const rows = await this.db.selectFrom('tokens').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(tokenFromRow);
  }

  async revokeToken(id: string, by: string, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable('tokens')
      .set({ revoked_at: isoTime(at, 'at'), revoked_by: by })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async touchToken(id: string, at: string): Promise<void> {
    await this.db
      .updateTable('tokens')
      .set({ last_used_at: isoTime(at, 'at') })
      .where('id', '=', id)
      .execute();
  }

  async insertRoleGrant(grant: NewRoleGrant): Promise<void> {
    await this.db
      .insertInto('role_grants')
      .values({
        id: grant.id,
        subject: grant.subject,
        role: grant.role,
        base_roles: JSON.stringify(grant.baseRoles),
        reason: grant.reason,
        duration_ms: grant.durationMs,
        required: grant.required,
        requested_at: isoTime(grant.requestedAt, 'requestedAt'),
        lapses_at: isoTime(grant.lapsesAt, 'lapsesAt'),
        status: 'pending',
      })
      .execute();
  }

  async getRoleGrant(id: string): Promise<RoleGrantRecord | undefined> {
    return (await this.#grants(this.db.selectFrom('role_grants').selectAll().where('id', '=', id)))[0];
  }

  listRoleGrants(filter: RoleGrantFilter = {}): Promise<RoleGrantRecord[]> {
    let query = this.db.selectFrom('role_grants').selectAll();
    if (filter.subject !== undefined) query = query.where('subject', '=', filter.subject);
    if (filter.status !== undefined) query = query.where('status', 'in', nonEmpty(filter.status));
    return this.#grants(query.orderBy('requested_at', 'desc').orderBy('id', 'desc'));
  }

  activeRoleGrants(subject: string, at: string): Promise<RoleGrantRecord[]> {
    const query = this.db
      .selectFrom('role_grants')
      .selectAll()
      .where('subject', '=', subject)
      .where('status', '=', 'active')
      .where('active_until', '>', isoTime(at, 'at'))
      .orderBy('active_from')
      .orderBy('id');
    return this.#grants(query);
  }

  addRoleGrantVote(id: string, approver: string, time: string): Promise<boolean> {
    return this.#vote('role_grant_votes', { grant_id: id, approver, time: isoTime(time, 'time') });
  }

  async activateRoleGrant(id: string, from: string, until: string): Promise<boolean> {
    const result = await this.db
      .updateTable('role_grants')
      .set({
        status: 'active',
        active_from: isoTime(from, 'from'),
        active_until: isoTime(until, 'until'),
        status_at: isoTime(from, 'from'),
        status_by: null,
        status_note: null,
      })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async transitionRoleGrant(id: string, change: Transition<RoleGrantStatus>): Promise<boolean> {
    const result = await this.db
      .updateTable('role_grants')
      .set(statusChange(change))
      .where('id', '=', id)
      .where('status', 'in', nonEmpty(change.from))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async insertApproval(request: NewApprovalRequest): Promise<void> {
    await this.db
      .insertInto('approval_requests')
      .values({
        id: request.id,
        action: request.action,
        target: request.target,
        params: JSON.stringify(request.params ?? null),
        reason: request.reason,
        requested_by: request.requestedBy,
        required: request.required,
        created_at: isoTime(request.createdAt, 'createdAt'),
        expires_at: isoTime(request.expiresAt, 'expiresAt'),
        status: 'pending',
      })
      .execute();
  }

  async getApproval(id: string): Promise<ApprovalRequestRecord | undefined> {
    return (await this.#approvals(this.db.selectFrom('approval_requests').selectAll().where('id', '=', id)))[0];
  }

  listApprovals(filter: ApprovalFilter = {}): Promise<ApprovalRequestRecord[]> {
    let query = this.db.selectFrom('approval_requests').selectAll();
    if (filter.status !== undefined) query = query.where('status', 'in', nonEmpty(filter.status));
    if (filter.requestedBy !== undefined) query = query.where('requested_by', '=', filter.requestedBy);
    if (filter.action !== undefined) query = query.where('action', '=', filter.action);
    query = query.orderBy('created_at', 'desc').orderBy('id', 'desc');
    if (filter.limit !== undefined) query = query.limit(filter.limit);
    return this.#approvals(query);
  }

  addApprovalVote(id: string, approver: string, time: string): Promise<boolean> {
    return this.#vote('approval_votes', { request_id: id, approver, time: isoTime(time, 'time') });
  }

  async transitionApproval(
    id: string,
    change: Transition<ApprovalStatus> & { readonly result?: unknown },
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('approval_requests')
      .set({
        ...statusChange(change),
        ...(change.result === undefined ? {} : { result: JSON.stringify(change.result) }),
      })
      .where('id', '=', id)
      .where('status', 'in', nonEmpty(change.from))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async putMfaEnrolment(subject: string, sealedSecret: Uint8Array, at: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('mfa_enrolments').where('subject', '=', subject).where('confirmed', '=', 0).execute();
      const result = await trx
        .insertInto('mfa_enrolments')
        .values({
          subject,
          sealed_secret: Buffer.from(sealedSecret).toString('base64'),
          confirmed: 0,
          created_at: isoTime(at, 'at'),
        })
        .onConflict((oc) => oc.column('subject').doNothing())
        .executeTakeFirst();
      return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
    });
  }

  async getMfaEnrolment(subject: string): Promise<MfaEnrolmentRecord | undefined> {
    const row = await this.db
      .selectFrom('mfa_enrolments')
      .selectAll()
      .where('subject', '=', subject)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      subject: row.subject,
      sealedSecret: new Uint8Array(Buffer.from(row.sealed_secret, 'base64')),
      confirmed: row.confirmed === 1,
      createdAt: row.created_at,
      confirmedAt: row.confirmed_at,
      lastStep: row.last_step === null ? null : Number(row.last_step),
    };
  }

  async confirmMfaEnrolment(subject: string, at: string, step: number): Promise<boolean> {
    const result = await this.db
      .updateTable('mfa_enrolments')
      .set({ confirmed: 1, confirmed_at: isoTime(at, 'at'), last_step: step })
      .where('subject', '=', subject)
      .where('confirmed', '=', 0)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async useMfaStep(subject: string, step: number): Promise<boolean> {
    // One statement, so two servers given the same code cannot both accept it.
    const result = await this.db
      .updateTable('mfa_enrolments')
      .set({ last_step: step })
      .where('subject', '=', subject)
      .where('confirmed', '=', 1)
      .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async deleteMfaEnrolment(subject: string): Promise<boolean> {
    const result = await this.db.deleteFrom('mfa_enrolments').where('subject', '=', subject).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async #vote(table: 'role_grant_votes' | 'approval_votes', row: Record<string, string>): Promise<boolean> {
    const parent = table === 'role_grant_votes' ? 'grant_id' : 'request_id';
    const result = await this.db
      .insertInto(table)
      .values(row as never)
      .onConflict((oc) => oc.columns([parent, 'approver'] as never).doNothing())
      .executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  async #grants(query: { execute(): Promise<Selectable<RoleGrantsTable>[]> }): Promise<RoleGrantRecord[]> {
    const rows = await query.execute();
    const votes = await this.#votesOf(
      'role_grant_votes',
      rows.map((row) => row.id),
    );
    return rows.map((row) => grantFromRow(row, votes.get(row.id) ?? []));
  }

  async #approvals(query: {
    execute(): Promise<Selectable<ApprovalRequestsTable>[]>;
  }): Promise<ApprovalRequestRecord[]> {
    const rows = await query.execute();
    const votes = await this.#votesOf(
      'approval_votes',
      rows.map((row) => row.id),
    );
    return rows.map((row) => approvalFromRow(row, votes.get(row.id) ?? []));
  }

  async #votesOf(table: 'role_grant_votes' | 'approval_votes', ids: string[]): Promise<Map<string, VoteRecord[]>> {
    const byParent = new Map<string, VoteRecord[]>();
    for (const batch of batches(ids)) {
      const rows =
        table === 'role_grant_votes'
          ? await this.db
              .selectFrom('role_grant_votes')
              .select(['grant_id as parent', 'approver', 'time'])
              .where('grant_id', 'in', batch)
              .orderBy('time')
              .orderBy('approver')
              .execute()
          : await this.db
              .selectFrom('approval_votes')
              .select(['request_id as parent', 'approver', 'time'])
              .where('request_id', 'in', batch)
              .orderBy('time')
              .orderBy('approver')
              .execute();
      for (const { parent, approver, time } of rows) {
        const list = byParent.get(parent) ?? [];
        list.push({ approver, time });
        byParent.set(parent, list);
      }
    }
    return byParent;
  }
}

function tokenFromRow(row: Selectable<TokensTable>): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    roles: JSON.parse(row.roles) as string[],
    hash: row.hash,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    revokedBy: row.revoked_by,
    lastUsedAt: row.last_used_at,
  };
}

function grantFromRow(row: Selectable<RoleGrantsTable>, votes: VoteRecord[]): RoleGrantRecord {
  return {
    id: row.id,
    subject: row.subject,
    role: row.role,
    baseRoles: JSON.parse(row.base_roles) as string[],
    reason: row.reason,
    durationMs: Number(row.duration_ms),
    required: Number(row.required),
    requestedAt: row.requested_at,
    lapsesAt: row.lapses_at,
    status: row.status as RoleGrantStatus,
    activeFrom: row.active_from,
    activeUntil: row.active_until,
    statusBy: row.status_by,
    statusAt: row.status_at,
    statusNote: row.status_note,
    votes,
  };
}

function approvalFromRow(row: Selectable<ApprovalRequestsTable>, votes: VoteRecord[]): ApprovalRequestRecord {
  return {
    id: row.id,
    action: row.action,
    target: row.target,
    params: JSON.parse(row.params) as unknown,
    reason: row.reason,
    requestedBy: row.requested_by,
    required: Number(row.required),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    status: row.status as ApprovalStatus,
    statusBy: row.status_by,
    statusAt: row.status_at,
    statusNote: row.status_note,
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
    votes,
  };
}

/** The columns a status change sets: who changed it, when and why belong to the latest change. */
function statusChange<S extends string>(change: Transition<S>) {
  return {
    status: change.to,
    status_at: isoTime(change.at, 'at'),
    status_by: change.by ?? null,
    status_note: change.note ?? null,
  };
}

function optionalTime(value: string | null, what: string): string | null {
  return value === null ? null : isoTime(value, what);
}

/** `in ()` is a syntax error on both dialects; an impossible status matches nothing instead. */
function nonEmpty<S extends string>(values: readonly S[]): S[] {
  return values.length > 0 ? [...values] : ['' as S];
}
