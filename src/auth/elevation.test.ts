import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ErrorCode, isCairnError } from '../errors/index.js';
import { admin, HOUR, MINUTE, person, scene, testPolicy } from './test-support.js';

async function refused(promise: Promise<unknown>, code: ErrorCode, pattern?: RegExp) {
  const err = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(isCairnError(err, code), `expected ${code}, got ${String(err)}`);
  if (pattern) assert.match(err.message, pattern);
  return err;
}

const alice = person('alice', 'viewer');
const carol = person('carol', 'approver');
const dave = person('dave', 'approver');

describe('just-in-time elevation', () => {
  it('grants a role from its approval for the duration asked, then ends it by itself', async (t) => {
    const s = await scene(t);
    const asked = await s.access.requestElevation({
      requestedBy: alice,
      role: 'restorer',
      durationMs: 30 * MINUTE,
      reason: '  INC-42: restore nginx ',
    });
    assert.match(asked.id, /^jit-[0-9a-f]{12}$/);
    assert.equal(asked.status, 'pending');
    assert.equal(asked.reason, 'INC-42: restore nginx');
    assert.equal(asked.required, 1);
    assert.deepEqual(asked.baseRoles, ['viewer']);
    assert.deepEqual((await s.access.withGrants(alice)).roles, ['viewer']);

    s.clock.advance(10 * MINUTE);
    const approvedAt = s.clock.now().toISOString();
    const granted = await s.access.approveElevation(asked.id, carol);
    assert.equal(granted.status, 'active');
    assert.equal(granted.activeFrom, approvedAt);
    assert.equal(granted.activeUntil, new Date(Date.parse(approvedAt) + 30 * MINUTE).toISOString());
    assert.deepEqual(granted.votes, [{ approver: 'oidc:carol', time: approvedAt }]);

    const elevated = await s.access.withGrants(alice);
    assert.deepEqual(elevated.roles, ['viewer', 'restorer']);
    assert.deepEqual(elevated.baseRoles, ['viewer']);
    assert.deepEqual(elevated.grants, [{ id: asked.id, role: 'restorer', until: granted.activeUntil }]);

    s.clock.advance(30 * MINUTE - 1);
    assert.deepEqual((await s.access.withGrants(alice)).roles, ['viewer', 'restorer']);
    s.clock.advance(1);
    assert.deepEqual((await s.access.withGrants(alice)).roles, ['viewer']);
    assert.equal((await s.access.getElevation(asked.id)).status, 'expired');
  });

  it('waits for as many distinct approvers as the policy asks for', async (t) => {
    const s = await scene(t, { policy: { ...testPolicy, jit: { maxDurationMs: HOUR, approvers: 2 } } });
    const { id } = await s.access.requestElevation({
      requestedBy: alice,
      role: 'operator',
      durationMs: HOUR,
      reason: 'CHG-9',
    });
    assert.equal((await s.access.approveElevation(id, carol)).status, 'pending');
    await refused(s.access.approveElevation(id, carol), 'CAIRN_E_EXISTS', /already approved/);
    s.clock.advance(MINUTE);
    const granted = await s.access.approveElevation(id, dave);
    assert.equal(granted.status, 'active');
    assert.equal(granted.activeFrom, s.clock.now().toISOString());
    assert.deepEqual(
      granted.votes.map((v) => v.approver),
      ['oidc:carol', 'oidc:dave'],
    );
  });

  it('refuses approval by the requester, by a token the requester made, and without access.approve', async (t) => {
    const s = await scene(t);
    const approverAsking = person('erin', 'approver');
    const own = await s.access.requestElevation({
      requestedBy: approverAsking,
      role: 'restorer',
      durationMs: HOUR,
      reason: 'x',
    });
    await refused(
      s.access.approveElevation(own.id, approverAsking),
      'CAIRN_E_FORBIDDEN',
      /nobody approves their own request/,
    );

    const adminAsking = await s.access.requestElevation({
      requestedBy: admin,
      role: 'approver',
      durationMs: HOUR,
      reason: 'y',
    });
    const { token } = await s.access.createToken({
      name: 'helper',
      roles: ['approver'],
      expiresInMs: HOUR,
      createdBy: admin,
    });
    const helper = await s.access.authenticate(token);
    await refused(
      s.access.approveElevation(adminAsking.id, helper),
      'CAIRN_E_FORBIDDEN',
      /counts as the person who created it/,
    );
    await refused(
      s.access.approveElevation(own.id, admin),
      'CAIRN_E_FORBIDDEN',
      /needs the permission access\.approve/,
    );
    assert.equal((await s.access.getElevation(own.id)).status, 'pending');
  });

  it('refuses requests that are too long, unexplained, for no role, or for a role already held', async (t) => {
    const s = await scene(t);
    const base = { requestedBy: alice, role: 'restorer' as const, durationMs: HOUR, reason: 'INC-1' };
    await refused(s.access.requestElevation({ ...base, durationMs: 2 * HOUR + 1 }), 'CAIRN_E_USAGE', /up to 2h/);
    await refused(s.access.requestElevation({ ...base, durationMs: 0 }), 'CAIRN_E_USAGE', /positive duration/);
    await refused(s.access.requestElevation({ ...base, reason: '  ' }), 'CAIRN_E_USAGE', /say why/);
    await refused(s.access.requestElevation({ ...base, reason: 'x'.repeat(1001) }), 'CAIRN_E_USAGE', /say why/);
    await refused(s.access.requestElevation({ ...base, role: 'root' as never }), 'CAIRN_E_USAGE', /not a role/);
    await refused(s.access.requestElevation({ ...base, role: 'viewer' }), 'CAIRN_E_USAGE', /already holds viewer/);
    await s.access.requestElevation(base);
    await refused(s.access.requestElevation(base), 'CAIRN_E_EXISTS', /pending request for restorer/);
    assert.equal((await s.access.listElevations()).length, 1);
  });

  it('refuses a request whose role would conflict with the roles held, naming the rule', async (t) => {
    const s = await scene(t);
    const err = await refused(
      s.access.requestElevation({
        requestedBy: person('olga', 'operator'),
        role: 'auditor',
        durationMs: HOUR,
        reason: 'x',
      }),
      'CAIRN_E_DUTY_CONFLICT',
      /oidc:olga would hold both operator and auditor.*separationOfDuties\[0\]/,
    );
    assert.deepEqual(err.details?.pair, ['operator', 'auditor']);
  });

  it('refuses at approval a grant that would conflict with one granted meanwhile', async (t) => {
    const s = await scene(t);
    const audit = await s.access.requestElevation({
      requestedBy: alice,
      role: 'auditor',
      durationMs: HOUR,
      reason: 'a',
    });
    const restore = await s.access.requestElevation({
      requestedBy: alice,
      role: 'restorer',
      durationMs: HOUR,
      reason: 'b',
    });
    await s.access.approveElevation(audit.id, carol);
    await refused(
      s.access.approveElevation(restore.id, dave),
      'CAIRN_E_DUTY_CONFLICT',
      /both restorer and auditor.*separationOfDuties\[1\]/,
    );
    assert.equal((await s.access.getElevation(restore.id)).status, 'pending');
    assert.deepEqual((await s.access.withGrants(alice)).roles, ['viewer', 'auditor']);
  });

  it('refuses an identity whose base roles now conflict with an active grant', async (t) => {
    const s = await scene(t);
    const { id } = await s.access.requestElevation({
      requestedBy: alice,
      role: 'operator',
      durationMs: HOUR,
      reason: 'x',
    });
    await s.access.approveElevation(id, carol);
    await refused(
      s.access.withGrants(person('alice', 'viewer', 'auditor')),
      'CAIRN_E_DUTY_CONFLICT',
      new RegExp(`revoke grant ${id}`),
    );
  });

  it('lets a request lapse unapproved after the approval window', async (t) => {
    const s = await scene(t);
    const { id, lapsesAt } = await s.access.requestElevation({
      requestedBy: alice,
      role: 'restorer',
      durationMs: HOUR,
      reason: 'x',
    });
    assert.equal(lapsesAt, new Date(s.clock.now().getTime() + 24 * HOUR).toISOString());
    s.clock.advance(24 * HOUR);
    assert.equal((await s.access.getElevation(id)).status, 'lapsed');
    await refused(s.access.approveElevation(id, carol), 'CAIRN_E_EXPIRED', /lapsed.*ask again/);
    await s.access.requestElevation({ requestedBy: alice, role: 'restorer', durationMs: HOUR, reason: 'again' });
  });

  it('lets an approver deny and the requester cancel, and nothing else after that', async (t) => {
    const s = await scene(t);
    const a = await s.access.requestElevation({ requestedBy: alice, role: 'restorer', durationMs: HOUR, reason: 'x' });
    const denied = await s.access.denyElevation(a.id, carol, 'no ticket');
    assert.equal(denied.status, 'denied');
    assert.equal(denied.statusBy, 'oidc:carol');
    assert.equal(denied.statusNote, 'no ticket');
    await refused(s.access.approveElevation(a.id, dave), 'CAIRN_E_USAGE', /is denied, no longer pending/);
    await refused(s.access.denyElevation(a.id, dave), 'CAIRN_E_USAGE');

    const b = await s.access.requestElevation({ requestedBy: alice, role: 'operator', durationMs: HOUR, reason: 'y' });
    await refused(s.access.denyElevation(b.id, admin), 'CAIRN_E_FORBIDDEN');
    await refused(s.access.cancelElevation(b.id, carol), 'CAIRN_E_FORBIDDEN', /only oidc:alice may cancel/);
    assert.equal((await s.access.cancelElevation(b.id, alice)).status, 'cancelled');
    await refused(s.access.cancelElevation(b.id, alice), 'CAIRN_E_USAGE', /cancelled/);
    await refused(s.access.getElevation('jit-000000000000'), 'CAIRN_E_NOT_FOUND');
  });

  it('revokes an active grant early: by its holder or by someone with access.revoke', async (t) => {
    const s = await scene(t);
    const grant = async (role: 'restorer' | 'operator') => {
      const { id } = await s.access.requestElevation({ requestedBy: alice, role, durationMs: HOUR, reason: 'x' });
      await s.access.approveElevation(id, carol);
      s.clock.advance(MINUTE);
      return id;
    };
    const first = await grant('restorer');
    await refused(s.access.revokeElevation(first, person('otto', 'operator')), 'CAIRN_E_FORBIDDEN', /access\.revoke/);
    assert.equal((await s.access.revokeElevation(first, alice)).status, 'revoked');
    await refused(s.access.revokeElevation(first, alice), 'CAIRN_E_USAGE', /nothing to revoke/);
    const second = await grant('operator');
    const revoked = await s.access.revokeElevation(second, admin, 'incident over');
    assert.equal(revoked.statusBy, 'oidc:root');
    assert.deepEqual((await s.access.withGrants(alice)).roles, ['viewer']);
    assert.deepEqual(
      (await s.access.listElevations({ subject: 'oidc:alice', status: ['revoked'] })).map((g) => g.id),
      [second, first],
    );
  });
});
