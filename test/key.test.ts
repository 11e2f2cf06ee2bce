import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertExit, countObjects, jsonError } from './e2e.js';
import { type Fixture, fixture } from './helpers.js';

interface Key {
  id: string;
  kind: 'password' | 'keyfile';
  created: string;
  host: string;
  user: string;
  label?: string;
  current: boolean;
}

const NO_SECRET = { CAIRN_PASSWORD: undefined, CAIRN_PASSWORD_FILE: undefined, CAIRN_KEY_FILE: undefined };

function keys(f: Fixture, env: Record<string, string | undefined> = {}): Key[] {
  const r = f.cli(['key', 'list', '--json'], { env });
  assertExit(r, 0);
  return r.json<{ keys: Key[] }>().keys;
}

function added(f: Fixture, args: readonly string[], env: Record<string, string | undefined> = {}): Key {
  const r = f.cli(['key', 'add', '--json', ...args], { env });
  assertExit(r, 0);
  const k = r.json<Key>();
  assert.match(k.id, /^[0-9a-f]{16}$/);
  return k;
}

describe('cairn key list', () => {
  it('lists the one key of a new repository, marked as the one in use', () => {
    const f = fixture();
    const [k, ...rest] = keys(f);
    assert.deepEqual(rest, []);
    assert.ok(k);
    assert.equal(k.kind, 'password');
    assert.equal(k.current, true);
    assert.ok(!Number.isNaN(Date.parse(k.created)));
    assert.ok(k.user && k.host);
    const human = f.cli(['key', 'list']);
    assertExit(human, 0);
    assert.match(human.stdout, new RegExp(`^\\*\\s+${k.id}\\s+password`, 'm'));
  });
});

describe('cairn key add', () => {
  it('--new-password-file adds a passphrase that opens the repository; the old one still does', () => {
    const f = fixture();
    const pw = f.write('new-pw.txt', 'second passphrase\n');
    const k = added(f, ['--new-password-file', pw, '--label', 'ops vault']);
    assert.equal(k.kind, 'password');
    assert.equal(k.label, 'ops vault');
    assert.equal(countObjects(f, 'keys'), 2);
    const listed = keys(f, { CAIRN_PASSWORD: 'second passphrase' });
    assert.equal(listed.length, 2);
    assert.deepEqual(
      listed.filter((x) => x.current).map((x) => x.id),
      [k.id],
      'the new passphrase unlocks through the new key',
    );
    assert.equal(listed.find((x) => x.id === k.id)?.label, 'ops vault');
    assert.notEqual(keys(f).find((x) => x.current)?.id, k.id, 'the old passphrase still opens, through its own key');
  });

  it('--new-key-file creates a missing key file (mode 0600) that then opens the repository', () => {
    const f = fixture();
    const keyFile = join(f.dir, 'added.key');
    const k = added(f, ['--new-key-file', keyFile]);
    assert.equal(k.kind, 'keyfile');
    assert.ok(existsSync(keyFile));
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const listed = keys(f, { ...NO_SECRET, CAIRN_KEY_FILE: keyFile });
    assert.deepEqual(
      listed.filter((x) => x.current).map((x) => x.id),
      [k.id],
    );
  });

  it('--new-key-file uses an existing key file as it is', () => {
    const f = fixture();
    const keyFile = f.write('existing.key', `# a comment\n${Buffer.alloc(32, 3).toString('base64')}\n`);
    const before = readFileSync(keyFile);
    added(f, ['--new-key-file', keyFile]);
    assert.deepEqual(readFileSync(keyFile), before);
    assertExit(f.cli(['snapshots', '--key-file', keyFile], { env: NO_SECRET }), 0);
  });

  it('CAIRN_NEW_PASSWORD adds a passphrase', () => {
    const f = fixture();
    const k = added(f, [], { CAIRN_NEW_PASSWORD: 'from the environment' });
    assert.equal(k.kind, 'password');
    const listed = keys(f, { CAIRN_PASSWORD: 'from the environment' });
    assert.equal(listed.find((x) => x.current)?.id, k.id);
  });

  it('without a usable new secret (none given, no terminal, a file that cannot be read) exits 2 and adds nothing', () => {
    const f = fixture();
    const r = f.cli(['key', 'add', '--json'], { env: { CAIRN_NEW_PASSWORD: undefined } });
    assertExit(r, 2);
    assert.equal(jsonError(r).code, 'CAIRN_E_USAGE');
    assert.match(r.stderr, /--new-password-file/);
    for (const args of [
      ['--new-password-file', join(f.dir, 'missing.txt')],
      ['--new-key-file', join(f.dir, 'no-such-folder', 'k.key')],
      ['--new-key-file', f.dir],
    ]) {
      const bad = f.cli(['key', 'add', '--json', ...args]);
      assertExit(bad, 2);
      assert.equal(jsonError(bad).code, 'CAIRN_E_USAGE', args.join(' '));
      assert.match(jsonError(bad).message, new RegExp(`^${args[0]} `));
    }
    assert.equal(countObjects(f, 'keys'), 1);
  });

  it('needs the current secret: a wrong passphrase adds nothing', () => {
    const f = fixture();
    const r = f.cli(['key', 'add', '--json'], {
      env: { CAIRN_PASSWORD: 'wrong', CAIRN_NEW_PASSWORD: 'attacker' },
    });
    assertExit(r, 1);
    assert.equal(jsonError(r).code, 'CAIRN_E_WRONG_KEY');
    assert.equal(countObjects(f, 'keys'), 1);
  });
});

