import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './build-server.js';
import { PERMISSIONS, SIGNED_WEBHOOK } from './permissions.js';
import { ROUTE_EXAMPLES } from './test-routes.js';
import { fakeDeps, MATRIX, matrixCan, ROLES, tokenFor } from './test-support.js';

/**
 * Every route the app registered, called with no identity and with an identity holding each single
 * role: allowed or denied exactly as the permissions matrix says, denials audited.
 */
describe('route × role matrix', () => {
  const deps = fakeDeps();
  let app: FastifyInstance;
  before(async () => {
    app = await buildServer(deps, { logger: false });
    await app.ready();
  });
  after(() => app.close());

  it('has an example request for every registered route, and every permission is held by some role', () => {
    assert.ok(app.cairnRoutes.length >= 30, `only ${app.cairnRoutes.length} routes`);
    for (const r of app.cairnRoutes) {
      assert.ok(
        ROUTE_EXAMPLES[`${r.method} ${r.url}`],
        `route ${r.method} ${r.url} is missing from the test's examples`,
      );
      if (r.permission === 'health.read' || r.permission === 'authenticated' || r.permission === SIGNED_WEBHOOK)
        continue;
      assert.ok(
        ROLES.some((role) => matrixCan([role], r.permission)),
        `no role holds ${r.permission} (${r.url})`,
      );
    }
    assert.equal(Object.keys(ROUTE_EXAMPLES).length, app.cairnRoutes.length, 'examples for routes that do not exist');
  });

  it('is the route table of docs/API.md, with the same permissions', () => {
    const doc = readFileSync(new URL('../../docs/API.md', import.meta.url), 'utf8');
    const documented = doc
      .split('\n')
      .map((line) => /^\| (GET|POST|PUT|DELETE) \| `([^`]+)` \| `([^`]+)`/.exec(line))
      .filter((m) => m !== null)
      .map((m) => `${m[1]} ${m[2]} ${m[3]}`)
      .sort();
    const registered = app.cairnRoutes.map((r) => `${r.method} ${r.url} ${r.permission}`).sort();
    assert.deepEqual(documented, registered);
  });

  it('refuses every route but the probes without a token (401, audited as auth.fail)', async () => {
    for (const r of app.cairnRoutes) {
      const ex = ROUTE_EXAMPLES[`${r.method} ${r.url}`]!;
      const before = deps.audit.events.length;
      const res = await app.inject({
        method: r.method as 'GET',
        url: ex.url,
        ...(ex.body ? { payload: ex.body as object } : {}),
      });
      if (r.permission === 'health.read') {
        assert.equal(res.statusCode, 200, `${r.url} is a probe`);
        continue;
      }
      if (r.permission === SIGNED_WEBHOOK) {
        // No bearer token is asked for: refused for want of a signature, audited as a webhook delivery.
        assert.equal(res.statusCode, 401, `${r.url} unsigned`);
        assert.equal(res.json().error.code, 'CAIRN_E_WEBHOOK');
        assert.equal(deps.audit.events.slice(before).at(-1)?.action, `webhook.${r.url.split('/').at(-1)}`);
        continue;
      }
      assert.equal(res.statusCode, 401, `${r.method} ${r.url} without identity`);
      assert.equal(res.json().error.code, 'CAIRN_E_UNAUTHENTICATED');
      const events = deps.audit.events.slice(before);
      assert.equal(events.length, 1);
      assert.equal(events[0]!.action, 'auth.fail');
      assert.equal(events[0]!.result, 'denied');
      assert.deepEqual(events[0]!.details.reason, 'missing');
    }
  });

  for (const role of ROLES) {
    it(`gives role ${role} exactly the routes the matrix allows`, async () => {
      for (const r of app.cairnRoutes) {
        const ex = ROUTE_EXAMPLES[`${r.method} ${r.url}`]!;
        if (r.permission === SIGNED_WEBHOOK) continue; // a bearer token plays no part
        const allowed =
          r.permission === 'health.read' || r.permission === 'authenticated' || matrixCan([role], r.permission);
        const calls = deps.backend.calls.length;
        const events = deps.audit.events.length;
        const res = await app.inject({
          method: r.method as 'GET',
          url: ex.url,
          headers: { authorization: `Bearer ${tokenFor(role)}`, 'user-agent': 'matrix-test' },
          ...(ex.body ? { payload: ex.body as object } : {}),
        });
        const what = `${role} ${r.method} ${r.url} (${r.permission})`;
        if (!allowed) {
          assert.equal(res.statusCode, 403, `${what} should be denied: ${res.body}`);
          assert.equal(res.json().error.code, 'CAIRN_E_FORBIDDEN');
          assert.equal(deps.backend.calls.length, calls, `${what}: the backend was called`);
          const denied = deps.audit.events.slice(events);
          assert.equal(denied.length, 1, what);
          assert.equal(denied[0]!.result, 'denied', what);
          assert.equal(denied[0]!.identity, `${role}-user`);
          assert.deepEqual(denied[0]!.roles, [role]);
          assert.equal(denied[0]!.userAgent, 'matrix-test');
          continue;
        }
        assert.equal(res.statusCode, ex.status, `${what} should be allowed: ${res.body}`);
        if (r.permission !== 'health.read') {
          const results = deps.audit.events.slice(events).map((e) => e.result);
          assert.ok(['ok', 'requested'].includes(results.at(-1)!), `${what}: audited ${results.join(',')}`);
        }
        const answer = JSON.parse(JSON.stringify(deps.backend.results.at(-1) ?? null));
        if (ex.shape === 'same') assert.deepEqual(res.json(), answer, `${what}: the answer is not the backend's`);
        if (ex.shape === 'approval') assert.deepEqual(res.json(), { approval: answer }, what);
        if (ex.shape === 'ready') assert.deepEqual(res.json(), { status: 'ready', checks: answer }, what);
      }
    });
  }

  it('refuses an identity with no role everything but the probes and the API document', async () => {
    for (const r of app.cairnRoutes) {
      const ex = ROUTE_EXAMPLES[`${r.method} ${r.url}`]!;
      const res = await app.inject({
        method: r.method as 'GET',
        url: ex.url,
        headers: { authorization: `Bearer ${tokenFor('none')}` },
        ...(ex.body ? { payload: ex.body as object } : {}),
      });
      if (r.permission === SIGNED_WEBHOOK) continue;
      const expected = r.permission === 'health.read' || r.permission === 'authenticated' ? 200 : 403;
      assert.equal(res.statusCode, expected, `${r.method} ${r.url}`);
    }
  });
});

