import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ErrorCode, isCairnError } from '../errors/index.js';
import type { Policy } from '../policy/index.js';
import { requiredApprovals } from './approval-actions.js';
import type { ApprovalInput } from './approvals.js';
import { admin, codeAt, enrolled, HOUR, person, type Scene, scene, testPolicy } from './test-support.js';

async function refused(promise: Promise<unknown>, code: ErrorCode, pattern?: RegExp) {
  const err = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(isCairnError(err, code), `expected ${code}, got ${String(err)}`);
  if (pattern) assert.match(err.message, pattern);
  return err;
}

const otto = person('otto', 'operator');
const carol = person('carol', 'approver');
const dave = person('dave', 'approver');
const snapshot = 'ab'.repeat(32);

function deletion(fields: Partial<ApprovalInput> = {}): ApprovalInput {
  return {
    action: 'snapshot.delete',
    target: snapshot,
    params: { snapshots: [snapshot], prune: true },
    reason: 'GDPR erasure, ticket PRIV-12',
    requestedBy: otto,
    required: 2,
    ...fields,
  };
}

/** carol and dave enrolled; returns their secrets. */
async function approvers(s: Scene): Promise<{ carol: string; dave: string }> {
  return { carol: await enrolled(s, carol), dave: await enrolled(s, dave) };
}

