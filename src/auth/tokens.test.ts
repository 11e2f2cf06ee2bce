import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ErrorCode, isCairnError } from '../errors/index.js';
import { AUTHENTICATION_FAILED, type AuthFailure } from './index.js';
import { admin, HOUR, MINUTE, person, scene } from './test-support.js';

const DAY = 24 * HOUR;

async function refused(promise: Promise<unknown>, code: ErrorCode, pattern?: RegExp) {
  const err = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(isCairnError(err, code), `expected ${code}, got ${String(err)}`);
  if (pattern) assert.match(err.message, pattern);
  return err;
}

async function refusedAs(promise: Promise<unknown>, reason: AuthFailure) {
  const err = await refused(promise, 'CAIRN_E_UNAUTHENTICATED');
  assert.equal(err.message, AUTHENTICATION_FAILED);
  assert.equal(err.details?.reason, reason);
  return err;
}

describe('API tokens', () => {
  it('creates a token shown once and authenticates it as token:<name> with its roles', async (t) => {
    const s = await scene(t);
    const { token, info } = await s.access.createToken({
      name: 'ci-bot',
      roles: ['operator', 'restorer', 'operator'],
      expiresInMs: 30 * DAY,
      createdBy: admin,
    });
    assert.match(token, /^cairn_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.equal(info.id, token.slice(6, 22));
    assert.deepEqual(info.roles, ['operator', 'restorer']);
    assert.equal(info.subject, 'token:ci-bot');
    assert.equal(info.state, 'active');
    assert.equal(info.createdBy, 'oidc:root');
    assert.equal(info.expiresAt, new Date(s.clock.now().getTime() + 30 * DAY).toISOString());
    assert.equal('hash' in info, false);

    const identity = await s.access.authenticate(`  ${token} `);
    assert.deepEqual(identity, {
      subject: 'token:ci-bot',
      roles: ['operator', 'restorer'],
      baseRoles: ['operator', 'restorer'],
      grants: [],
      via: 'token',
      tokenId: info.id,
      expiresAt: info.expiresAt,
    });
  });

  it('stores only a SHA-256 of the token', async (t) => {
    const s = await scene(t);
    const { token, info } = await s.access.createToken({
      name: 'a',
      roles: ['viewer'],
      expiresInMs: DAY,
      createdBy: admin,
    });
    const stored = await s.catalog.access.getToken(info.id);
    assert.match(stored?.hash ?? '', /^[0-9a-f]{64}$/);
    const secret = token.split('_').slice(2).join('_');
    assert.equal(JSON.stringify(stored).includes(secret), false);
  });

  it('refuses a wrong secret for an existing id, an unknown id and a malformed token alike', async (t) => {
    const s = await scene(t);
    const { token, info } = await s.access.createToken({
      name: 'a',
      roles: ['viewer'],
      expiresInMs: DAY,
      createdBy: admin,
    });
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    const err = await refusedAs(s.access.authenticate(token.slice(0, -1) + last), 'unknown');
    assert.equal(err.details?.tokenId, info.id);
    await refusedAs(s.access.authenticate(`cairn_ffffffffffffffff_${token.slice(23)}`), 'unknown');
    for (const bad of ['cairn_', `${token}x`, token.replace('cairn_', 'cairn-'), 'cairn_XYZ_abc']) {
      await refusedAs(s.access.authenticateToken(bad), 'malformed');
    }
    await refusedAs(s.access.authenticate(''), 'missing');
  });

  it('refuses a revoked token with the reason revoked, from the moment of revocation', async (t) => {
    const s = await scene(t);
    const { token, info } = await s.access.createToken({
      name: 'a',
      roles: ['viewer'],
      expiresInMs: DAY,
      createdBy: admin,
    });
    await s.access.authenticate(token);
    const revoked = await s.access.revokeToken(info.id, admin);
    assert.equal(revoked.state, 'revoked');
    assert.equal(revoked.revokedBy, 'oidc:root');
    const err = await refusedAs(s.access.authenticate(token), 'revoked');
    assert.equal(err.details?.subject, 'token:a');
    assert.equal((await s.access.revokeToken(info.id, admin)).state, 'revoked');
  });

  it('refuses an expired token with the reason expired', async (t) => {
    const s = await scene(t);
    const { token } = await s.access.createToken({ name: 'a', roles: ['viewer'], expiresInMs: HOUR, createdBy: admin });
    s.clock.advance(HOUR - 1);
    await s.access.authenticate(token);
    s.clock.advance(1);
    await refusedAs(s.access.authenticate(token), 'expired');
    assert.equal((await s.access.listTokens())[0]?.state, 'expired');
  });

  it('records when a token was last used, at most once a minute', async (t) => {
    const s = await scene(t);
    const { token, info } = await s.access.createToken({
      name: 'a',
      roles: ['viewer'],
      expiresInMs: DAY,
      createdBy: admin,
    });
    const first = s.clock.now().toISOString();
    await s.access.authenticate(token);
    s.clock.advance(MINUTE - 1);
    await s.access.authenticate(token);
    assert.equal((await s.catalog.access.getToken(info.id))?.lastUsedAt, first);
    s.clock.advance(1);
    await s.access.authenticate(token);
    assert.equal((await s.catalog.access.getToken(info.id))?.lastUsedAt, s.clock.now().toISOString());
  });

  it('refuses a token whose roles break separation of duties, naming the pair and the rule', async (t) => {
    const s = await scene(t);
    const err = await refused(
      s.access.createToken({ name: 'x', roles: ['operator', 'auditor'], expiresInMs: DAY, createdBy: admin }),
      'CAIRN_E_DUTY_CONFLICT',
      /token x would hold both operator and auditor.*access\.separationOfDuties\[0\].*one token per duty/,
    );
    assert.deepEqual(err.details?.pair, ['operator', 'auditor']);
    assert.equal(err.details?.rule, 0);
    assert.deepEqual(await s.access.listTokens(), []);
  });

  it('refuses bad names, roles and expiries, and creators without tokens.manage', async (t) => {
    const s = await scene(t);
    const base = { name: 'ok', roles: ['viewer' as const], expiresInMs: DAY, createdBy: admin };
    await refused(s.access.createToken({ ...base, name: '' }), 'CAIRN_E_USAGE', /token name/);
    await refused(s.access.createToken({ ...base, name: 'has space' }), 'CAIRN_E_USAGE', /token name/);
    await refused(s.access.createToken({ ...base, roles: [] }), 'CAIRN_E_USAGE', /one or more roles/);
    await refused(s.access.createToken({ ...base, roles: ['root' as never] }), 'CAIRN_E_USAGE', /"root" is not one/);
    for (const expiresInMs of [0, -1, 1.5, Number.POSITIVE_INFINITY, Number.NaN]) {
      await refused(s.access.createToken({ ...base, expiresInMs }), 'CAIRN_E_USAGE', /expiry/);
    }
    await refused(
      s.access.createToken({ ...base, createdBy: person('eve', 'operator', 'approver') }),
      'CAIRN_E_FORBIDDEN',
      /oidc:eve may not create API tokens: that needs the permission tokens\.manage/,
    );
    assert.deepEqual(await s.access.listTokens(), []);
  });

  it('refuses a second active token of the same name until the first is revoked', async (t) => {
    const s = await scene(t);
    const input = { name: 'ci-bot', roles: ['operator' as const], expiresInMs: DAY, createdBy: admin };
    const { info } = await s.access.createToken(input);
    await refused(s.access.createToken(input), 'CAIRN_E_EXISTS', /revoke it first/);
    await s.access.revokeToken(info.id, admin);
    s.clock.advance(MINUTE);
    await s.access.createToken(input);
    assert.deepEqual(
      (await s.access.listTokens()).map((token) => token.state),
      ['revoked', 'active'],
    );
  });

  it('lets only tokens.manage revoke, and reports an unknown token', async (t) => {
    const s = await scene(t);
    const { info } = await s.access.createToken({ name: 'a', roles: ['viewer'], expiresInMs: DAY, createdBy: admin });
    await refused(s.access.revokeToken(info.id, person('eve', 'approver')), 'CAIRN_E_FORBIDDEN');
    await refused(s.access.revokeToken('0000000000000000', admin), 'CAIRN_E_NOT_FOUND', /cairn token list/);
  });
});