const ACCESS_DOC = new URL('../../docs/ACCESS.md', import.meta.url);

/** The permissions table of docs/ACCESS.md (generated from src/auth's matrix): permission → roles. */
function documentedMatrix(): Map<string, string[]> {
  const text = readFileSync(ACCESS_DOC, 'utf8');
  const table = text.slice(text.indexOf('<!-- permissions-table:start'), text.indexOf('<!-- permissions-table:end'));
  const rows = table.split('\n').filter((l) => /^\| `/.test(l));
  const header = table.split('\n').find((l) => l.startsWith('| Permission'))!;
  const columns = header
    .split('|')
    .map((c) => c.trim())
    .slice(3, -1);
  const matrix = new Map<string, string[]>();
  for (const row of rows) {
    const cells = row.split('|').map((c) => c.trim());
    const marks = cells.slice(3, -1);
    matrix.set(
      cells[1]!.replaceAll('`', ''),
      columns.filter((_, i) => marks[i] === '✓'),
    );
  }
  return matrix;
}

describe('the permissions matrix of these tests', () => {
  it('is the documented one (docs/ACCESS.md), and every permission a route uses is documented', () => {
    assert.ok(existsSync(ACCESS_DOC), 'docs/ACCESS.md is missing');
    const documented = documentedMatrix();
    for (const permission of PERMISSIONS) {
      const roles = documented.get(permission);
      assert.ok(roles, `${permission} is not in docs/ACCESS.md`);
      const ours = ROLES.filter((r) => MATRIX[r]!.includes(permission) || permission === 'health.read');
      assert.deepEqual(
        ours,
        roles.filter((r) => r !== 'anonymous'),
        permission,
      );
      assert.equal(roles.includes('anonymous'), permission === 'health.read', `${permission}: anonymous`);
    }
  });
});
