import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CairnError } from '../errors/index.js';
import { buildServer } from './build-server.js';
import { fakeDeps, tokenFor } from './test-support.js';

const auth = (role: string) => ({ authorization: `Bearer ${tokenFor(role)}` });

describe('hardening', () => {
  it('answers malformed JSON with 400 CAIRN_E_USAGE', async () => {
    const app = await buildServer(fakeDeps(), { logger: false });
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/snapshots',
      headers: { ...auth('operator'), 'content-type': 'application/json' },
      payload: '{"items": [',
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'CAIRN_E_USAGE');
    assert.match(res.json().error.message, /not valid JSON/);
    await app.close();
  });

  it('answers a body over the limit with 413 CAIRN_E_TOO_LARGE, without calling the backend', async () => {
    const deps = fakeDeps();
    const app = await buildServer(deps, { logger: false, bodyLimit: 1024 });
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/snapshots',
      headers: auth('operator'),
      payload: { items: Array.from({ length: 200 }, (_, i) => `item-${i}`) },
    });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().error.code, 'CAIRN_E_TOO_LARGE');
    assert.match(res.json().error.message, /1024 bytes/);
    assert.deepEqual(deps.backend.calls, []);
    assert.equal(deps.audit.events.at(-1)?.result, 'failed');
    await app.close();
  });

  it('names the field of an unknown, missing or mistyped input (400)', async () => {
    const deps = fakeDeps();
    const app = await buildServer(deps, { logger: false });
    const cases = [
      { method: 'POST', url: '/api/v1/snapshots', payload: { item: ['x'] }, field: 'body.item', text: /unknown field/ },
      { method: 'POST', url: '/api/v1/approvals/apr-1/grant', payload: {}, field: 'body.totp', text: /required/ },
      {
        method: 'POST',
        url: '/api/v1/approvals/apr-1/grant',
        payload: { totp: 'abc' },
        field: 'body.totp',
        text: /pattern/,
      },
      { method: 'GET', url: '/api/v1/snapshots?limit=many', field: 'querystring.limit', text: /integer/ },
      { method: 'GET', url: '/api/v1/snapshots?colour=red', field: 'querystring.colour', text: /unknown field/ },
      { method: 'GET', url: '/api/v1/snapshots?since=yesterday', field: 'querystring.since', text: /pattern/ },
      { method: 'GET', url: '/api/v1/snapshots/not-hex', field: 'params.id', text: /pattern/ },
      {
        method: 'POST',
        url: '/api/v1/tokens',
        payload: { name: 'ci', roles: ['root'] },
        field: 'body.roles[0]',
        text: /allowed values/,
      },
    ] as const;
    for (const c of cases) {
      const role = c.url.includes('approvals') ? 'approver' : c.url.includes('tokens') ? 'admin' : 'operator';
      const res = await app.inject({
        method: c.method,
        url: c.url,
        headers: auth(role),
        ...('payload' in c ? { payload: c.payload } : {}),
      });
      assert.equal(res.statusCode, 400, `${c.url}: ${res.body}`);
      const { error } = res.json();
      assert.equal(error.code, 'CAIRN_E_USAGE');
      assert.equal(error.details.field, c.field, c.url);
      assert.match(error.message, c.text, c.url);
    }
    assert.deepEqual(deps.backend.calls, []);
    await app.close();
  });

  it('sends security headers and a request id on answers and errors alike', async () => {
    const app = await buildServer(fakeDeps(), { logger: false });
    for (const [url, headers] of [
      ['/healthz', {}],
      ['/api/v1/items', auth('viewer')],
      ['/api/v1/items', {}],
      ['/nowhere', {}],
    ] as const) {
      const res = await app.inject({ method: 'GET', url, headers });
      assert.equal(res.headers['content-security-policy'], "default-src 'none';frame-ancestors 'none'", url);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
      assert.equal(res.headers['x-frame-options'], 'DENY', url);
      assert.match(String(res.headers['strict-transport-security']), /max-age=\d+/, url);
      assert.equal(res.headers['referrer-policy'], 'no-referrer', url);
      assert.equal(res.headers['cache-control'], 'no-store', url);
      assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/, url);
      assert.equal(res.headers['x-powered-by'], undefined, url);
    }
    const missing = await app.inject({ method: 'GET', url: '/nowhere' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'CAIRN_E_NOT_FOUND');
    await app.close();
  });

  it('refuses an address with 10 authentication failures in a minute (429), and only that address', async () => {
    const deps = fakeDeps();
    const app = await buildServer(deps, { logger: false });
    const call = (token: string, remoteAddress = '10.0.0.1', url = '/api/v1/items') =>
      app.inject({ method: 'GET', url, remoteAddress, headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 30; i++)
      assert.equal((await call(tokenFor('viewer'))).statusCode, 200, 'successes are not counted');
    for (let i = 0; i < 10; i++) assert.equal((await call(`guess-${i}`)).statusCode, 401);
    const limited = await call('guess-11');
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.json().error.code, 'CAIRN_E_RATE_LIMITED');
    assert.ok(Number(limited.headers['retry-after']) > 0);
    assert.equal((await call(tokenFor('viewer'))).statusCode, 429, 'a valid token from that address waits too');
    assert.equal((await call(tokenFor('viewer'), '10.0.0.2')).statusCode, 200, 'another address is not affected');
    assert.equal((await call('x', '10.0.0.1', '/healthz')).statusCode, 200, 'probes are not refused');
    const fails = deps.audit.events.filter((e) => e.action === 'auth.fail');
    assert.equal(fails.length, 10);
    assert.equal(fails[0]!.details.reason, 'unknown');
    assert.equal(fails[0]!.ip, '10.0.0.1');
    await app.close();
  });

  it('audits a credential the guard refuses for another reason, without counting it as a failure', async () => {
    const deps = fakeDeps();
    let error = new CairnError('CAIRN_E_FORBIDDEN', 'the token gives no role: claim roles is []');
    const app = await buildServer(
      {
        ...deps,
        guard: {
          ...deps.guard,
          authenticate: async () => {
            throw error;
          },
        },
      },
      { logger: false, authFailures: { max: 2, windowMs: 60_000 } },
    );
    const call = () => app.inject({ method: 'GET', url: '/api/v1/items', headers: { authorization: 'Bearer jwt' } });
    for (let i = 0; i < 3; i++) assert.equal((await call()).statusCode, 403);
    assert.deepEqual(
      deps.audit.events.map((e) => [e.action, e.result, e.identity, e.details.reason]),
      Array(3).fill(['auth.fail', 'denied', 'anonymous', 'CAIRN_E_FORBIDDEN']),
    );
    error = new CairnError('CAIRN_E_SERVER', 'the identity provider key set cannot be fetched');
    const res = await call();
    assert.equal(res.statusCode, 502);
    assert.equal(deps.audit.events.at(-1)?.result, 'failed');
    await app.close();
  });

  it('counts a malformed Authorization header as a failure', async () => {
    const deps = fakeDeps();
    const app = await buildServer(deps, { logger: false, authFailures: { max: 2, windowMs: 60_000 } });
    const call = () =>
      app.inject({ method: 'GET', url: '/api/v1/items', headers: { authorization: 'Basic dXNlcjpwdw==' } });
    assert.equal((await call()).statusCode, 401);
    assert.equal((await call()).statusCode, 401);
    assert.equal((await call()).statusCode, 429);
    assert.equal(deps.audit.events[0]!.details.reason, 'malformed');
    await app.close();
  });

  it('limits all requests per address when asked to (@fastify/rate-limit)', async () => {
    const app = await buildServer(fakeDeps(), { logger: false, requestRateLimit: { max: 3, windowMs: 60_000 } });
    const codes = [];
    for (let i = 0; i < 5; i++)
      codes.push((await app.inject({ method: 'GET', url: '/api/v1/items', headers: auth('viewer') })).statusCode);
    assert.deepEqual(codes, [200, 200, 200, 429, 429]);
    const res = await app.inject({ method: 'GET', url: '/api/v1/items', headers: auth('viewer') });
    assert.equal(res.json().error.code, 'CAIRN_E_RATE_LIMITED');
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    await app.close();
  });

  it('answers an unexpected error with a generic 500 (the stack goes to the log only)', async () => {
    const deps = fakeDeps();
    deps.backend.listItems = async () => {
      throw new TypeError('cannot read properties of undefined (reading /srv/secret/path)');
    };
    const app = await buildServer(deps, { logger: false });
    const res = await app.inject({ method: 'GET', url: '/api/v1/items', headers: auth('viewer') });
    assert.equal(res.statusCode, 500);
    assert.doesNotMatch(res.body, /TypeError|secret|at .*\.ts/);
    assert.match(res.json().error.message, /internal error/);
    assert.equal(deps.audit.events.at(-1)?.result, 'failed');
    await app.close();
  });

  it("answers a backend CairnError with its code's status, audited as failed", async () => {
    const deps = fakeDeps();
    deps.backend.showSnapshot = async () => {
      throw new CairnError('CAIRN_E_NOT_FOUND', 'no snapshot abcd');
    };
    const app = await buildServer(deps, { logger: false });
    const res = await app.inject({ method: 'GET', url: '/api/v1/snapshots/abcd', headers: auth('viewer') });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { error: { code: 'CAIRN_E_NOT_FOUND', message: 'no snapshot abcd' } });
    const last = deps.audit.events.at(-1)!;
    assert.equal(last.result, 'failed');
    assert.equal(last.target, 'abcd');
    assert.equal(last.details.code, 'CAIRN_E_NOT_FOUND');
    await app.close();
  });

  it('will not register a route without a permission', async () => {
    const app = await buildServer(fakeDeps(), { logger: false });
    assert.throws(() => app.get('/api/v1/forgotten', async () => 'x'), /declares no valid config.permission/);
    assert.throws(
      () => app.get('/api/v1/misspelt', { config: { permission: 'snapshot.read' as never } }, async () => 'x'),
      /declares no valid config.permission/,
    );
    await app.close();
  });

  it('records the X-Cairn-Change header as the change id, and refuses a malformed one', async () => {
    const deps = fakeDeps();
    const app = await buildServer(deps, { logger: false });
    const ok = await app.inject({
      method: 'GET',
      url: '/api/v1/items',
      headers: { ...auth('viewer'), 'x-cairn-change': 'CHG-7' },
    });
    assert.equal(ok.statusCode, 200);
    assert.equal(deps.audit.events.at(-1)?.changeId, 'CHG-7');
    const bad = await app.inject({
      method: 'GET',
      url: '/api/v1/items',
      headers: { ...auth('viewer'), 'x-cairn-change': 'a b\tc' },
    });
    assert.equal(bad.statusCode, 400);
    await app.close();
  });
});
