import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { base64url, type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { type ErrorCode, isCairnError } from '../errors/index.js';
import { type OidcConfig, OidcVerifier } from './oidc.js';
import { MINUTE, person, scene, TestClock, testPolicy } from './test-support.js';

const issuer = 'https://idp.acme.example/realms/ops';
const audience = 'cairn';

interface SigningKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256' | 'EdDSA';
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

async function signingKey(kid: string, alg: SigningKey['alg']): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A JWKS served by this test over HTTP, as an identity provider would. */
let server: Server;
let jwksUrl: string;
let published: JWK[] = [];
let fetches = 0;
let rsa: SigningKey;
let ec: SigningKey;
let ed: SigningKey;

before(async () => {
  [rsa, ec, ed] = await Promise.all([
    signingKey('rsa-1', 'RS256'),
    signingKey('ec-1', 'ES256'),
    signingKey('ed-1', 'EdDSA'),
  ]);
  published = [rsa.jwk, ec.jwk, ed.jwk];
  server = createServer((_req, res) => {
    fetches += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/certs`;
});

after(() => new Promise((resolve) => server.close(resolve)));

const clock = new TestClock();
const nowSec = () => Math.floor(clock.now().getTime() / 1000);

function sign(claims: JWTPayload, key: SigningKey = rsa, header: { kid?: string } = {}): Promise<string> {
  return new SignJWT({
    iss: issuer,
    aud: audience,
    sub: 'u-123',
    email: 'alice@acme.example',
    iat: nowSec(),
    exp: nowSec() + 300,
    ...claims,
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
    .sign(key.privateKey);
}

function verifier(config: Partial<OidcConfig> = {}): OidcVerifier {
  return new OidcVerifier(
    { issuer, audience, jwksUrl, ...config },
    { separationOfDuties: testPolicy.separationOfDuties, now: clock.now },
  );
}

async function refused(promise: Promise<unknown>, code: ErrorCode, reason?: string) {
  const err = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(isCairnError(err, code), `expected ${code}, got ${String(err)}`);
  if (reason !== undefined) assert.equal(err.details?.reason, reason, err.message);
  return err;
}

describe('OIDC bearer tokens', () => {
  it('accepts tokens signed with RS256, ES256 and EdDSA, taking roles from the claim', async () => {
    const oidc = verifier();
    for (const key of [rsa, ec, ed]) {
      const identity = await oidc.verify(await sign({ roles: ['operator', 'viewer', 'unknown'] }, key));
      assert.deepEqual(identity, {
        subject: 'oidc:u-123',
        roles: ['operator', 'viewer'],
        baseRoles: ['operator', 'viewer'],
        grants: [],
        via: 'oidc',
        expiresAt: new Date((nowSec() + 300) * 1000).toISOString(),
      });
    }
  });

  it('maps groups in a nested or namespaced claim through the role map, and names by another claim', async () => {
    const roleMap = { 'ops-backup': ['operator' as const], 'sec-audit': ['auditor' as const, 'viewer' as const] };
    const nested = verifier({ roleClaim: 'realm_access.groups', roleMap, subjectClaim: 'email' });
    const a = await nested.verify(await sign({ realm_access: { groups: ['sec-audit', 'staff'] } }));
    assert.equal(a.subject, 'oidc:alice@acme.example');
    assert.deepEqual(a.roles, ['auditor', 'viewer']);
    const namespaced = verifier({ roleClaim: 'https://acme.example/groups', roleMap });
    const b = await namespaced.verify(await sign({ 'https://acme.example/groups': 'ops-backup staff' }));
    assert.deepEqual(b.roles, ['operator']);
  });

  it('refuses a forged token: a valid kid, signed by another key', async () => {
    const forger = await signingKey('rsa-1', 'RS256');
    await refused(
      verifier().verify(await sign({ roles: ['admin'] }, forger)),
      'CAIRN_E_UNAUTHENTICATED',
      'bad-signature',
    );
  });

  it('refuses a token whose payload was edited after signing', async () => {
    const [header, , signature] = (await sign({ roles: ['viewer'] })).split('.');
    const payload = base64url.encode(
      JSON.stringify({ iss: issuer, aud: audience, sub: 'u-123', exp: nowSec() + 300, roles: ['admin'] }),
    );
    await refused(verifier().verify(`${header}.${payload}.${signature}`), 'CAIRN_E_UNAUTHENTICATED', 'bad-signature');
  });

  it('refuses a token signed by a key the JWKS does not hold', async () => {
    const stranger = await signingKey('rsa-unknown', 'RS256');
    const err = await refused(
      verifier().verify(await sign({ roles: ['viewer'] }, stranger)),
      'CAIRN_E_UNAUTHENTICATED',
      'unknown-key',
    );
    assert.match(String(err.details?.detail), /no applicable key/i);
  });

  it('refuses an expired token, beyond a small clock tolerance', async () => {
    const oidc = verifier();
    await oidc.verify(await sign({ roles: ['viewer'], exp: nowSec() - 20 }));
    await refused(
      oidc.verify(await sign({ roles: ['viewer'], exp: nowSec() - 60 })),
      'CAIRN_E_UNAUTHENTICATED',
      'expired',
    );
  });

  it('refuses a token that is not valid yet, and one without an expiry', async () => {
    const oidc = verifier();
    await refused(
      oidc.verify(await sign({ roles: ['viewer'], nbf: nowSec() + 5 * 60 })),
      'CAIRN_E_UNAUTHENTICATED',
      'not-yet-valid',
    );
    await refused(
      oidc.verify(await sign({ roles: ['viewer'], exp: undefined })),
      'CAIRN_E_UNAUTHENTICATED',
      'missing-claim',
    );
  });

  it('refuses a token for another audience or from another issuer', async () => {
    const oidc = verifier();
    await refused(
      oidc.verify(await sign({ roles: ['viewer'], aud: 'grafana' })),
      'CAIRN_E_UNAUTHENTICATED',
      'wrong-audience',
    );
    await refused(
      oidc.verify(await sign({ roles: ['viewer'], iss: 'https://evil.example/' })),
      'CAIRN_E_UNAUTHENTICATED',
      'wrong-issuer',
    );
    const several = verifier({ audience: ['other', audience] });
    assert.equal((await several.verify(await sign({ roles: ['viewer'] }))).subject, 'oidc:u-123');
  });

  it('refuses alg none and algorithms it does not allow', async () => {
    const enc = (value: object) => base64url.encode(JSON.stringify(value));
    const payload = enc({ iss: issuer, aud: audience, sub: 'u-123', exp: nowSec() + 300, roles: ['admin'] });
    const oidc = verifier();
    await refused(
      oidc.verify(`${enc({ alg: 'none', typ: 'JWT' })}.${payload}.`),
      'CAIRN_E_UNAUTHENTICATED',
      'bad-algorithm',
    );
    const hs = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime(nowSec() + 300)
      .sign(new TextEncoder().encode('a shared secret of at least 32 bytes!!'));
    await refused(oidc.verify(hs), 'CAIRN_E_UNAUTHENTICATED', 'bad-algorithm');
    for (const junk of ['', 'abc', 'a.b.c', `${enc({ alg: 'RS256' })}.!!.x`]) {
      await refused(oidc.verify(junk), 'CAIRN_E_UNAUTHENTICATED', 'malformed');
    }
  });

  it('refuses, with a clear message, a genuine token without the role claim or without any Cairn role', async () => {
    const noClaim = await refused(
      verifier({ roleClaim: 'groups' }).verify(await sign({})),
      'CAIRN_E_FORBIDDEN',
      'no-role-claim',
    );
    assert.match(noClaim.message, /oidc:u-123 has no claim "groups".*oidc\.roleClaim/);
    const noRole = await refused(
      verifier({ roleMap: { ops: ['operator'] } }).verify(await sign({ roles: ['staff'] })),
      'CAIRN_E_FORBIDDEN',
      'no-role',
    );
    assert.match(noRole.message, /claim "roles" holds "staff".*oidc\.roleMap/);
    await refused(
      verifier().verify(await sign({ roles: ['viewer'], sub: undefined })),
      'CAIRN_E_UNAUTHENTICATED',
      'missing-claim',
    );
  });

  it('refuses a person whose claims give roles the policy keeps apart', async () => {
    const err = await refused(
      verifier({ roleMap: { ops: ['operator'], sec: ['auditor'] } }).verify(await sign({ roles: ['ops', 'sec'] })),
      'CAIRN_E_DUTY_CONFLICT',
    );
    assert.match(err.message, /oidc:u-123 would hold both operator and auditor.*separationOfDuties\[0\]/);
  });

  it('fetches the key set once and reuses it for later tokens', async () => {
    const oidc = verifier();
    const before = fetches;
    for (let i = 0; i < 3; i++) await oidc.verify(await sign({ roles: ['viewer'] }, i % 2 ? ec : rsa));
    assert.equal(fetches - before, 1);
  });

  it('reports an unreachable key set as a server problem, not as bad credentials', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const down = verifier({ jwksUrl: `http://127.0.0.1:${port}/certs` });
    const err = await refused(down.verify(await sign({ roles: ['viewer'] })), 'CAIRN_E_SERVER');
    assert.match(err.message, new RegExp(`key set at http://127\\.0\\.0\\.1:${port}/certs could not be used`));
  });

  it('refuses a JWKS URL that is not https, except on a loopback address', () => {
    assert.throws(() => verifier({ jwksUrl: 'http://idp.acme.example/certs' }), /must use https/);
    assert.throws(() => verifier({ jwksUrl: 'not a url' }), /is not a URL/);
    verifier({ jwksUrl: 'https://idp.acme.example/certs' });
    verifier({ jwksUrl: 'http://localhost:8080/certs' });
  });

  it('authenticates bearer JWTs through AccessControl, adding active grants', async (t) => {
    const s = await scene(t, { oidc: verifier(), clock });
    const jwt = await sign({ roles: ['viewer'] });
    const alice = await s.access.authenticate(jwt);
    const request = await s.access.requestElevation({
      requestedBy: alice,
      role: 'restorer',
      durationMs: 30 * MINUTE,
      reason: 'INC-7',
    });
    await s.access.approveElevation(request.id, person('carol', 'approver'));
    const elevated = await s.access.authenticate(jwt);
    assert.deepEqual(elevated.roles, ['viewer', 'restorer']);
    assert.deepEqual(elevated.baseRoles, ['viewer']);
    assert.deepEqual(
      elevated.grants.map((g) => g.id),
      [request.id],
    );
  });

  it('refuses bearer JWTs when no OIDC provider is configured', async (t) => {
    const s = await scene(t);
    await refused(
      s.access.authenticate(await sign({ roles: ['viewer'] })),
      'CAIRN_E_UNAUTHENTICATED',
      'oidc-not-configured',
    );
  });
});
