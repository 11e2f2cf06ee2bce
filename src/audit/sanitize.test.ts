import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSecretKey, sanitizeDetails } from './sanitize.js';

describe('sanitizeDetails', () => {
  it('drops keys that name a secret, at any depth', () => {
    const clean = sanitizeDetails({
      token: 'cairn_abc',
      clientSecret: 'x',
      password: 'x',
      Authorization: 'x',
      totpCode: '123456',
      code: '123456',
      nested: { api_key: 'x', 'x-private-key': 'x', keep: 1 },
      list: [{ refreshToken: 'x', name: 'y' }],
      tokenId: 't-17',
      secretName: 'db',
      files: 3,
    });
    assert.deepEqual(clean, {
      nested: { keep: 1 },
      list: [{ name: 'y' }],
      tokenId: 't-17',
      secretName: 'db',
      files: 3,
    });
  });

  it('drops values that look like credentials, and masks passwords in URLs', () => {
    const clean = sanitizeDetails({
      header: 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl',
      jwt: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl',
      pem: '-----BEGIN PRIVATE KEY-----\nMC4CAQ...',
      catalog: 'postgres://cairn:hunter2@db:5432/cairn',
      reason: 'rotate the bearer of bad news',
    });
    assert.deepEqual(clean, { catalog: 'postgres://cairn:***@db:5432/cairn', reason: 'rotate the bearer of bad news' });
  });

  it('cuts long strings, long lists and deep nesting; refuses non-JSON values', () => {
    const clean = sanitizeDetails({
      long: 'x'.repeat(5000),
      many: Array.from({ length: 500 }, (_, i) => i),
      deep: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } },
      nan: Number.NaN,
      fn: () => 1,
    });
    assert.equal((clean.long as string).length, 1025);
    assert.equal((clean.many as number[]).length, 100);
    assert.deepEqual(clean.deep, { a: { b: { c: { d: {} } } } });
    assert.equal(clean.nan, null);
    assert.equal('fn' in clean, false);
    assert.deepEqual(sanitizeDetails(undefined), {});
  });

  it('tells secret keys from harmless ones', () => {
    for (const key of ['token', 'X-Auth-Token', 'smtp_password', 'mfaCode', 'passphrase', 'accessKey', 'cookie']) {
      assert.equal(isSecretKey(key), true, key);
    }
    for (const key of ['tokenId', 'errorCode', 'exitCode', 'role', 'target', 'secretName', 'keyId']) {
      assert.equal(isSecretKey(key), false, key);
    }
  });
});
