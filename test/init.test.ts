import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertExit, countObjects, jsonError } from './e2e.js';
import { fixture } from './helpers.js';

const NO_SECRET = { CAIRN_PASSWORD: undefined, CAIRN_PASSWORD_FILE: undefined, CAIRN_KEY_FILE: undefined };

describe('cairn init', () => {
  it('creates a repository that the same passphrase opens', () => {
    const f = fixture({ init: false });
    const r = f.cli(['init', '--json']);
    assertExit(r, 0);
    const doc = r.json<{ repository: string; id: string; key: string }>();
    assert.equal(doc.repository, f.repo);
    assert.match(doc.id, /^[0-9a-f]{64}$/);
    assert.ok(existsSync(join(f.repo, 'config')));
    assert.deepEqual(readdirSync(join(f.repo, 'keys')), [doc.key]);
    assertExit(f.cli(['snapshots', '--json']), 0);
  });

  it('refuses to initialise a repository twice, and the first one still opens', () => {
    const f = fixture();
    const config = readFileSync(join(f.repo, 'config'));
    const r = f.cli(['init', '--json'], { env: { CAIRN_PASSWORD: 'another passphrase' } });
    assertExit(r, 1);
    assert.equal(jsonError(r).code, 'CAIRN_E_REPO_EXISTS');
    assert.match(r.stderr, /CAIRN_E_REPO_EXISTS/);
    assert.deepEqual(readFileSync(join(f.repo, 'config')), config);
    assert.equal(countObjects(f, 'keys'), 1);
    assertExit(f.cli(['snapshots']), 0);
    assertExit(f.cli(['snapshots'], { env: { CAIRN_PASSWORD: 'another passphrase' } }), 1);
  });

  it('with --key-file F creates F (mode 0600) when it is missing, and only F opens the repository', () => {
    const f = fixture({ init: false });
    const keyFile = join(f.dir, 'repo.key');
    const r = f.cli(['init', '--key-file', keyFile, '--json'], { env: NO_SECRET });
    assertExit(r, 0);
    assert.ok(existsSync(keyFile), 'key file created');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.ok(readFileSync(keyFile).length >= 32);
    assert.match(r.stderr, /created key file/);
    assertExit(f.cli(['snapshots', '--key-file', keyFile, '--json'], { env: NO_SECRET }), 0);
    const withPassword = f.cli(['snapshots', '--json']);
    assertExit(withPassword, 1);
    assert.equal(jsonError(withPassword).code, 'CAIRN_E_WRONG_KEY');
  });

  it('a refused init with --key-file F leaves no new F behind and does not ask to keep it', () => {
    const f = fixture();
    const keyFile = join(f.dir, 'stray.key');
    const r = f.cli(['init', '--key-file', keyFile, '--json'], { env: NO_SECRET });
    assertExit(r, 1);
    assert.equal(jsonError(r).code, 'CAIRN_E_REPO_EXISTS');
    assert.ok(!existsSync(keyFile), 'no key file for a repository that was not created');
    assert.doesNotMatch(r.stderr, /created key file/);
  });

  it('with --key-file F uses an existing F as it is', () => {
    const f = fixture({ init: false });
    const keyFile = f.write('my.key', `${Buffer.alloc(32, 7).toString('base64')}\n`);
    const before = readFileSync(keyFile);
    assertExit(f.cli(['init', '--key-file', keyFile], { env: NO_SECRET }), 0);
    assert.deepEqual(readFileSync(keyFile), before);
    const copy = f.write('copy.key', before);
    assertExit(f.cli(['snapshots'], { env: { ...NO_SECRET, CAIRN_KEY_FILE: copy } }), 0);
  });

  it('takes the passphrase from --password-file', () => {
    const f = fixture({ init: false });
    const pw = f.write('pw.txt', 'from a file\n');
    assertExit(f.cli(['init', '--password-file', pw], { env: NO_SECRET }), 0);
    assertExit(f.cli(['snapshots'], { env: { ...NO_SECRET, CAIRN_PASSWORD: 'from a file' } }), 0);
  });

  it('without a usable secret (none and no terminal, a key file it cannot create) exits 2 and creates nothing', () => {
    const f = fixture({ init: false });
    const r = f.cli(['init', '--json'], { env: NO_SECRET });
    assertExit(r, 2);
    assert.equal(jsonError(r).code, 'CAIRN_E_NO_SECRET');
    assert.ok(!existsSync(join(f.repo, 'config')));
    const nowhere = f.cli(['init', '--key-file', join(f.dir, 'no-such-folder', 'k.key'), '--json'], { env: NO_SECRET });
    assertExit(nowhere, 2);
    assert.equal(jsonError(nowhere).code, 'CAIRN_E_NO_SECRET');
    assert.ok(!existsSync(join(f.repo, 'config')));
  });

  it('refuses an empty password file', () => {
    const f = fixture({ init: false });
    const pw = f.write('empty.txt', '\n');
    const r = f.cli(['init', '--password-file', pw, '--json'], { env: NO_SECRET });
    assertExit(r, 2);
    assert.equal(jsonError(r).code, 'CAIRN_E_NO_SECRET');
    assert.ok(!existsSync(join(f.repo, 'config')));
  });
});

