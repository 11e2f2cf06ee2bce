/**
 * `cairn init --key-provider …` with Vault Transit and AWS KMS end to end through `node bin/cairn.js`,
 * against the local fakes (a real Vault or KMS is not available here); and each refusal of the provider
 * (revoked token, AccessDenied, unreachable, wrong EncryptionContext) as a clear CAIRN_E_KEY_PROVIDER.
 */
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jsonError } from './e2e.js';
import type { FakeKmsKey } from './fake-kms.js';
import { startFakeVault } from './fake-vault.js';
import { type Fixture, fixture } from './helpers.js';
import { cli, type Env, listKeys, ok, type Providers, startProviders } from './key-cli.js';

let p: Providers;
before(async () => {
  p = await startProviders();
});
after(() => p.close());

/** A repository made with `init` under this provider spec, a snapshot of app-prod, and its id. */
async function providerRepo(spec: string, env: Env = {}): Promise<{ f: Fixture; snapshot: string; env: Env }> {
  const f = fixture({ init: false });
  const all = { ...p.env, ...env };
  const init = (await ok(f, ['init', '--key-provider', spec, '--json'], all)).json<{ key: string }>();
  assert.deepEqual(readdirSync(join(f.repo, 'keys')), [init.key]);
  const opened = { ...all, CAIRN_KEY_PROVIDER: spec };
  const snap = (await ok(f, ['snapshot', '--item', 'app-prod', '--json'], opened)).json<{
    snapshots: Array<{ id: string }>;
  }>();
  return { f, snapshot: snap.snapshots[0]!.id, env: opened };
}

async function assertRestores(f: Fixture, snapshot: string, env: Env): Promise<void> {
  const out = join(f.dir, `out-${Math.random().toString(36).slice(2)}`);
  await ok(f, ['restore', snapshot, '--target', out, '--json'], env);
  for (const rel of ['deployment.yaml', 'app.env', 'nested/deep/config.json']) {
    assert.equal(readFileSync(join(out, rel), 'utf8'), readFileSync(join(f.src, 'prod', rel), 'utf8'), rel);
  }
}

