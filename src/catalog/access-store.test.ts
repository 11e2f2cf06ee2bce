import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { AccessStore, NewApprovalRequest, NewRoleGrant, TokenRecord } from './index.js';
import { openCatalog } from './index.js';
import { catalogTargets } from './test-support.js';

const t0 = '2026-11-01T10:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(t0) + minutes * 60_000).toISOString();

function token(fields: Partial<TokenRecord> = {}): TokenRecord {
  return {
    id: '0123456789abcdef',
    name: 'ci-bot',
    roles: ['operator'],
    hash: 'ab'.repeat(32),
    createdBy: 'oidc:admin@acme.example',
    createdAt: t0,
    expiresAt: at(60 * 24 * 30),
    revokedAt: null,
    revokedBy: null,
    lastUsedAt: null,
    ...fields,
  };
}

function grant(fields: Partial<NewRoleGrant> = {}): NewRoleGrant {
  return {
    id: 'grant-1',
    subject: 'oidc:alice',
    role: 'restorer',
    baseRoles: ['viewer'],
    reason: 'INC-42: restore nginx',
    durationMs: 30 * 60_000,
    required: 1,
    requestedAt: t0,
    lapsesAt: at(60 * 24),
    ...fields,
  };
}

function approval(fields: Partial<NewApprovalRequest> = {}): NewApprovalRequest {
  return {
    id: 'apr-1',
    action: 'snapshot.delete',
    target: 'ab'.repeat(32),
    params: { snapshots: ['ab'.repeat(32)], note: 'ünïcode "quoted"', nested: { n: 1, ok: true, none: null } },
    reason: 'GDPR erasure',
    requestedBy: 'token:ci-bot',
    required: 2,
    createdAt: t0,
    expiresAt: at(60 * 24),
    ...fields,
  };
}

