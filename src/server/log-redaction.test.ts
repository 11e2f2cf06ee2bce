import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildServer } from './build-server.js';
import type { Guard } from './deps.js';
import { TOKEN_SECRET } from './test-fixtures.js';
import { fakeDeps, fakeGuard, logCapture } from './test-support.js';

const BEARER = 'cairn_pat_BEARERSECRET4711';
const WRONG = 'cairn_pat_WRONGSECRET0815';
const TOTP = '918273';
const PASSWORD = 'hunter2-PASSWORDSECRET';
const MFA_SECRET = 'MFASECRETBASE32XYZ';
const COOKIE = 'COOKIESECRET42';
const QUERY = 'QUERYSECRET99';

describe('logs', () => {
  it('never contain a token, TOTP code, password, cookie or created secret', async () => {
    const fake = fakeGuard();
    const guard: Guard = {
      can: () => true,
      authenticate: async (bearer, meta) =>
        bearer === BEARER ? { subject: 'admin-user', roles: ['admin'], via: 'token' } : fake.authenticate(bearer, meta),
    };
    const deps = { ...fakeDeps(), guard };
    const log = logCapture();
    const app = await buildServer(deps, { logger: { level: 'trace', stream: log.stream } });
    const headers = { authorization: `Bearer ${BEARER}`, cookie: `session=${COOKIE}` };
    const calls: Array<{ method: 'GET' | 'POST'; url: string; headers?: Record<string, string>; payload?: unknown }> = [
      { method: 'GET', url: '/api/v1/items', headers },
      { method: 'GET', url: '/api/v1/items', headers: { authorization: `Bearer ${WRONG}` } },
      { method: 'GET', url: '/api/v1/items', headers: { authorization: `Token ${WRONG}` } },
      { method: 'POST', url: '/api/v1/approvals/apr-1/grant', headers, payload: { totp: TOTP } },
      { method: 'POST', url: '/api/v1/access/requests/jit-1/approve', headers, payload: { totp: TOTP, extra: TOTP } },
      { method: 'POST', url: '/api/v1/mfa/confirm', headers, payload: `{"totp": "${TOTP}"` },
      { method: 'POST', url: '/api/v1/tokens', headers, payload: { roles: ['viewer'], name: 'ci' } },
      { method: 'POST', url: '/api/v1/mfa/enroll', headers },
      { method: 'POST', url: '/api/v1/keys', headers, payload: { password: PASSWORD } },
      { method: 'POST', url: '/api/v1/keys', headers, payload: { password: PASSWORD, colour: 'red' } },
      { method: 'GET', url: `/api/v1/items?token=${QUERY}&access_token=${QUERY}`, headers },
      { method: 'GET', url: `/nowhere?password=${QUERY}` },
    ];
    const bodies: string[] = [];
    for (const c of calls) {
      const res = await app.inject({
        method: c.method,
        url: c.url,
        headers: { ...c.headers, ...(typeof c.payload === 'string' ? { 'content-type': 'application/json' } : {}) },
        ...(c.payload !== undefined ? { payload: c.payload as string } : {}),
      });
      bodies.push(res.body);
    }
    await app.close();
    assert.ok(
      bodies.some((b) => b.includes(TOKEN_SECRET)),
      'the created token was answered',
    );
    assert.ok(
      bodies.some((b) => b.includes(MFA_SECRET)),
      'the MFA secret was answered',
    );
    const text = log.text();
    assert.match(text, /incoming request/);
    assert.match(text, /request completed/);
    assert.ok(text.split('\n').length > 20, 'the log has the requests');
    for (const secret of [BEARER, WRONG, TOTP, PASSWORD, MFA_SECRET, COOKIE, QUERY, TOKEN_SECRET]) {
      assert.ok(!text.includes(secret), `the log contains ${secret}`);
    }
  });
});
