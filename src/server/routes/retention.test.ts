import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildServer } from '../build-server.js';
import { SNAP_ID } from '../test-fixtures.js';
import { fakeDeps, fakeGuard, matrixCan, tokenFor } from '../test-support.js';

const as = (role: string) => ({ authorization: `Bearer ${tokenFor(role)}` });

describe('destructive actions', () => {
  it('turns forgetting named snapshots into an approval request (202), performing nothing', async () => {
    const deps = fakeDeps();
    const app = await buildServer(deps, { logger: false });
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/forget',
      headers: as('operator'),
      payload: { ids: [SNAP_ID], reason: 'wrong environment captured' },
    });
    assert.equal(res.statusCode, 202);
    const { approval } = res.json();
    assert.equal(approval.status, 'pending');
    assert.equal(approval.required, 2);
    assert.deepEqual(deps.backend.calls, ['requestApproval']);
    assert.deepEqual(
      deps.audit.events.map((e) => [e.action, e.result, e.approvalId, e.target]),
      [
        ['forget', 'allowed', null, SNAP_ID],
        ['forget', 'requested', 'apr-1', SNAP_ID],
      ],
    );
    await app.close();
  });

  it('previews a forget of named snapshots on a dry run, and refuses ambiguous requests', async () => {
    const deps = fakeDeps();
    const app = await buildServer(deps, { logger: false });
    const post = (payload: object) =>
      app.inject({ method: 'POST', url: '/api/v1/forget', headers: as('operator'), payload });
    const preview = await post({ ids: [SNAP_ID], dryRun: true });
    assert.equal(preview.statusCode, 200);
    assert.equal(preview.json().dryRun, true);
    assert.equal((await post({ ids: [SNAP_ID], applyPolicy: true })).statusCode, 400);
    assert.equal((await post({})).statusCode, 400);
    assert.deepEqual(deps.backend.calls, ['previewForget']);
    await app.close();
  });

  it('needs prune.run as well to forget with prune', async () => {
    const base = fakeDeps();
    const deps = {
      ...base,
      guard: { ...fakeGuard(), can: (r: readonly string[], p: string) => p !== 'prune.run' && matrixCan(r, p) },
    };
    const app = await buildServer(deps, { logger: false });
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/forget',
      headers: as('operator'),
      payload: { applyPolicy: true, prune: true },
    });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.details.permission, 'prune.run');
    assert.deepEqual(base.backend.calls, []);
    assert.equal(base.audit.events.at(-1)?.result, 'denied');
    await app.close();
  });

  it('requests key removal (202) and records the approval id on grants', async () => {
    const deps = fakeDeps();
    const app = await buildServer(deps, { logger: false });
    const removal = await app.inject({ method: 'DELETE', url: '/api/v1/keys/k1', headers: as('admin') });
    assert.equal(removal.statusCode, 202);
    assert.equal(deps.audit.events.at(-1)?.target, 'k1');
    const grant = await app.inject({
      method: 'POST',
      url: '/api/v1/approvals/apr-1/grant',
      headers: as('approver'),
      payload: { totp: '123456' },
    });
    assert.equal(grant.statusCode, 200);
    assert.equal(grant.json().status, 'executed');
    const [allowed, ok] = deps.audit.events.slice(-2);
    assert.deepEqual([allowed?.result, allowed?.approvalId], ['allowed', 'apr-1']);
    assert.deepEqual(
      [ok?.result, ok?.approvalId, ok?.target, ok?.details.status],
      ['ok', 'apr-1', SNAP_ID, 'executed'],
    );
    await app.close();
  });
});