for (const target of catalogTargets) {
  describe(`access store on ${target.dialect}`, () => {
    async function fresh(t: TestContext): Promise<AccessStore> {
      const { options, remove } = await target.fresh();
      t.after(remove);
      const catalog = await openCatalog(options);
      t.after(() => catalog.close());
      return catalog.access;
    }

    it('stores a token exactly, normalising times, and lists them oldest first', async (t) => {
      const store = await fresh(t);
      const first = token({ createdAt: '2026-11-01T11:00:00+01:00' });
      const second = token({
        id: 'fedcba9876543210',
        name: 'deploy',
        roles: ['operator', 'restorer'],
        createdAt: at(5),
      });
      await store.insertToken(second);
      await store.insertToken(first);
      assert.deepEqual(await store.getToken(first.id), { ...first, createdAt: t0 });
      assert.equal(await store.getToken('ffffffffffffffff'), undefined);
      assert.deepEqual(
        (await store.listTokens()).map((row) => row.id),
        [first.id, second.id],
      );
    });

    it('revokes a token once and records when it was last used', async (t) => {
      const store = await fresh(t);
      await store.insertToken(token());
      assert.equal(await store.revokeToken('0123456789abcdef', 'oidc:admin', at(1)), true);
      assert.equal(await store.revokeToken('0123456789abcdef', 'oidc:other', at(2)), false);
      assert.equal(await store.revokeToken('ffffffffffffffff', 'oidc:admin', at(2)), false);
      await store.touchToken('0123456789abcdef', at(3));
      const stored = await store.getToken('0123456789abcdef');
      assert.equal(stored?.revokedAt, at(1));
      assert.equal(stored?.revokedBy, 'oidc:admin');
      assert.equal(stored?.lastUsedAt, at(3));
    });

    it('keeps a role grant pending until activated, once, and finds it active only inside its window', async (t) => {
      const store = await fresh(t);
      await store.insertRoleGrant(grant());
      await store.insertRoleGrant(grant({ id: 'grant-2', subject: 'oidc:bob' }));
      const pending = await store.getRoleGrant('grant-1');
      assert.equal(pending?.status, 'pending');
      assert.deepEqual(pending?.baseRoles, ['viewer']);
      assert.equal(pending?.durationMs, 30 * 60_000);
      assert.deepEqual(pending?.votes, []);
      assert.deepEqual(await store.activeRoleGrants('oidc:alice', at(1)), []);

      assert.equal(await store.activateRoleGrant('grant-1', at(10), at(40)), true);
      assert.equal(await store.activateRoleGrant('grant-1', at(11), at(41)), false);
      const active = await store.getRoleGrant('grant-1');
      assert.equal(active?.status, 'active');
      assert.equal(active?.activeFrom, at(10));
      assert.equal(active?.activeUntil, at(40));
      assert.deepEqual(
        (await store.activeRoleGrants('oidc:alice', at(39))).map((row) => row.id),
        ['grant-1'],
      );
      assert.deepEqual(await store.activeRoleGrants('oidc:alice', at(40)), []);
      assert.deepEqual(await store.activeRoleGrants('oidc:bob', at(20)), []);
    });

    it('counts one vote per approver on a grant, even when both arrive at once', async (t) => {
      const store = await fresh(t);
      await store.insertRoleGrant(grant());
      const [a, b] = await Promise.all([
        store.addRoleGrantVote('grant-1', 'oidc:carol', at(1)),
        store.addRoleGrantVote('grant-1', 'oidc:carol', at(1)),
      ]);
      assert.equal(Number(a) + Number(b), 1);
      assert.equal(await store.addRoleGrantVote('grant-1', 'oidc:dave', at(2)), true);
      assert.deepEqual((await store.getRoleGrant('grant-1'))?.votes, [
        { approver: 'oidc:carol', time: at(1) },
        { approver: 'oidc:dave', time: at(2) },
      ]);
    });

    it('changes a grant status only from the statuses given, recording who and why', async (t) => {
      const store = await fresh(t);
      await store.insertRoleGrant(grant());
      const revoke = { from: ['active' as const], to: 'revoked' as const, at: at(5), by: 'oidc:carol', note: 'done' };
      assert.equal(await store.transitionRoleGrant('grant-1', revoke), false);
      const deny = {
        from: ['pending' as const],
        to: 'denied' as const,
        at: at(5),
        by: 'oidc:carol',
        note: 'no ticket',
      };
      assert.equal(await store.transitionRoleGrant('grant-1', deny), true);
      assert.equal(await store.transitionRoleGrant('grant-1', deny), false);
      const stored = await store.getRoleGrant('grant-1');
      assert.equal(stored?.status, 'denied');
      assert.equal(stored?.statusBy, 'oidc:carol');
      assert.equal(stored?.statusAt, at(5));
      assert.equal(stored?.statusNote, 'no ticket');
      assert.equal(await store.transitionRoleGrant('grant-1', { ...deny, from: [] }), false);
    });

    it('lists grants newest first, by subject and status', async (t) => {
      const store = await fresh(t);
      await store.insertRoleGrant(grant({ id: 'g1', requestedAt: at(1) }));
      await store.insertRoleGrant(grant({ id: 'g2', requestedAt: at(2), subject: 'oidc:bob' }));
      await store.insertRoleGrant(grant({ id: 'g3', requestedAt: at(3) }));
      await store.activateRoleGrant('g3', at(4), at(30));
      await store.addRoleGrantVote('g3', 'oidc:carol', at(4));
      const ids = async (filter?: Parameters<AccessStore['listRoleGrants']>[0]) =>
        (await store.listRoleGrants(filter)).map((row) => row.id);
      assert.deepEqual(await ids(), ['g3', 'g2', 'g1']);
      assert.deepEqual(await ids({ subject: 'oidc:alice' }), ['g3', 'g1']);
      assert.deepEqual(await ids({ status: ['pending'] }), ['g2', 'g1']);
      assert.deepEqual(await ids({ subject: 'oidc:alice', status: ['active', 'revoked'] }), ['g3']);
      assert.deepEqual(await ids({ status: [] }), []);
      assert.equal((await store.listRoleGrants({ status: ['active'] }))[0]?.votes.length, 1);
    });

    it('stores an approval request with its JSON parameters exactly', async (t) => {
      const store = await fresh(t);
      const request = approval();
      await store.insertApproval(request);
      assert.deepEqual(await store.getApproval('apr-1'), {
        ...request,
        status: 'pending',
        statusBy: null,
        statusAt: null,
        statusNote: null,
        result: null,
        votes: [],
      });
      assert.equal(await store.getApproval('apr-2'), undefined);
    });

    it('counts one vote per approver on a request, even when both arrive at once', async (t) => {
      const store = await fresh(t);
      await store.insertApproval(approval());
      await store.insertApproval(approval({ id: 'apr-2' }));
      const [a, b] = await Promise.all([
        store.addApprovalVote('apr-1', 'oidc:carol', at(1)),
        store.addApprovalVote('apr-1', 'oidc:carol', at(1)),
      ]);
      assert.equal(Number(a) + Number(b), 1);
      assert.equal(await store.addApprovalVote('apr-2', 'oidc:carol', at(1)), true);
      assert.deepEqual((await store.getApproval('apr-1'))?.votes, [{ approver: 'oidc:carol', time: at(1) }]);
    });

    it('moves a request through its statuses only from the expected one, keeping the result', async (t) => {
      const store = await fresh(t);
      await store.insertApproval(approval());
      const approve = { from: ['pending' as const], to: 'approved' as const, at: at(2) };
      const [first, second] = await Promise.all([
        store.transitionApproval('apr-1', approve),
        store.transitionApproval('apr-1', approve),
      ]);
      assert.equal(Number(first) + Number(second), 1);
      assert.equal(await store.transitionApproval('apr-1', { from: ['pending'], to: 'denied', at: at(3) }), false);
      const result = { deleted: 1, ids: ['x'] };
      assert.equal(
        await store.transitionApproval('apr-1', { from: ['approved'], to: 'executed', at: at(3), result }),
        true,
      );
      const stored = await store.getApproval('apr-1');
      assert.equal(stored?.status, 'executed');
      assert.equal(stored?.statusAt, at(3));
      assert.deepEqual(stored?.result, result);
    });

    it('lists requests newest first, by status, requester and action, with a limit', async (t) => {
      const store = await fresh(t);
      await store.insertApproval(approval({ id: 'a1', createdAt: at(1) }));
      await store.insertApproval(approval({ id: 'a2', createdAt: at(2), action: 'key.remove', requestedBy: 'x' }));
      await store.insertApproval(approval({ id: 'a3', createdAt: at(3) }));
      await store.transitionApproval('a3', { from: ['pending'], to: 'cancelled', at: at(4), by: 'token:ci-bot' });
      await store.addApprovalVote('a1', 'oidc:carol', at(2));
      const ids = async (filter?: Parameters<AccessStore['listApprovals']>[0]) =>
        (await store.listApprovals(filter)).map((row) => row.id);
      assert.deepEqual(await ids(), ['a3', 'a2', 'a1']);
      assert.deepEqual(await ids({ status: ['pending'] }), ['a2', 'a1']);
      assert.deepEqual(await ids({ requestedBy: 'token:ci-bot' }), ['a3', 'a1']);
      assert.deepEqual(await ids({ action: 'key.remove' }), ['a2']);
      assert.deepEqual(await ids({ limit: 2 }), ['a3', 'a2']);
      assert.equal((await store.listApprovals({ status: ['pending'] }))[1]?.votes.length, 1);
    });

    it('keeps an MFA enrolment unconfirmed until confirmed, then refuses to replace it', async (t) => {
      const store = await fresh(t);
      const sealed = new Uint8Array([0, 1, 2, 250, 255]);
      assert.equal(await store.putMfaEnrolment('oidc:carol', new Uint8Array([9]), at(0)), true);
      assert.equal(await store.putMfaEnrolment('oidc:carol', sealed, at(1)), true);
      assert.deepEqual(await store.getMfaEnrolment('oidc:carol'), {
        subject: 'oidc:carol',
        sealedSecret: sealed,
        confirmed: false,
        createdAt: at(1),
        confirmedAt: null,
        lastStep: null,
      });
      assert.equal(await store.useMfaStep('oidc:carol', 100), false);
      assert.equal(await store.confirmMfaEnrolment('oidc:carol', at(2), 100), true);
      assert.equal(await store.confirmMfaEnrolment('oidc:carol', at(3), 101), false);
      assert.equal(await store.putMfaEnrolment('oidc:carol', new Uint8Array([7]), at(4)), false);
      const stored = await store.getMfaEnrolment('oidc:carol');
      assert.equal(stored?.confirmed, true);
      assert.equal(stored?.lastStep, 100);
      assert.deepEqual(stored?.sealedSecret, sealed);
      assert.equal(await store.getMfaEnrolment('oidc:nobody'), undefined);
    });

    it('accepts each TOTP step once and never an older one, even when two arrive at once', async (t) => {
      const store = await fresh(t);
      await store.putMfaEnrolment('oidc:carol', new Uint8Array([1]), at(0));
      await store.confirmMfaEnrolment('oidc:carol', at(0), 59_000_000);
      const [a, b] = await Promise.all([
        store.useMfaStep('oidc:carol', 59_000_002),
        store.useMfaStep('oidc:carol', 59_000_002),
      ]);
      assert.equal(Number(a) + Number(b), 1);
      assert.equal(await store.useMfaStep('oidc:carol', 59_000_001), false);
      assert.equal(await store.useMfaStep('oidc:carol', 59_000_003), true);
      assert.equal((await store.getMfaEnrolment('oidc:carol'))?.lastStep, 59_000_003);
      assert.equal(await store.useMfaStep('oidc:nobody', 59_000_004), false);
    });

    it('deletes an enrolment so that the subject can enrol again', async (t) => {
      const store = await fresh(t);
      await store.putMfaEnrolment('oidc:carol', new Uint8Array([1]), at(0));
      await store.confirmMfaEnrolment('oidc:carol', at(0), 1);
      assert.equal(await store.deleteMfaEnrolment('oidc:carol'), true);
      assert.equal(await store.deleteMfaEnrolment('oidc:carol'), false);
      assert.equal(await store.putMfaEnrolment('oidc:carol', new Uint8Array([2]), at(1)), true);
    });
  });
}
