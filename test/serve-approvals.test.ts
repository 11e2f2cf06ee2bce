/**
 * Multi-person approval and just-in-time elevation through `cairn serve`, end to end: forgetting a
 * named snapshot answers 202 and runs only after two approvers other than the requester (nor anyone
 * whose token shares the requester's creator) grant it, each with a fresh TOTP code computed here as
 * an authenticator would; a reused code is refused. A key removal goes the same way; shortening a
 * retention (not built) is refused when asked. A role granted for seconds works, then ends by itself.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Fixture, fixture, SMALL_POLICY } from './helpers.js';
import { apiToken, client, enrolMfa, localToken, type ServeProcess, startServe, totp } from './serve-support.js';

const POLICY = SMALL_POLICY.replace(
  '    keep: { last: 2 }\n',
  '    keep: { last: 2 }\n    deleteApprovals: 2\n',
).replace(
  'items:\n',
  'access:\n  jit: { maxDuration: 1h, approvers: 1 }\n  approvals: { approvers: 2, expireAfter: 1h }\nitems:\n',
);

interface ApprovalView {
  id: string;
  action: string;
  target: string;
  status: string;
  required: number;
  votes: Array<{ approver: string }>;
  result: { removed?: number } | null;
}
interface AuditEvent {
  identity: string;
  action: string;
  result: string;
  approvalId: string | null;
}
type ErrorBody = { error: { code: string; message: string } };

describe('cairn serve: approvals with TOTP and just-in-time roles', () => {
  let f: Fixture;
  let server: ServeProcess;
  const t: Record<string, string> = {};
  const as = (who: string) => client(server.url, t[who]);
  const mfa: Record<string, { secret: string; used: string }> = {};
  let prodId = '';

  before(async () => {
    f = fixture({ policy: POLICY });
    f.write('restores/.keep', '');
    t['admin-a'] = localToken(f, 'admin-a', ['admin']);
    t['admin-b'] = localToken(f, 'admin-b', ['admin']);
    server = await startServe(f, ['--restore-root', join(f.dir, 'restores')]);
    // Who made a token is who it acts for: lead and buddy count as one person (admin-a's).
    t.lead = await apiToken(server.url, t['admin-a'], 'lead', ['operator', 'approver']);
    t.buddy = await apiToken(server.url, t['admin-a'], 'buddy', ['approver']);
    for (const name of ['approver1', 'approver2', 'approver3', 'approver4']) {
      t[name] = await apiToken(server.url, t['admin-b'], name, ['approver']);
    }
    t.viewer = await apiToken(server.url, t['admin-b'], 'viewer', ['viewer']);
    for (const who of ['lead', 'buddy', 'approver1', 'approver2']) mfa[who] = await enrolMfa(server.url, t[who]!);
    const created = await as('lead').ok<{ snapshots: Array<{ item: string; id: string }> }>(
      as('lead').post('/api/v1/snapshots', { release: '1.0.0' }),
    );
    prodId = created.snapshots.find((s) => s.item === 'app-prod')!.id;
  });
  after(async () => {
    await server?.stop();
  });

  it('forgetting a named snapshot becomes a request; a dry run answers at once', async () => {
    const lead = as('lead');
    const preview = await lead.ok<{ dryRun: boolean; removed: number }>(
      lead.post('/api/v1/forget', { ids: [prodId], dryRun: true }),
    );
    assert.deepEqual([preview.dryRun, preview.removed], [true, 1]);
    const { approval } = await lead.ok<{ approval: ApprovalView }>(
      lead.post('/api/v1/forget', { ids: [prodId.slice(0, 12)], reason: 'taken from the wrong branch' }),
      202,
    );
    assert.deepEqual(
      [approval.action, approval.target, approval.status, approval.required],
      ['snapshot.forget', prodId, 'pending', 2],
    );
    const grant = (who: string, code: string) => as(who).post(`/api/v1/approvals/${approval.id}/grant`, { totp: code });

    const self = await grant('lead', await totp(mfa.lead!.secret, 1));
    assert.equal(self.status, 403);
    assert.match((self.body as ErrorBody).error.message, /nobody approves their own request/);
    const sameCreator = await grant('buddy', await totp(mfa.buddy!.secret, 1));
    assert.equal(sameCreator.status, 403);
    assert.match((sameCreator.body as ErrorBody).error.message, /a token counts as the person who created it/);

    const first = await as('approver1').ok<ApprovalView>(grant('approver1', await totp(mfa.approver1!.secret, 1)));
    assert.deepEqual([first.status, first.votes.map((v) => v.approver)], ['pending', ['token:approver1']]);
    const reused = await grant('approver2', mfa.approver2!.used);
    assert.equal(reused.status, 403);
    assert.equal((reused.body as ErrorBody).error.code, 'CAIRN_E_MFA');
    assert.match((reused.body as ErrorBody).error.message, /used already/);
    const done = await as('approver2').ok<ApprovalView>(grant('approver2', await totp(mfa.approver2!.secret, 1)));
    assert.equal(done.status, 'executed');
    assert.equal(done.result?.removed, 1);

    const left = await lead.ok<{ snapshots: Array<{ id: string }> }>(lead.get('/api/v1/snapshots?item=app-prod'));
    assert.deepEqual(left.snapshots, []);
    const audit = await as('admin-a').ok<{ events: AuditEvent[] }>(as('admin-a').get('/api/v1/audit/events'));
    const trail = audit.events
      .filter((e) => e.approvalId === approval.id)
      .map((e) => `${e.identity} ${e.action} ${e.result}`);
    assert.deepEqual(trail, [
      'token:lead forget requested',
      ...['lead', 'buddy'].flatMap((who) => [
        `token:${who} approvals.grant allowed`,
        `token:${who} approvals.grant denied`,
      ]),
      'token:approver1 approvals.grant allowed',
      'token:approver1 approvals.grant ok',
      'token:approver2 approvals.grant allowed',
      'token:approver2 approvals.grant denied',
      'token:approver2 approvals.grant allowed',
      'token:approver2 snapshot.forget allowed',
      'token:approver2 snapshot.forget ok',
      'token:approver2 approvals.grant ok',
    ]);
  });

  it('deleting a snapshot is a request too, which its requester may cancel', async () => {
    const lead = as('lead');
    const dev = await lead.ok<{ snapshots: Array<{ id: string }> }>(lead.get('/api/v1/snapshots?item=app-dev'));
    const devId = dev.snapshots[0]!.id;
    const { approval } = await lead.ok<{ approval: ApprovalView }>(lead.del(`/api/v1/snapshots/${devId}`), 202);
    assert.deepEqual([approval.action, approval.target, approval.required], ['snapshot.delete', devId, 2]);
    const notYours = await as('approver1').post(`/api/v1/approvals/${approval.id}/cancel`);
    assert.equal(notYours.status, 403);
    const cancelled = await lead.ok<ApprovalView>(lead.post(`/api/v1/approvals/${approval.id}/cancel`));
    assert.equal(cancelled.status, 'cancelled');
    const late = await as('approver1').post(`/api/v1/approvals/${approval.id}/grant`, { totp: '123456' });
    assert.equal(late.status, 400, late.text);
    const unknown = await lead.post('/api/v1/forget', { ids: ['ffffffffffff'] });
    assert.equal(unknown.status, 404, 'an unknown snapshot is refused before anyone is asked');
  });

  it('removing a key needs approvals too, and a code already used is refused on another request', async () => {
    const admin = as('admin-a');
    const key = await admin.ok<{ id: string }>(admin.post('/api/v1/keys', { password: 'a spare passphrase' }), 201);
    const { keys } = await admin.ok<{ keys: Array<{ id: string; current: boolean }> }>(admin.get('/api/v1/keys'));
    const inUse = await admin.del(`/api/v1/keys/${keys.find((k) => k.current)!.id}`);
    assert.equal(inUse.status, 409, inUse.text);
    const { approval } = await admin.ok<{ approval: ApprovalView }>(admin.del(`/api/v1/keys/${key.id}`), 202);
    const again = await as('approver1').post(`/api/v1/approvals/${approval.id}/grant`, {
      totp: await totp(mfa.approver1!.secret, 1),
    });
    assert.equal(again.status, 403, 'approver1 used that code on the forget request');
    assert.match((again.body as ErrorBody).error.message, /used already/);
    let last: ApprovalView | undefined;
    for (const who of ['approver3', 'approver4']) {
      const { secret } = await enrolMfa(server.url, t[who]!);
      last = await as(who).ok<ApprovalView>(
        as(who).post(`/api/v1/approvals/${approval.id}/grant`, { totp: await totp(secret, 1) }),
      );
    }
    assert.equal(last?.status, 'executed');
    const after = await admin.ok<{ keys: Array<{ id: string }> }>(admin.get('/api/v1/keys'));
    assert.ok(!after.keys.some((k) => k.id === key.id));
  });

  it('refuses at request time what cannot run (shortening a retention), so nobody approves it', async () => {
    const admin = as('admin-a');
    const before = (await admin.ok<{ approvals: unknown[] }>(admin.get('/api/v1/approvals'))).approvals.length;
    const devId = (await admin.ok<{ snapshots: Array<{ id: string }> }>(admin.get('/api/v1/snapshots?item=app-dev')))
      .snapshots[0]!.id;
    const reply = await admin.post(`/api/v1/snapshots/${devId}/retention`, { retainUntil: '2026-01-01T00:00:00Z' });
    assert.equal(reply.status, 501, reply.text);
    assert.equal((reply.body as ErrorBody).error.code, 'CAIRN_E_NOT_IMPLEMENTED');
    assert.match((reply.body as ErrorBody).error.message, /not built/);
    assert.equal((await admin.ok<{ approvals: unknown[] }>(admin.get('/api/v1/approvals'))).approvals.length, before);
  });

  it('grants a role just in time, approved by someone else, and takes it back when it ends', async () => {
    const viewer = as('viewer');
    const restore = () =>
      viewer.post('/api/v1/restore', { release: '1.0.0', item: 'app-dev', target: join(f.dir, 'restores', 'jit') });
    assert.equal((await restore()).status, 403);
    const asked = await viewer.ok<{ id: string; status: string }>(
      viewer.post('/api/v1/access/requests', { role: 'restorer', for: '4s', reason: 'INC-7: restore app-dev' }),
      201,
    );
    assert.equal(asked.status, 'pending');
    const granted = await as('buddy').ok<{ status: string; activeUntil: string }>(
      as('buddy').post(`/api/v1/access/requests/${asked.id}/approve`, {}),
    );
    assert.equal(granted.status, 'active');
    const restored = await restore();
    assert.equal(restored.status, 200, restored.text);
    const events = await as('admin-a').ok<{ events: Array<{ roles: string[]; details: { grants?: string[] } }> }>(
      as('admin-a').get('/api/v1/audit/events?action=restore.run&identity=token:viewer&result=ok'),
    );
    assert.deepEqual(events.events.at(-1)?.roles, ['viewer', 'restorer']);
    assert.deepEqual(events.events.at(-1)?.details.grants, [asked.id]);
    await sleep(Math.max(0, Date.parse(granted.activeUntil) - Date.now()) + 200);
    assert.equal((await restore()).status, 403);
    const expired = await viewer.ok<{ requests: Array<{ id: string }> }>(
      viewer.get('/api/v1/access/requests?status=expired'),
    );
    assert.deepEqual(
      expired.requests.map((r) => r.id),
      [asked.id],
    );
  });

  it('writes no token or TOTP secret to its log', () => {
    // TOTP codes are six digits, as are parts of every timestamp: the secrets they come from are searched for.
    const log = server.log();
    for (const [who, token] of Object.entries(t))
      assert.ok(!log.includes(token.slice(23)), `${who}'s token in the log`);
    for (const [who, { secret }] of Object.entries(mfa))
      assert.ok(!log.includes(secret), `${who}'s TOTP secret in the log`);
  });
});
