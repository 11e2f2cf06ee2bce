/**
 * `cairn key rotate` end to end: scrypt → Vault Transit → AWS KMS → key file, each step retiring the
 * wrapper that opened the repository, with every packs/, index/ and snapshots/ object byte-identical
 * throughout; --keep-old; and a new wrapper that cannot be proven leaves the old one in place.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jsonError } from './e2e.js';
import { type Fixture, fixture } from './helpers.js';
import { cli, dataObjects, type Env, listKeys, NO_SECRET, ok, type Providers, startProviders } from './key-cli.js';

interface Rotated {
  added: { id: string; kind: string; provider?: { key: string } };
  retired: string | null;
  kept: string | null;
}

let p: Providers;
before(async () => {
  p = await startProviders();
  p.kms.createKey('rotate-e2e');
});
after(() => p.close());

async function rotate(f: Fixture, opening: Env, args: readonly string[]): Promise<Rotated> {
  return (await ok(f, ['key', 'rotate', '--json', ...args], { ...p.env, ...opening })).json<Rotated>();
}

function keyIds(f: Fixture): string[] {
  return readdirSync(join(f.repo, 'keys')).sort();
}

describe('cairn key rotate', () => {
  it('rotation rewrites no data: scrypt → vault → kms → key file, each step retiring the opener', async () => {
    const f = fixture();
    const pw = { CAIRN_PASSWORD: 'test passphrase' };
    await ok(f, ['snapshot', '--json'], pw);
    const data = dataObjects(f);
    const config = readFileSync(join(f.repo, 'config'));
    assert.ok([...data.keys()].some((k) => k.startsWith('packs/')) && data.size >= 4, [...data.keys()].join(' '));
    const [scryptKey] = keyIds(f);

    const toVault = await rotate(f, pw, ['--new-key-provider', 'vault-transit:rotate-e2e']);
    assert.equal(toVault.added.kind, 'vault-transit');
    assert.equal(toVault.retired, scryptKey);
    assert.deepEqual(keyIds(f), [toVault.added.id]);
    const oldPw = await cli(f, ['snapshots', '--json'], pw);
    assert.equal(jsonError(oldPw).code, 'CAIRN_E_WRONG_KEY', 'the retired passphrase opens nothing');

    const vault = { ...NO_SECRET, CAIRN_KEY_PROVIDER: 'vault-transit:rotate-e2e' };
    const toKms = await rotate(f, vault, ['--new-key-provider', 'aws-kms:alias/rotate-e2e', '--label', 'kms']);
    assert.equal(toKms.added.kind, 'aws-kms');
    assert.equal(toKms.retired, toVault.added.id);
    assert.deepEqual(keyIds(f), [toKms.added.id]);

    const keyFile = join(f.dir, 'rotated.key');
    const kms = { ...NO_SECRET, CAIRN_KEY_PROVIDER: 'aws-kms:alias/rotate-e2e' };
    const toFile = await rotate(f, kms, ['--new-key-file', keyFile]);
    assert.equal(toFile.added.kind, 'keyfile');
    assert.equal(toFile.retired, toKms.added.id);
    assert.ok(existsSync(keyFile));
    assert.deepEqual(keyIds(f), [toFile.added.id]);

    const viaFile = { ...NO_SECRET, CAIRN_KEY_FILE: keyFile };
    assert.deepEqual(dataObjects(f), data, 'every packs/, index/ and snapshots/ object is byte-identical');
    assert.deepEqual(readFileSync(join(f.repo, 'config')), config);
    const [only] = await listKeys(f, { ...p.env, ...viaFile });
    assert.deepEqual([only?.id, only?.kind, only?.current], [toFile.added.id, 'keyfile', true]);
    const snaps = (await ok(f, ['snapshots', '--json'], viaFile)).json<{ snapshots: Array<{ id: string }> }>();
    const out = join(f.dir, 'restored');
    await ok(f, ['restore', snaps.snapshots[0]!.id, '--target', out, '--json'], viaFile);
    assert.ok(readdirSync(out).length > 0);
  });

  it('--keep-old keeps the opener; the new passphrase (argon2id) and the old both open', async () => {
    const f = fixture();
    const [old] = keyIds(f);
    const r = await rotate(f, { CAIRN_PASSWORD: 'test passphrase', CAIRN_NEW_PASSWORD: 'next one' }, [
      '--kdf',
      'argon2id',
      '--keep-old',
    ]);
    assert.equal(r.retired, null);
    assert.equal(r.kept, old);
    assert.equal(r.added.kind, 'password');
    assert.equal(keyIds(f).length, 2);
    await ok(f, ['snapshots'], { CAIRN_PASSWORD: 'next one' });
    await ok(f, ['snapshots'], { CAIRN_PASSWORD: 'test passphrase' });
    const human = await ok(f, ['key', 'rotate', '--new-key-file', join(f.dir, 'k'), '--keep-old']);
    assert.match(human.stdout, /^added key [0-9a-f]{16} \(keyfile, hkdf-sha256\); kept key [0-9a-f]{16}/);
  });

  it('a provider that refuses to wrap, or to unwrap what it wrapped, retires nothing and leaves no new key', async () => {
    const f = fixture();
    const before = keyIds(f);
    const pw = { CAIRN_PASSWORD: 'test passphrase' };
    // Encrypt denied: nothing is wrapped. Encrypt works, Decrypt is denied: the proof fails, the new
    // wrapper is removed, the old one stays.
    const denials = [
      ['encrypt', (on: boolean) => p.kms.denyEncrypt(on)],
      ['decrypt', (on: boolean) => p.kms.denyDecrypt(on)],
    ] as const;
    for (const [op, deny] of denials) {
      deny(true);
      try {
        const r = await cli(f, ['key', 'rotate', '--new-key-provider', 'aws-kms:alias/rotate-e2e', '--json'], {
          ...p.env,
          ...pw,
        });
        assert.equal(r.code, 1, op);
        assert.equal(jsonError(r).code, 'CAIRN_E_KEY_PROVIDER');
        assert.match(jsonError(r).message, new RegExp(`${op} .*AccessDeniedException`));
      } finally {
        deny(false);
      }
      assert.deepEqual(keyIds(f), before, op);
    }
    await ok(f, ['snapshots'], pw);
  });

  it('needs a new secret (exit 2), and refuses to run through a server', async () => {
    const f = fixture();
    const none = await cli(f, ['key', 'rotate', '--json'], { CAIRN_NEW_PASSWORD: undefined });
    assert.equal(none.code, 2);
    assert.equal(jsonError(none).code, 'CAIRN_E_USAGE');
    const remote = await cli(f, ['key', 'rotate', '--json'], { CAIRN_SERVER: 'https://127.0.0.1:9' });
    assert.equal(remote.code, 2);
    assert.match(jsonError(remote).message, /not through a server/);
    assert.equal(keyIds(f).length, 1);
  });
});
