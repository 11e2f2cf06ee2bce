import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildServer } from './build-server.js';
import type { AuditEventInput } from './deps.js';
import { ROUTE_EXAMPLES } from './test-routes.js';
import { fakeDeps, matrixCan, ROLES, tokenFor } from './test-support.js';

/** A role that may use the route (the matrix is ours; see test-support.ts). */
function roleFor(permission: string): string {
  return ROLES.find((r) => permission === 'authenticated' || matrixCan([r], permission)) ?? 'admin';
}

describe('audit: fail closed', () => {
  it('refuses every audited route with 503 CAIRN_E_AUDIT when events cannot be written, acting on nothing', async () => {
    const deps = fakeDeps();
    const app = await buildServer(deps, { logger: false });
    await app.ready();
    deps.audit.failing = true;
    for (const r of app.cairnRoutes) {
      if (r.permission === 'health.read') continue;
      const ex = ROUTE_EXAMPLES[`${r.method} ${r.url}`]!;
      const calls = deps.backend.calls.length;
      const res = await app.inject({
        method: r.method as 'GET',
        url: ex.url,
        headers: { authorization: `Bearer ${tokenFor(roleFor(r.permission))}` },
        ...(ex.body ? { payload: ex.body as object } : {}),
      });
      assert.equal(res.statusCode, 503, `${r.method} ${r.url}: ${res.body}`);
      assert.equal(res.json().error.code, 'CAIRN_E_AUDIT');
      assert.deepEqual(Object.keys(res.json()), ['error'], 'no data is sent');
      if (r.method !== 'GET') {
        const ran = deps.backend.calls.slice(calls);
        assert.ok(
          ran.every((c) => !MUTATING.has(c)),
          `${r.method} ${r.url} ran ${ran.join(', ')} unaudited`,
        );
      }
    }
    await app.close();
  });

  it('writes `allowed` before a mutating action runs and `ok` after it', async () => {
    const deps = fakeDeps();
    const seen: Array<{ event: AuditEventInput; calls: string[] }> = [];
    deps.audit.record = async (event) => {
      seen.push({ event, calls: [...deps.backend.calls] });
    };
    const app = await buildServer(deps, { logger: false });
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/snapshots',
      headers: { authorization: `Bearer ${tokenFor('operator')}`, 'x-cairn-change': 'CHG-1' },
      payload: { items: ['payments-api-prod'], change: 'CHG-1042' },
    });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(
      seen.map((s) => [s.event.result, s.calls]),
      [
        ['allowed', []],
        ['ok', ['createSnapshots']],
      ],
    );
    const ok = seen[1]!.event;
    assert.equal(ok.action, 'snapshots.create');
    assert.equal(ok.identity, 'operator-user');
    assert.equal(ok.target, 'payments-api-prod');
    assert.equal(ok.changeId, 'CHG-1042', "the body's change id wins over the header");
    assert.equal(ok.ip, '127.0.0.1');
    await app.close();
  });

  it('refuses a read whose event fails after the answer was computed: 503, and the data is not sent', async () => {
    const deps = fakeDeps();
    deps.audit.record = async () => {
      throw new Error('disk full');
    };
    const app = await buildServer(deps, { logger: false });
    const res = await app.inject({
      method: 'GET',
      url: '/api/v1/snapshots',
      headers: { authorization: `Bearer ${tokenFor('viewer')}` },
    });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error.code, 'CAIRN_E_AUDIT');
    assert.deepEqual(deps.backend.calls, ['searchSnapshots']);
    assert.doesNotMatch(res.body, /payments-api-prod/);
    await app.close();
  });

  it('answers 503 when an action ran but its outcome could not be recorded (the allowed event stands)', async () => {
    const deps = fakeDeps();
    let n = 0;
    const written: string[] = [];
    deps.audit.record = async (e) => {
      if (++n > 1) throw new Error('gone');
      written.push(e.result);
    };
    const app = await buildServer(deps, { logger: false });
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: { authorization: `Bearer ${tokenFor('admin')}` },
      payload: { name: 'ci', roles: ['viewer'] },
    });
    assert.equal(res.statusCode, 503);
    assert.deepEqual(written, ['allowed']);
    assert.deepEqual(deps.backend.calls, ['createToken']);
    assert.doesNotMatch(res.body, /SUPERSECRET/);
    await app.close();
  });

  it('turns an authentication failure or a denial it cannot record into 503', async () => {
    const deps = fakeDeps();
    deps.audit.failing = true;
    const app = await buildServer(deps, { logger: false });
    const unauth = await app.inject({ method: 'GET', url: '/api/v1/items', headers: { authorization: 'Bearer nope' } });
    assert.equal(unauth.statusCode, 503);
    const denied = await app.inject({
      method: 'POST',
      url: '/api/v1/prune',
      headers: { authorization: `Bearer ${tokenFor('viewer')}` },
    });
    assert.equal(denied.statusCode, 503);
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'probes are not audited');
    await app.close();
  });
});

const MUTATING = new Set([
  'createSnapshots',
  'restore',
  'check',
  'forgetByPolicy',
  'prune',
  'addKey',
  'requestApproval',
  'createToken',
  'revokeToken',
  'requestAccess',
  'approveAccess',
  'denyAccess',
  'grantApproval',
  'denyApproval',
  'enrollMfa',
  'confirmMfa',
  'verifyAudit',
]);