describe('multi-person approval with MFA', () => {
  it('approves after N distinct approvers with fresh codes, then runs exactly once', async (t) => {
    const s = await scene(t);
    const secrets = await approvers(s);
    const request = await s.access.requestApproval(deletion());
    assert.match(request.id, /^apr-[0-9a-f]{12}$/);
    assert.equal(request.status, 'pending');
    assert.equal(request.requestedBy, 'oidc:otto');
    assert.deepEqual(request.params, { snapshots: [snapshot], prune: true });
    assert.equal(request.expiresAt, new Date(s.clock.now().getTime() + 24 * HOUR).toISOString());

    const first = await s.access.grantApproval(request.id, {
      approver: carol,
      totpCode: await codeAt(secrets.carol, s.clock),
    });
    assert.equal(first.status, 'pending');
    const second = await s.access.grantApproval(request.id, {
      approver: dave,
      totpCode: await codeAt(secrets.dave, s.clock),
    });
    assert.equal(second.status, 'approved');
    assert.equal(second.statusAt, s.clock.now().toISOString());
    assert.deepEqual(
      second.votes.map((v) => v.approver),
      ['oidc:carol', 'oidc:dave'],
    );

    const [a, b] = await Promise.allSettled([s.access.startExecution(request.id), s.access.startExecution(request.id)]);
    assert.deepEqual([a.status, b.status].sort(), ['fulfilled', 'rejected']);
    const executed = await s.access.markExecuted(request.id, { deleted: 1 });
    assert.equal(executed.status, 'executed');
    assert.deepEqual(executed.result, { deleted: 1 });
    await refused(s.access.markExecuted(request.id, {}), 'CAIRN_E_USAGE', /is executed/);
  });

  it('refuses approval by the requester, even one who holds approvals.grant', async (t) => {
    const s = await scene(t);
    const both = person('bea', 'operator', 'approver');
    const secret = await enrolled(s, both);
    const request = await s.access.requestApproval(deletion({ requestedBy: both }));
    await refused(
      s.access.grantApproval(request.id, { approver: both, totpCode: await codeAt(secret, s.clock) }),
      'CAIRN_E_FORBIDDEN',
      /oidc:bea may not approve snapshot\.delete request .* nobody approves their own request/,
    );
    assert.deepEqual((await s.access.getApproval(request.id)).votes, []);
    // The code was not spent on the refused attempt.
    assert.equal(
      (await s.catalog.access.getMfaEnrolment(both.subject))?.lastStep,
      Math.floor(s.clock.now().getTime() / 30_000) - 1,
    );
  });

  it('counts tokens as the person who created them', async (t) => {
    const s = await scene(t);
    const mint = async (name: string, roles: ['operator'] | ['approver']) =>
      s.access.authenticate((await s.access.createToken({ name, roles, expiresInMs: HOUR, createdBy: admin })).token);
    const keyRemoval = await s.access.requestApproval({
      action: 'key.remove',
      target: 'k1',
      requestedBy: admin,
      required: 1,
    });
    const helper = await mint('helper', ['approver']);
    const secret = await enrolled(s, helper);
    await refused(
      s.access.grantApproval(keyRemoval.id, { approver: helper, totpCode: await codeAt(secret, s.clock) }),
      'CAIRN_E_FORBIDDEN',
      /token:helper .* counts as the person who created it/,
    );
    const pipeline = await mint('pipeline', ['operator']);
    const fromPipeline = await s.access.requestApproval(deletion({ requestedBy: pipeline }));
    await refused(
      s.access.grantApproval(fromPipeline.id, { approver: helper, totpCode: await codeAt(secret, s.clock) }),
      'CAIRN_E_FORBIDDEN',
      /counts as the person who created it/,
    );
    // The admin, elevated to approver, may not approve what their own pipeline token asked for.
    const elevatedAdmin = person('root', 'admin', 'approver');
    const rootSecret = await enrolled(s, elevatedAdmin);
    await refused(
      s.access.grantApproval(fromPipeline.id, { approver: elevatedAdmin, totpCode: await codeAt(rootSecret, s.clock) }),
      'CAIRN_E_FORBIDDEN',
      /oidc:root may not approve .* requested by token:pipeline/,
    );
    assert.deepEqual((await s.access.getApproval(fromPipeline.id)).votes, []);
  });

  it('refuses a reused TOTP code, on the same request or another, and an older one after a newer', async (t) => {
    const s = await scene(t);
    const secrets = await approvers(s);
    const one = await s.access.requestApproval(deletion());
    const two = await s.access.requestApproval(deletion({ target: 'cd'.repeat(32) }));
    const code = await codeAt(secrets.carol, s.clock);
    await s.access.grantApproval(one.id, { approver: carol, totpCode: code });
    const err = await refused(
      s.access.grantApproval(two.id, { approver: carol, totpCode: code }),
      'CAIRN_E_MFA',
      /has been used already: wait for the next code/,
    );
    assert.equal(err.details?.reason, 'reused');

    s.clock.advance(30_000);
    const previous = await codeAt(secrets.carol, s.clock, -1);
    assert.equal(previous, code);
    await refused(
      s.access.grantApproval(two.id, { approver: carol, totpCode: previous }),
      'CAIRN_E_MFA',
      /used already/,
    );
    assert.equal(
      (await s.access.grantApproval(two.id, { approver: carol, totpCode: await codeAt(secrets.carol, s.clock) })).votes
        .length,
      1,
    );
  });

  it('accepts a code one step early or late, not two', async (t) => {
    const s = await scene(t);
    const secrets = await approvers(s);
    const one = await s.access.requestApproval(deletion());
    const two = await s.access.requestApproval(deletion({ target: 'x' }));
    await refused(
      s.access.grantApproval(one.id, { approver: carol, totpCode: await codeAt(secrets.carol, s.clock, 2) }),
      'CAIRN_E_MFA',
      /not the current TOTP code/,
    );
    await s.access.grantApproval(one.id, { approver: carol, totpCode: await codeAt(secrets.carol, s.clock, 1) });
    s.clock.advance(30_000); // dave's confirmation used the step before this one
    await s.access.grantApproval(two.id, { approver: dave, totpCode: await codeAt(secrets.dave, s.clock, -1) });
  });

  it('refuses an approval after the request expired', async (t) => {
    const s = await scene(t);
    const secrets = await approvers(s);
    const request = await s.access.requestApproval(deletion({ expiresAt: new Date(s.clock.now().getTime() + HOUR) }));
    await s.access.grantApproval(request.id, { approver: carol, totpCode: await codeAt(secrets.carol, s.clock) });
    s.clock.advance(HOUR);
    const err = await refused(
      s.access.grantApproval(request.id, { approver: dave, totpCode: await codeAt(secrets.dave, s.clock) }),
      'CAIRN_E_EXPIRED',
      /expired at .* with 1 of 2 approvals: the requester must ask again/,
    );
    assert.equal(err.details?.id, request.id);
    assert.equal((await s.access.getApproval(request.id)).status, 'expired');
    await refused(s.access.startExecution(request.id), 'CAIRN_E_USAGE', /is expired/);
  });

  it('refuses approvers without approvals.grant, without MFA, with a wrong code, or voting twice', async (t) => {
    const s = await scene(t);
    const secret = await enrolled(s, carol);
    const request = await s.access.requestApproval(deletion());
    await refused(
      s.access.grantApproval(request.id, { approver: admin, totpCode: '123456' }),
      'CAIRN_E_FORBIDDEN',
      /needs the permission approvals\.grant/,
    );
    await refused(
      s.access.grantApproval(request.id, { approver: dave, totpCode: '123456' }),
      'CAIRN_E_MFA',
      /cairn mfa enroll/,
    );
    await refused(s.access.grantApproval(request.id, { approver: carol, totpCode: '12345' }), 'CAIRN_E_MFA', /6-digit/);
    assert.deepEqual((await s.access.getApproval(request.id)).votes, []);
    await s.access.grantApproval(request.id, { approver: carol, totpCode: await codeAt(secret, s.clock) });
    s.clock.advance(30_000);
    await refused(
      s.access.grantApproval(request.id, { approver: carol, totpCode: await codeAt(secret, s.clock) }),
      'CAIRN_E_EXISTS',
      /already approved/,
    );
    await refused(
      s.access.grantApproval('apr-000000000000', { approver: carol, totpCode: '123456' }),
      'CAIRN_E_NOT_FOUND',
    );
  });

  it('approves at once when concurrent approvals reach the count together', async (t) => {
    const s = await scene(t);
    const secrets = await approvers(s);
    const request = await s.access.requestApproval(deletion());
    await Promise.all([
      s.access.grantApproval(request.id, { approver: carol, totpCode: await codeAt(secrets.carol, s.clock) }),
      s.access.grantApproval(request.id, { approver: dave, totpCode: await codeAt(secrets.dave, s.clock) }),
    ]);
    const done = await s.access.getApproval(request.id);
    assert.equal(done.status, 'approved');
    assert.equal(done.votes.length, 2);
  });

  it('refuses requests for unknown actions, without the permission, or malformed', async (t) => {
    const s = await scene(t);
    await refused(
      s.access.requestApproval(deletion({ action: 'snapshot.create' as never })),
      'CAIRN_E_USAGE',
      /needs no approval/,
    );
    await refused(
      s.access.requestApproval(deletion({ action: 'key.remove' })),
      'CAIRN_E_FORBIDDEN',
      /oidc:otto may not request key\.remove: that needs the permission keys\.manage/,
    );
    await refused(s.access.requestApproval(deletion({ requestedBy: person('v', 'viewer') })), 'CAIRN_E_FORBIDDEN');
    await refused(s.access.requestApproval(deletion({ target: ' ' })), 'CAIRN_E_USAGE', /target/);
    await refused(s.access.requestApproval(deletion({ required: 0 })), 'CAIRN_E_USAGE', /at least 1 approver/);
    await refused(s.access.requestApproval(deletion({ params: { n: 1n } })), 'CAIRN_E_USAGE', /JSON/);
    await refused(s.access.requestApproval(deletion({ params: 'x'.repeat(70_000) })), 'CAIRN_E_USAGE', /64 KiB/);
    const now = s.clock.now().getTime();
    await refused(
      s.access.requestApproval(deletion({ expiresAt: new Date(now) })),
      'CAIRN_E_USAGE',
      /expire after now/,
    );
    await refused(
      s.access.requestApproval(deletion({ expiresAt: new Date(now + 25 * HOUR) })),
      'CAIRN_E_USAGE',
      /expireAfter/,
    );
    assert.deepEqual(await s.access.listApprovals(), []);
  });

  it('lets an approver deny and the requester cancel; a closed request takes no approvals', async (t) => {
    const s = await scene(t);
    const secrets = await approvers(s);
    const denied = await s.access.denyApproval(
      (await s.access.requestApproval(deletion())).id,
      carol,
      'not covered by PRIV-12',
    );
    assert.equal(denied.status, 'denied');
    assert.equal(denied.statusBy, 'oidc:carol');
    assert.equal(denied.statusNote, 'not covered by PRIV-12');
    await refused(
      s.access.grantApproval(denied.id, { approver: dave, totpCode: await codeAt(secrets.dave, s.clock) }),
      'CAIRN_E_USAGE',
      /is denied/,
    );
    const other = await s.access.requestApproval(deletion());
    await refused(s.access.denyApproval(other.id, otto), 'CAIRN_E_FORBIDDEN');
    await refused(s.access.cancelApproval(other.id, carol), 'CAIRN_E_FORBIDDEN', /only oidc:otto may cancel/);
    assert.equal((await s.access.cancelApproval(other.id, otto)).status, 'cancelled');
    await refused(s.access.cancelApproval(other.id, otto), 'CAIRN_E_USAGE', /cannot become cancelled/);
    assert.deepEqual(
      (await s.access.listApprovals({ status: ['denied'] })).map((r) => r.id),
      [denied.id],
    );
  });

  it('records a failed execution, and runs nothing that is not approved', async (t) => {
    const s = await scene(t);
    const secrets = await approvers(s);
    const request = await s.access.requestApproval(deletion({ required: 1 }));
    await refused(s.access.startExecution(request.id), 'CAIRN_E_USAGE', /is pending/);
    await refused(s.access.markExecuted(request.id, {}), 'CAIRN_E_USAGE', /is pending/);
    await s.access.grantApproval(request.id, { approver: carol, totpCode: await codeAt(secrets.carol, s.clock) });
    await s.access.startExecution(request.id);
    const failed = await s.access.markFailed(request.id, 'storage unreachable');
    assert.equal(failed.status, 'failed');
    assert.equal(failed.statusNote, 'storage unreachable');
    assert.deepEqual(failed.result, { error: 'storage unreachable' });
  });

  it('takes the approvals needed from the tiers involved, else from the policy default', () => {
    const policy = {
      access: testPolicy,
      tiers: { '0': { name: '0', keep: {}, deleteApprovals: 3 }, '1': { name: '1', keep: {} } },
    } as unknown as Pick<Policy, 'access' | 'tiers'>;
    assert.equal(requiredApprovals(policy), 2);
    assert.equal(requiredApprovals(policy, ['1']), 2);
    assert.equal(requiredApprovals(policy, ['0', '1']), 3);
    assert.equal(requiredApprovals(policy, [null, 'unknown']), 2);
    const lax = { ...policy, access: { ...testPolicy, approvals: { expireAfterMs: HOUR, defaultApprovers: 0 } } };
    assert.equal(requiredApprovals(lax), 1);
  });
});
