/**
 * OIDC bearer tokens end to end: `access.oidc` in cairn.yaml points at a JWKS served by this test,
 * real JWTs signed here are accepted by `cairn serve` with their group claim mapped to roles, and
 * forged, expired, wrong-audience and unknown-key tokens are refused (401, audited as auth.fail).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

type KeyLike = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

import { type Fixture, fixture, SMALL_POLICY } from './helpers.js';
import { client, localToken, type ServeProcess, startServe } from './serve-support.js';

const ISSUER = 'https://id.acme.test';

describe('cairn serve with OIDC bearer tokens', () => {
  let f: Fixture;
  let jwks: Server;
  let server: ServeProcess;
  let good: KeyLike;
  let stranger: KeyLike;

  const sign = (key: KeyLike, claims: Record<string, unknown>, o: { kid?: string; aud?: string; exp?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: o.kid ?? 'k1' })
      .setIssuer(ISSUER)
      .setAudience(o.aud ?? 'cairn')
      .setSubject(String(claims.email ?? 'someone'))
      .setIssuedAt()
      .setExpirationTime(o.exp ?? '5m')
      .sign(key);

  before(async () => {
    const pair = await generateKeyPair('ES256');
    good = pair.privateKey;
    stranger = (await generateKeyPair('ES256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const port = (jwks.address() as AddressInfo).port;
    const policy = `${SMALL_POLICY}access:
  oidc:
    issuer: ${ISSUER}
    audience: cairn
    jwksUrl: http://127.0.0.1:${port}/jwks
    roleClaim: groups
    subjectClaim: email
    roleMap: { sre: [operator], readers: [viewer] }
`;
    f = fixture({ policy });
    f.cli(['snapshot', '--item', 'app-prod']);
    server = await startServe(f);
  });
  after(async () => {
    await server?.stop();
    jwks?.close();
  });

  it('accepts a signed token and maps its groups to roles', async () => {
    const reader = client(server.url, await sign(good, { email: 'rita@acme.test', groups: ['readers'] }));
    const found = await reader.ok<{ snapshots: unknown[] }>(reader.get('/api/v1/snapshots?item=app-prod'));
    assert.equal(found.snapshots.length, 1);
    // A viewer may not take snapshots; an SRE (operator) may.
    assert.equal((await reader.post('/api/v1/snapshots', { items: ['app-prod'] })).status, 403);
    const sre = client(server.url, await sign(good, { email: 'sam@acme.test', groups: ['sre'] }));
    await sre.ok(sre.post('/api/v1/snapshots', { items: ['app-dev'] }));
  });

  it('refuses forged, expired, wrong-audience and unknown-key tokens, and audits each refusal', async () => {
    const claims = { email: 'mallory@acme.test', groups: ['sre'] };
    const bad = {
      forged: await sign(stranger, claims),
      expired: await sign(good, claims, { exp: '-10m' }),
      audience: await sign(good, claims, { aud: 'another-app' }),
      kid: await sign(stranger, claims, { kid: 'k9' }),
    };
    for (const [what, token] of Object.entries(bad)) {
      const r = await client(server.url, token).get('/api/v1/snapshots');
      assert.equal(r.status, 401, `${what}: ${r.text}`);
      assert.doesNotMatch(r.text, /mallory|eyJ/, `${what}: the answer repeats the token or its claims`);
    }
    const auditor = client(server.url, localToken(f, 'auditor', ['auditor']));
    const log = await auditor.ok<{ events: Array<{ action: string; details: { reason?: string } }> }>(
      auditor.get('/api/v1/audit/events?action=auth.fail'),
    );
    const reasons = log.events.map((e) => e.details.reason);
    assert.equal(reasons.length, 4, JSON.stringify(reasons));
    assert.ok(reasons.includes('expired') && reasons.includes('wrong-audience'), JSON.stringify(reasons));
    // No token reached the server's log.
    for (const token of Object.values(bad)) assert.equal(server.log().includes(token), false);
  });
});