describe('cairn key remove', () => {
  it('removes another key, which then no longer opens the repository', () => {
    const f = fixture();
    const k = added(f, [], { CAIRN_NEW_PASSWORD: 'temporary' });
    const r = f.cli(['key', 'remove', k.id.slice(0, 8), '--json']);
    assertExit(r, 0);
    assert.deepEqual(r.json(), { removed: k.id.slice(0, 8) });
    assert.equal(countObjects(f, 'keys'), 1);
    const old = f.cli(['snapshots', '--json'], { env: { CAIRN_PASSWORD: 'temporary' } });
    assertExit(old, 1);
    assert.equal(jsonError(old).code, 'CAIRN_E_WRONG_KEY');
  });

  it('refuses the key in use', () => {
    const f = fixture();
    const other = added(f, [], { CAIRN_NEW_PASSWORD: 'another' });
    const current = keys(f).find((k) => k.current)!;
    assert.notEqual(current.id, other.id);
    const r = f.cli(['key', 'remove', current.id, '--json']);
    assertExit(r, 1);
    assert.equal(jsonError(r).code, 'CAIRN_E_KEY_IN_USE');
    assert.match(jsonError(r).message, /in use|unlocked with/);
    assert.equal(countObjects(f, 'keys'), 2);
    // Through the other key it can go.
    assertExit(f.cli(['key', 'remove', current.id], { env: { CAIRN_PASSWORD: 'another' } }), 0);
    assert.equal(countObjects(f, 'keys'), 1);
  });

  it('refuses the last key, and an unknown key id', () => {
    const f = fixture();
    const [only] = keys(f);
    const r = f.cli(['key', 'remove', only!.id, '--json']);
    assertExit(r, 1);
    assert.equal(jsonError(r).code, 'CAIRN_E_KEY_IN_USE');
    assert.match(jsonError(r).message, /last key/);
    assert.equal(countObjects(f, 'keys'), 1);
    const unknown = f.cli(['key', 'remove', 'ffffffff', '--json']);
    assertExit(unknown, 1);
    assert.equal(jsonError(unknown).code, 'CAIRN_E_NOT_FOUND');
    assert.equal(countObjects(f, 'keys'), 1);
  });
});
