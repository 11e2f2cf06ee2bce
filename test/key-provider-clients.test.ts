/**
 * The Vault Transit and AWS KMS clients against the local fakes (test/fake-vault.ts, test/fake-kms.ts):
 * what goes over the wire (only the 32-byte KEK, base64, with the documented headers), what comes back,
 * and how every refusal becomes CAIRN_E_KEY_PROVIDER naming provider, address, key and the provider's words.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isCairnError } from '../src/errors/index.js';
import { keyProviderFromSpec } from '../src/repo/index.js';
import { type FakeKms, startFakeKms } from './fake-kms.js';
import { type FakeVault, startFakeVault } from './fake-vault.js';
import { scratch } from './helpers.js';

const BINDING = { repository: 'a'.repeat(64), keyObject: '0123456789abcdef' };

function rejectsWith(code: string, pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(isCairnError(err), String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    return true;
  };
}

describe('vault-transit client', () => {
  let vault: FakeVault;
  const env = () => ({ VAULT_ADDR: vault.url, VAULT_TOKEN: vault.token });
  before(async () => {
    vault = await startFakeVault();
  });
  after(() => vault.close());

  it('wraps and unwraps a KEK through /v1/transit/encrypt|decrypt/<key> with X-Vault-Token; only the KEK is sent', async () => {
    const provider = keyProviderFromSpec('vault-transit:cairn', env());
    const kek = randomBytes(32);
    const record = await provider.wrap(kek, BINDING);
    assert.match(record.ciphertext, /^vault:v1:/);
    assert.ok(!record.ciphertext.includes(kek.toString('base64')), 'ciphertext is not the plaintext');
    assert.deepEqual(await provider.unwrap(record, BINDING), kek);
    const [enc, dec] = vault.requests.slice(-2);
    assert.equal(enc?.path, '/v1/transit/encrypt/cairn');
    assert.equal(dec?.path, '/v1/transit/decrypt/cairn');
    assert.equal(enc?.headers['x-vault-token'], vault.token);
    assert.equal(enc?.headers['content-type'], 'application/json');
    assert.deepEqual(Object.keys(enc?.body ?? {}), ['plaintext']);
    assert.deepEqual(Buffer.from(String(enc?.body?.plaintext), 'base64'), kek);
    assert.deepEqual(dec?.body, { ciphertext: record.ciphertext });
  });

  it('sends X-Vault-Namespace and uses a mount named in the spec; the token may come from a file', async () => {
    const nsVault = await startFakeVault({ namespace: 'team-a', mount: 'crypto/transit' });
    try {
      const tokenFile = join(scratch(), 'token');
      await import('node:fs').then((fs) => fs.writeFileSync(tokenFile, `${nsVault.token}\n`));
      const provider = keyProviderFromSpec('vault-transit:crypto/transit/backups', {
        VAULT_ADDR: nsVault.url,
        VAULT_NAMESPACE: 'team-a',
        CAIRN_VAULT_TOKEN_FILE: tokenFile,
        VAULT_TOKEN: 'not this one',
      });
      const kek = randomBytes(32);
      assert.deepEqual(await provider.unwrap(await provider.wrap(kek, BINDING), BINDING), kek);
      assert.equal(nsVault.requests[0]?.headers['x-vault-namespace'], 'team-a');
      assert.equal(nsVault.requests[0]?.path, '/v1/crypto/transit/encrypt/backups');
      const noNs = keyProviderFromSpec('vault-transit:crypto/transit/backups', {
        VAULT_ADDR: nsVault.url,
        VAULT_TOKEN: nsVault.token,
      });
      await assert.rejects(noNs.wrap(kek, BINDING), rejectsWith('CAIRN_E_KEY_PROVIDER', /HTTP 404: no handler/));
    } finally {
      await nsVault.close();
    }
  });

  it('a revoked token, a deleted key, a sealed Vault and an unreachable one are CAIRN_E_KEY_PROVIDER', async () => {
    const v = await startFakeVault();
    const provider = keyProviderFromSpec('vault-transit:cairn', { VAULT_ADDR: v.url, VAULT_TOKEN: v.token });
    const record = await provider.wrap(randomBytes(32), BINDING);
    v.seal(true);
    await assert.rejects(
      provider.unwrap(record, BINDING),
      rejectsWith('CAIRN_E_KEY_PROVIDER', /HTTP 503: Vault is sealed/),
    );
    v.seal(false);
    v.deleteKey('cairn');
    await assert.rejects(
      provider.unwrap(record, BINDING),
      rejectsWith(
        'CAIRN_E_KEY_PROVIDER',
        /vault-transit key "cairn" at http:\/\/127\.0\.0\.1:\d+\/v1\/transit: decrypt .*HTTP 400: encryption key not found/,
      ),
    );
    v.revokeToken();
    await assert.rejects(
      provider.unwrap(record, BINDING),
      rejectsWith('CAIRN_E_KEY_PROVIDER', /HTTP 403: permission denied/),
    );
    await v.close();
    await assert.rejects(
      provider.unwrap(record, BINDING),
      rejectsWith('CAIRN_E_KEY_PROVIDER', /Vault is unreachable \(.*ECONNREFUSED/),
    );
  });

  it('without VAULT_ADDR or a token, or with a bad spec, says what is missing (exit 2 codes)', () => {
    assert.throws(
      () => keyProviderFromSpec('vault-transit:cairn', { VAULT_TOKEN: 't' }),
      rejectsWith('CAIRN_E_NO_SECRET', /VAULT_ADDR/),
    );
    assert.throws(
      () => keyProviderFromSpec('vault-transit:cairn', { VAULT_ADDR: 'http://127.0.0.1:1' }),
      rejectsWith('CAIRN_E_NO_SECRET', /VAULT_TOKEN or CAIRN_VAULT_TOKEN_FILE/),
    );
    assert.throws(() => keyProviderFromSpec('vault:cairn', {}), rejectsWith('CAIRN_E_USAGE', /vault-transit:<key>/));
    assert.throws(() => keyProviderFromSpec('aws-kms:', {}), rejectsWith('CAIRN_E_USAGE', /aws-kms/));
  });

  it('trusts a private CA from VAULT_CACERT over HTTPS, and refuses an untrusted certificate', async () => {
    const dir = scratch();
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const made = spawnSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    ], { encoding: 'utf8' }); // biome-ignore format: one command
    assert.equal(made.status, 0, `openssl is needed for this test: ${made.stderr}`);
    const tlsVault = await startFakeVault({ tls: { cert: readFileSync(cert), key: readFileSync(key) } });
    try {
      const base = { VAULT_ADDR: tlsVault.url, VAULT_TOKEN: tlsVault.token };
      const kek = randomBytes(32);
      const trusted = keyProviderFromSpec('vault-transit:cairn', { ...base, VAULT_CACERT: cert });
      assert.deepEqual(await trusted.unwrap(await trusted.wrap(kek, BINDING), BINDING), kek);
      const untrusted = keyProviderFromSpec('vault-transit:cairn', base);
      await assert.rejects(untrusted.wrap(kek, BINDING), rejectsWith('CAIRN_E_KEY_PROVIDER', /unreachable/));
    } finally {
      await tlsVault.close();
    }
  });
});

describe('aws-kms client', () => {
  let kms: FakeKms;
  const saved: Record<string, string | undefined> = {};
  const AWS_VARS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_ENDPOINT_URL_KMS', 'AWS_PROFILE'];
  before(async () => {
    kms = await startFakeKms();
    // The SDK reads region and credentials from the process environment (its default chain).
    for (const k of AWS_VARS) saved[k] = process.env[k];
    process.env.AWS_ACCESS_KEY_ID = kms.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = kms.secretAccessKey;
    process.env.AWS_REGION = kms.region;
    delete process.env.AWS_ENDPOINT_URL_KMS;
    delete process.env.AWS_PROFILE;
  });
  after(async () => {
    for (const k of AWS_VARS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    await kms.close();
  });

  it('Encrypt/Decrypt over JSON 1.1 with SigV4 and an EncryptionContext naming repository and key object', async () => {
    const key = kms.createKey('cairn-a');
    const provider = keyProviderFromSpec('aws-kms:alias/cairn-a', { CAIRN_KMS_ENDPOINT: kms.url });
    const kek = randomBytes(32);
    const record = await provider.wrap(kek, BINDING);
    assert.equal(record.keyArn, key.arn);
    assert.ok(!Buffer.from(record.ciphertext, 'base64').includes(kek), 'the blob does not hold the KEK in clear');
    assert.deepEqual(await provider.unwrap(record, BINDING), kek);
    const [enc, dec] = kms.requests.slice(-2);
    assert.equal(enc?.target, 'TrentService.Encrypt');
    assert.equal(dec?.target, 'TrentService.Decrypt');
    assert.equal(enc?.headers['content-type'], 'application/x-amz-json-1.1');
    assert.match(
      String(enc?.headers.authorization),
      /^AWS4-HMAC-SHA256 Credential=AKIA\w+\/\d{8}\/us-east-1\/kms\/aws4_request/,
    );
    assert.deepEqual(enc?.body?.EncryptionContext, {
      'cairn:repository': BINDING.repository,
      'cairn:key': BINDING.keyObject,
    });
    assert.deepEqual(Buffer.from(String(enc?.body?.Plaintext), 'base64'), kek, 'the KEK is all that is sent');
    // The ARN opens what the alias wrapped.
    const byArn = keyProviderFromSpec(`aws-kms:${key.arn}`, { CAIRN_KMS_ENDPOINT: kms.url });
    assert.equal(byArn.matches(record), 'yes');
    assert.deepEqual(await byArn.unwrap(record, BINDING), kek);
  });

  it('refuses a wrong EncryptionContext (another repository or key object) with InvalidCiphertextException', async () => {
    kms.createKey('cairn-b');
    const provider = keyProviderFromSpec('aws-kms:alias/cairn-b', { CAIRN_KMS_ENDPOINT: kms.url });
    const record = await provider.wrap(randomBytes(32), BINDING);
    for (const binding of [
      { ...BINDING, repository: 'b'.repeat(64) },
      { ...BINDING, keyObject: 'fedcba9876543210' },
    ]) {
      await assert.rejects(
        provider.unwrap(record, binding),
        rejectsWith(
          'CAIRN_E_KEY_PROVIDER',
          /aws-kms key "alias\/cairn-b" at http:\/\/127\.0\.0\.1:\d+: decrypt .*InvalidCiphertextException/,
        ),
      );
    }
  });

  it('AccessDenied, a disabled key, another key, bad credentials and no server are told apart', async () => {
    const key = kms.createKey('cairn-c');
    const other = kms.createKey('cairn-d');
    const provider = keyProviderFromSpec('aws-kms:alias/cairn-c', { CAIRN_KMS_ENDPOINT: kms.url });
    const record = await provider.wrap(randomBytes(32), BINDING);
    kms.denyDecrypt(true);
    await assert.rejects(
      provider.unwrap(record, BINDING),
      rejectsWith('CAIRN_E_KEY_PROVIDER', /AccessDeniedException: User: .* is not authorized to perform: kms:Decrypt/),
    );
    kms.denyDecrypt(false);
    kms.disableKey(key.id);
    await assert.rejects(
      provider.unwrap(record, BINDING),
      rejectsWith('CAIRN_E_KEY_PROVIDER', /DisabledException: .* is disabled/),
    );
    kms.disableKey(key.id, false);
    const wrongKey = keyProviderFromSpec(`aws-kms:${other.id}`, { CAIRN_KMS_ENDPOINT: kms.url });
    assert.equal(wrongKey.matches(record), 'maybe');
    await assert.rejects(wrongKey.unwrap(record, BINDING), rejectsWith('CAIRN_E_WRONG_KEY', /IncorrectKeyException/));
    const secret = process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = 'wrong';
    try {
      const badCreds = keyProviderFromSpec('aws-kms:alias/cairn-c', { CAIRN_KMS_ENDPOINT: kms.url });
      await assert.rejects(
        badCreds.unwrap(record, BINDING),
        rejectsWith('CAIRN_E_KEY_PROVIDER', /InvalidSignatureException/),
      );
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = secret;
    }
    const down = keyProviderFromSpec('aws-kms:alias/cairn-c', { CAIRN_KMS_ENDPOINT: 'http://127.0.0.1:9' });
    await assert.rejects(
      down.unwrap(record, BINDING),
      rejectsWith('CAIRN_E_KEY_PROVIDER', /at http:\/\/127\.0\.0\.1:9: decrypt .*KMS is unreachable/),
    );
  });
});
