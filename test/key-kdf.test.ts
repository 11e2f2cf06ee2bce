/**
 * Passphrase KDFs end to end: `--kdf argon2id` on init and key add (parameters recorded in the key
 * object), bad --kdf use as usage errors, and key objects written before issue 4 still opening.
 */
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertExit, countObjects, jsonError } from './e2e.js';
import { type Fixture, fixture } from './helpers.js';

interface KeyObject {
  version: number;
  kind: string;
  kdf: { name: string; m?: number; t?: number; p?: number; v?: number; N?: number; salt: string };
  repository?: string;
  wrapped: string;
}

function keyObjects(f: Fixture): Array<{ id: string; obj: KeyObject }> {
  return readdirSync(join(f.repo, 'keys')).map((id) => ({
    id,
    obj: JSON.parse(readFileSync(join(f.repo, 'keys', id), 'utf8')) as KeyObject,
  }));
}

describe('passphrase KDFs', () => {
  it('init --kdf argon2id records Argon2id (64 MiB, t=3, p=4, v=0x13) and the passphrase opens it', () => {
    const f = fixture({ init: false });
    assertExit(f.cli(['init', '--kdf', 'argon2id', '--json']), 0);
    const { obj } = keyObjects(f)[0]!;
    assert.equal(obj.version, 1);
    assert.equal(obj.kind, 'password');
    assert.deepEqual(
      { ...obj.kdf, salt: undefined },
      { name: 'argon2id', m: 65536, t: 3, p: 4, v: 19, salt: undefined },
    );
    assert.equal(Buffer.from(obj.kdf.salt, 'base64').length, 32);
    assertExit(f.cli(['snapshot', '--json']), 0);
    const list = f.cli(['key', 'list', '--json']);
    assertExit(list, 0);
    const [k] = list.json<{ keys: Array<{ kind: string; kdf: Record<string, unknown> }> }>().keys;
    assert.deepEqual(k?.kdf, { name: 'argon2id', m: 65536, t: 3, p: 4, v: 19 });
    assert.match(f.cli(['key', 'list']).stdout, /password\s+argon2id m=65536 t=3 p=4/);
    const wrong = f.cli(['snapshots', '--json'], { env: { CAIRN_PASSWORD: 'not it' } });
    assertExit(wrong, 1);
    assert.equal(jsonError(wrong).code, 'CAIRN_E_WRONG_KEY');
  });

  it('key add --kdf argon2id next to the scrypt key; either passphrase opens the repository', () => {
    const f = fixture();
    const r = f.cli(['key', 'add', '--kdf', 'argon2id', '--json'], { env: { CAIRN_NEW_PASSWORD: 'argon passphrase' } });
    assertExit(r, 0);
    assert.equal(r.json<{ kdf: { name: string } }>().kdf.name, 'argon2id');
    const names = keyObjects(f)
      .map((k) => k.obj.kdf.name)
      .sort();
    assert.deepEqual(names, ['argon2id', 'scrypt']);
    const viaArgon = f.cli(['key', 'list', '--json'], { env: { CAIRN_PASSWORD: 'argon passphrase' } });
    assertExit(viaArgon, 0);
    const current = viaArgon
      .json<{ keys: Array<{ current: boolean; kdf: { name: string } }> }>()
      .keys.find((k) => k.current);
    assert.equal(current?.kdf.name, 'argon2id');
    assertExit(f.cli(['snapshots']), 0);
  });

  it('an unknown --kdf, or --kdf with a key file or provider, is a usage error that changes nothing', () => {
    const f = fixture();
    for (const args of [
      ['key', 'add', '--kdf', 'pbkdf2'],
      ['key', 'add', '--kdf', 'argon2id', '--new-key-file', join(f.dir, 'k.key')],
      ['key', 'add', '--kdf', 'argon2id', '--new-key-provider', 'vault-transit:x'],
      ['key', 'add', '--new-password-file', join(f.dir, 'a'), '--new-key-file', join(f.dir, 'b')],
    ]) {
      const r = f.cli([...args, '--json'], { env: { CAIRN_NEW_PASSWORD: 'x' } });
      assertExit(r, 2);
      assert.equal(jsonError(r).code, 'CAIRN_E_USAGE', args.join(' '));
    }
    assert.equal(countObjects(f, 'keys'), 1);
    const g = fixture({ init: false });
    const withKeyFile = g.cli(['init', '--kdf', 'argon2id', '--key-file', join(g.dir, 'k.key'), '--json']);
    assertExit(withKeyFile, 2);
    assert.match(jsonError(withKeyFile).message, /--kdf applies to passphrases/);
    const unknown = g.cli(['init', '--kdf', 'md5', '--json']);
    assertExit(unknown, 2);
    assert.match(jsonError(unknown).message, /--kdf md5 is not one of scrypt, argon2id/);
    assert.equal(countObjects(g, 'keys'), 0);
  });

  it('a key object in the format written before key providers (no repository field) still opens', () => {
    const f = fixture();
    const { id, obj } = keyObjects(f)[0]!;
    const { repository: _r, ...old } = obj;
    const path = join(f.repo, 'keys', id);
    chmodSync(path, 0o600);
    writeFileSync(path, JSON.stringify(old, null, 2));
    assert.deepEqual(Object.keys(old).sort(), ['created', 'host', 'id', 'kdf', 'kind', 'user', 'version', 'wrapped']);
    assertExit(f.cli(['snapshot', '--json']), 0);
    const list = f.cli(['key', 'list', '--json']);
    assertExit(list, 0);
    assert.equal(list.json<{ keys: Array<{ kdf: { name: string } }> }>().keys[0]?.kdf.name, 'scrypt');
  });

  it('a key is bound to its repository: a key naming another repository is refused', () => {
    const f = fixture();
    const { id, obj } = keyObjects(f)[0]!;
    assert.match(obj.repository ?? '', /^[0-9a-f]{64}$/);
    const path = join(f.repo, 'keys', id);
    chmodSync(path, 0o600);
    writeFileSync(path, JSON.stringify({ ...obj, repository: 'e'.repeat(64) }));
    const r = f.cli(['snapshots', '--json']);
    assertExit(r, 1);
    assert.equal(jsonError(r).code, 'CAIRN_E_INTEGRITY');
    assert.match(jsonError(r).message, /names repository eeeeeeeeeeee, not this one/);
  });

  it('a key object asking for absurd Argon2id parameters is refused before deriving anything', () => {
    const f = fixture({ init: false });
    assertExit(f.cli(['init', '--kdf', 'argon2id']), 0);
    const { id, obj } = keyObjects(f)[0]!;
    const path = join(f.repo, 'keys', id);
    chmodSync(path, 0o600);
    writeFileSync(path, JSON.stringify({ ...obj, kdf: { ...obj.kdf, m: 64 * 1024 * 1024 } }));
    const r = f.cli(['snapshots', '--json']);
    assertExit(r, 1);
    assert.equal(jsonError(r).code, 'CAIRN_E_REPO_FORMAT');
    assert.match(jsonError(r).message, /argon2id parameters out of bounds/);
  });
});