function providerFailure(r: { code: number; stdout: string; stderr: string }): string {
  assert.equal(r.code, 1, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  const e = jsonError(r as Parameters<typeof jsonError>[0]);
  assert.equal(e.code, 'CAIRN_E_KEY_PROVIDER', e.message);
  assert.doesNotMatch(e.message, /passphrase/i);
  assert.match(r.stderr, /CAIRN_E_KEY_PROVIDER/);
  return e.message;
}

describe('Vault Transit key provider (cairn CLI against the fake Vault)', () => {
  it("opening tries the keys of the secret's kind: init, snapshot, restore with vault-transit:KEY; only a 32-byte KEK reaches Vault", async () => {
    const before = p.vault.requests.length;
    const { f, snapshot, env } = await providerRepo('vault-transit:cairn-e2e');
    await assertRestores(f, snapshot, env);
    const sent = p.vault.requests.slice(before);
    assert.ok(sent.length >= 3, 'init encrypts, each later command decrypts');
    for (const r of sent) {
      assert.equal(r.headers['x-vault-token'], p.vault.token);
      const plain = r.body?.plaintext;
      if (plain !== undefined) assert.equal(Buffer.from(String(plain), 'base64').length, 32, 'only the KEK');
      assert.deepEqual(Object.keys(r.body ?? {}).sort(), [plain !== undefined ? 'plaintext' : 'ciphertext']);
    }
    const [k] = await listKeys(f, env);
    assert.equal(k?.kind, 'vault-transit');
    assert.deepEqual(k?.provider, { name: 'vault-transit', key: 'cairn-e2e', address: p.vault.url });
    const human = await ok(f, ['key', 'list'], env);
    assert.match(human.stdout, /vault-transit\s+vault-transit @ http:\/\/127\.0\.0\.1:\d+\s+cairn-e2e/);
    // The key object holds Vault's ciphertext and the sealed master key, nothing in clear.
    const object = JSON.parse(readFileSync(join(f.repo, 'keys', k!.id), 'utf8')) as Record<string, unknown>;
    assert.match(String((object.provider as { ciphertext: string }).ciphertext), /^vault:v1:/);
    // Another Transit key, or a passphrase, does not open it; the messages say which key was tried.
    const other = await cli(f, ['snapshots', '--json'], { ...env, CAIRN_KEY_PROVIDER: 'vault-transit:other' });
    assert.equal(other.code, 1);
    assert.equal(jsonError(other).code, 'CAIRN_E_WRONG_KEY');
    assert.match(jsonError(other).message, /vault-transit key "other".*"cairn-e2e"/);
    const pw = await cli(f, ['snapshots', '--json'], { ...env, CAIRN_KEY_PROVIDER: undefined, CAIRN_PASSWORD: 'x' });
    assert.equal(jsonError(pw).code, 'CAIRN_E_WRONG_KEY');
  });

  it('a refusing provider is not a wrong key: a revoked Vault token or no Vault is CAIRN_E_KEY_PROVIDER with address and key', async () => {
    const vault = await startFakeVault();
    try {
      const own = { VAULT_ADDR: vault.url, VAULT_TOKEN: vault.token };
      const { f, env } = await providerRepo('vault-transit:revoked-e2e', own);
      vault.revokeToken();
      const message = providerFailure(await cli(f, ['snapshots', '--json'], env));
      assert.ok(message.includes(`vault-transit key "revoked-e2e" at ${vault.url}/v1/transit`), message);
      assert.match(message, /decrypt .*HTTP 403: permission denied/);
      // No Vault at the address at all.
      const down = await cli(f, ['snapshots', '--json'], { ...env, VAULT_ADDR: 'http://127.0.0.1:9' });
      assert.match(providerFailure(down), /at http:\/\/127\.0\.0\.1:9\/v1\/transit: .*Vault is unreachable/);
    } finally {
      await vault.close();
    }
  });

  it('without VAULT_ADDR or a token: exit 2 saying which setting is missing', async () => {
    const f = fixture({ init: false });
    for (const [unset, says] of [
      ['VAULT_ADDR', /VAULT_ADDR/],
      ['VAULT_TOKEN', /VAULT_TOKEN or CAIRN_VAULT_TOKEN_FILE/],
    ] as const) {
      const r = await cli(f, ['init', '--key-provider', 'vault-transit:cairn', '--json'], {
        ...p.env,
        [unset]: undefined,
      });
      assert.equal(r.code, 2, r.stderr);
      assert.equal(jsonError(r).code, 'CAIRN_E_NO_SECRET');
      assert.match(jsonError(r).message, says);
    }
    const bad = await cli(f, ['init', '--key-provider', 'vault:cairn', '--json'], p.env);
    assert.equal(bad.code, 2);
    assert.equal(jsonError(bad).code, 'CAIRN_E_USAGE');
  });
});

describe('AWS KMS key provider (cairn CLI against the fake KMS)', () => {
  let key: FakeKmsKey;
  before(() => {
    key = p.kms.createKey('cairn-e2e');
  });

  it('init, snapshot and restore with aws-kms:alias/NAME (endpoint from AWS_ENDPOINT_URL_KMS)', async () => {
    const before = p.kms.requests.length;
    const viaSdkVar = { CAIRN_KMS_ENDPOINT: undefined, AWS_ENDPOINT_URL_KMS: p.kms.url };
    const { f, snapshot, env } = await providerRepo('aws-kms:alias/cairn-e2e', viaSdkVar);
    await assertRestores(f, snapshot, env);
    const sent = p.kms.requests.slice(before);
    assert.deepEqual([...new Set(sent.map((r) => r.target))].sort(), ['TrentService.Decrypt', 'TrentService.Encrypt']);
    const [k] = await listKeys(f, env);
    assert.equal(k?.kind, 'aws-kms');
    assert.equal(k?.provider?.key, key.arn, 'key list shows the ARN KMS answered with');
    const enc = sent.find((r) => r.target === 'TrentService.Encrypt')!;
    assert.equal(Buffer.from(String(enc.body?.Plaintext), 'base64').length, 32, 'only the KEK');
    const context = (enc.body?.EncryptionContext ?? {}) as Record<string, string>;
    assert.deepEqual(Object.keys(context).sort(), ['cairn:key', 'cairn:repository']);
    assert.equal(context['cairn:key'], k?.id);
    // The key's ARN opens the repository the alias made (CAIRN_KMS_ENDPOINT this time).
    await ok(f, ['snapshots', '--json'], { ...env, ...p.env, CAIRN_KEY_PROVIDER: `aws-kms:${key.arn}` });
  });

  it('a refusing provider is not a wrong key: KMS AccessDenied, a disabled key, KMS unreachable', async () => {
    const { f, env } = await providerRepo('aws-kms:alias/cairn-e2e');
    p.kms.denyDecrypt(true);
    try {
      const r = await cli(f, ['snapshots', '--json'], env);
      const message = providerFailure(r);
      assert.ok(message.includes(`aws-kms key "alias/cairn-e2e" at ${p.kms.url}`), message);
      assert.match(
        message,
        /AccessDeniedException: User: arn:aws:iam::\d+:user\/\S+ is not authorized to perform: kms:Decrypt/,
      );
    } finally {
      p.kms.denyDecrypt(false);
    }
    p.kms.disableKey(key.id);
    try {
      const r = await cli(f, ['snapshots', '--json'], env);
      assert.match(providerFailure(r), /DisabledException: .* is disabled/);
    } finally {
      p.kms.disableKey(key.id, false);
    }
    const down = await cli(f, ['snapshots', '--json'], { ...env, CAIRN_KMS_ENDPOINT: 'http://127.0.0.1:9' });
    assert.match(
      providerFailure(down),
      /aws-kms key "alias\/cairn-e2e" at http:\/\/127\.0\.0\.1:9: .*KMS is unreachable/,
    );
    await ok(f, ['snapshots', '--json'], env);
  });

  it('a key is bound to its repository: moved to another key id or repository, KMS refuses it (EncryptionContext)', async () => {
    const { f, env } = await providerRepo('aws-kms:alias/cairn-e2e');
    const [id] = readdirSync(join(f.repo, 'keys'));
    const path = join(f.repo, 'keys', id!);
    const original = readFileSync(path, 'utf8');
    const object = JSON.parse(original) as Record<string, unknown>;
    chmodSync(path, 0o600);
    writeFileSync(path, JSON.stringify({ ...object, repository: 'f'.repeat(64) }));
    const r = await cli(f, ['snapshots', '--json'], env);
    assert.match(providerFailure(r), /InvalidCiphertextException/);
    // The same bytes under another key object id.
    writeFileSync(path, original);
    renameSync(path, join(f.repo, 'keys', 'ffffffffffffffff'));
    const moved = await cli(f, ['snapshots', '--json'], env);
    assert.match(providerFailure(moved), /InvalidCiphertextException/);
    renameSync(join(f.repo, 'keys', 'ffffffffffffffff'), path);
    await ok(f, ['snapshots', '--json'], env);
  });
});