describe('opening a repository', () => {
  it('with a wrong passphrase, or a key file where a passphrase is needed, exits 1 with CAIRN_E_WRONG_KEY', () => {
    const f = fixture();
    const r = f.cli(['snapshots', '--json'], { env: { CAIRN_PASSWORD: 'not the passphrase' } });
    assertExit(r, 1);
    assert.equal(jsonError(r).code, 'CAIRN_E_WRONG_KEY');
    assert.match(r.stderr, /^cairn: CAIRN_E_WRONG_KEY: /m);
    const keyFile = f.write('k.key', `${Buffer.alloc(32, 9).toString('base64')}\n`);
    const k = f.cli(['snapshots', '--key-file', keyFile, '--json']);
    assertExit(k, 1);
    assert.equal(jsonError(k).code, 'CAIRN_E_WRONG_KEY');
    const missing = f.cli(['snapshots', '--key-file', join(f.dir, 'missing.key'), '--json']);
    assertExit(missing, 2);
    assert.equal(jsonError(missing).code, 'CAIRN_E_NO_SECRET');
  });

  it('with a wrong key file exits 1 with CAIRN_E_WRONG_KEY', () => {
    const f = fixture({ init: false });
    const good = join(f.dir, 'good.key');
    assertExit(f.cli(['init', '--key-file', good], { env: NO_SECRET }), 0);
    const bad = f.write('bad.key', `${Buffer.alloc(32, 1).toString('base64')}\n`);
    const r = f.cli(['snapshots', '--key-file', bad, '--json'], { env: NO_SECRET });
    assertExit(r, 1);
    assert.equal(jsonError(r).code, 'CAIRN_E_WRONG_KEY');
    assert.match(jsonError(r).message, /key file/);
  });

  it('without any secret and no terminal exits 2 with CAIRN_E_NO_SECRET', () => {
    const f = fixture();
    for (const cmd of [['snapshot'], ['key', 'list']]) {
      const r = f.cli([...cmd, '--json'], { env: NO_SECRET });
      assertExit(r, 2);
      assert.equal(jsonError(r).code, 'CAIRN_E_NO_SECRET', cmd.join(' '));
      assert.match(r.stderr, /CAIRN_E_NO_SECRET/);
    }
  });

  it('at a path that is not a repository exits 1 with CAIRN_E_NO_REPOSITORY', () => {
    const f = fixture({ init: false });
    const empty = join(f.dir, 'empty');
    mkdirSync(empty);
    const aFile = f.write('plain.txt', 'hello');
    for (const where of [join(f.dir, 'missing'), empty, f.src, aFile]) {
      const r = f.cli(['snapshots', '--repo', where, '--json']);
      assertExit(r, 1);
      assert.equal(jsonError(r).code, 'CAIRN_E_NO_REPOSITORY', where);
    }
    const env = f.cli(['key', 'list', '--json'], { env: { CAIRN_REPOSITORY: empty } });
    assertExit(env, 1);
    assert.equal(jsonError(env).code, 'CAIRN_E_NO_REPOSITORY');
    assert.ok(!existsSync(join(f.dir, 'missing')), 'opening does not create the folder');
  });

  it('--repo wins over CAIRN_REPOSITORY', () => {
    const f = fixture({ init: false });
    const other = join(f.dir, 'other-repo');
    assertExit(f.cli(['init', '--repo', other]), 0);
    assert.ok(existsSync(join(other, 'config')));
    assert.ok(!existsSync(join(f.repo, 'config')));
  });
});
