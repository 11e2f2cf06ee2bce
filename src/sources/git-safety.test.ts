/** The git source's guards: size limits, a hostile url, the environment git gets, the cache lock. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isCairnError } from '../errors/index.js';
import { makePathFilter, parsePolicy } from '../policy/index.js';
import { catBlobs } from './git-cat.js';
import { lockCache } from './git-lock.js';
import { GIT_LIMITS, gitEnv, parseLsTree, readGitSource } from './git-source.js';
import { git, gitSource, makeGitRepo } from './test-support.js';

const repo = makeGitRepo();
const cache = mkdtempSync(join(tmpdir(), 'cairn-git-cache-'));
after(() => {
  rmSync(repo, { recursive: true, force: true });
  rmSync(cache, { recursive: true, force: true });
});
const all = makePathFilter([], []);

const sourceError = (pattern: RegExp) => (err: unknown) => {
  assert.ok(isCairnError(err, 'CAIRN_E_SOURCE'), String(err));
  assert.match(err.message, pattern);
  return true;
};

describe('git source limits', () => {
  test('a file over the per-file limit fails the source naming the file, its size and the limit', async () => {
    // scripts/apply.sh is 26 bytes, the .tf files 31, README.md 6.
    await assert.rejects(
      readGitSource(gitSource({ path: repo, subdir: 'scripts' }), all, 'iac', {}, { maxFile: 20, maxTotal: 1000 }),
      sourceError(/apply\.sh is 26 bytes at [0-9a-f]{12}, over the limit of 20 bytes per file/),
    );
    const r = await readGitSource(gitSource({ path: repo }), all, 'iac', {}, { maxFile: 31, maxTotal: 1000 });
    assert.ok(r.entries.length > 0);
    assert.ok(GIT_LIMITS.maxFile >= 64 * 1024 * 1024);
  });

  test('more than the total limit fails the source before anything is read', async () => {
    await assert.rejects(
      readGitSource(gitSource({ path: repo }), all, 'iac', {}, { maxFile: 1000, maxTotal: 50 }),
      sourceError(/the 6 files at [0-9a-f]{12} are \d+ bytes, over the limit of 50 bytes/),
    );
  });

  test('cat-file: a blob over maxFile and a cancelled read reject (no exception escapes)', async () => {
    const oid = git(repo, 'rev-parse', 'main:scripts/apply.sh');
    const env = gitEnv(process.env);
    await assert.rejects(catBlobs(repo, [oid], env, { timeoutMs: 10_000, maxFile: 10 }), /26 bytes, over the limit/);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      catBlobs(repo, [oid], env, { timeoutMs: 10_000, maxFile: 100, signal: controller.signal }),
      /cancelled/,
    );
    const ok = await catBlobs(repo, [oid], env, { timeoutMs: 10_000, maxFile: 100 });
    assert.equal(ok.get(oid)!.toString(), '#!/bin/sh\nterraform apply\n');
  });

  test('ls-tree --long records parse with their sizes; garbage is an error, not a crash', () => {
    const out = Buffer.from('100644 blob abc123     26\ta b.sh\x00160000 commit def456       -\tsub\x00');
    assert.deepEqual(parseLsTree(out), [
      { mode: '100644', type: 'blob', oid: 'abc123', size: 26, path: 'a b.sh' },
      { mode: '160000', type: 'commit', oid: 'def456', size: undefined, path: 'sub' },
    ]);
    assert.throws(() => parseLsTree(Buffer.from('nonsense\x00')), /unexpected git ls-tree output/);
  });
});

describe('git source hardening', () => {
  test('the policy refuses a git url starting with "-"', () => {
    const policy = (url: string) => `version: 1
governance: { retentionClasses: { internal: { keep: 30d } } }
tiers:
  0: { retentionClass: internal }
items:
  - { name: iac, owner: team, tier: 0, sources: [{ git: { url: "${url}", ref: main } }] }
`;
    assert.throws(
      () => parsePolicy(policy('--upload-pack=touch /tmp/x'), 'cairn.yaml'),
      (err: unknown) => {
        assert.ok(isCairnError(err, 'CAIRN_E_POLICY_INVALID'), String(err));
        assert.match(JSON.stringify(err.details), /must not start with \\"-\\"/);
        return true;
      },
    );
    parsePolicy(policy('https://git.example.com/iac.git'), 'cairn.yaml');
  });

  test('a url starting with "-" reaches git as a url, never as an option', async () => {
    const marker = join(cache, 'pwned');
    const src = gitSource({ url: `--upload-pack=touch ${marker}`, ref: 'main' });
    await assert.rejects(readGitSource(src, all, 'iac', { gitCache: cache }), sourceError(/--upload-pack/));
    assert.equal(existsSync(marker), false);
  });

  test('git gets an allowlisted environment: no GIT_CONFIG_* injection, no system config, no prompt', async () => {
    const env = gitEnv({
      PATH: '/bin',
      HOME: '/h',
      HTTPS_PROXY: 'http://proxy:3128',
      SSH_AUTH_SOCK: '/s',
      GIT_DIR: '/elsewhere',
      GIT_CONFIG_PARAMETERS: "'core.pager'='x'",
      AWS_SECRET_ACCESS_KEY: 'nope',
    });
    assert.deepEqual(env, {
      PATH: '/bin',
      HOME: '/h',
      HTTPS_PROXY: 'http://proxy:3128',
      SSH_AUTH_SOCK: '/s',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: 'true',
    });
    // Configuration from the environment that would send the fetch elsewhere is not passed on.
    const hostile = {
      ...process.env,
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: `url.file:///nonexistent${repo}.insteadOf`,
      GIT_CONFIG_VALUE_0: `file://${repo}`,
    };
    const r = await readGitSource(gitSource({ url: `file://${repo}`, ref: 'v1' }), all, 'iac', {
      gitCache: cache,
      env: hostile,
    });
    assert.ok(r.entries.some((e) => e.path === 'README.md'));
  });

  test('concurrent fetches into one cache repository all succeed', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'cairn-git-cache-'));
    try {
      const refs = ['main', 'v1', 'feature', 'main', 'v1', 'feature'];
      const results = await Promise.all(
        refs.map((ref) => readGitSource(gitSource({ url: `file://${repo}`, ref }), all, 'iac', { gitCache: fresh })),
      );
      assert.equal(results.length, refs.length);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  test('a held cache lock makes the fetch wait; a lock whose process is gone is taken over', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'cairn-git-cache-'));
    try {
      const url = `file://${repo}`;
      // Fill the cache once to learn the cache folder's name (the only entry besides locks).
      await readGitSource(gitSource({ url, ref: 'main' }), all, 'iac', { gitCache: fresh });
      const dir = join(fresh, readdirSync(fresh)[0]!);
      const release = await lockCache(dir, 1000, 60_000);
      assert.ok(release);
      await assert.rejects(
        readGitSource(gitSource({ url, ref: 'main', timeoutMs: 300 }), all, 'iac', { gitCache: fresh }),
        sourceError(/stayed locked by another fetch for 300 ms/),
      );
      let done = false;
      const waiting = readGitSource(gitSource({ url, ref: 'main' }), all, 'iac', { gitCache: fresh }).then((r) => {
        done = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(done, false);
      release();
      assert.ok((await waiting).entries.length > 0);

      // A lock left by a process that no longer exists (pid 2^22 + 1 is above Linux's pid_max default).
      mkdirSync(`${dir}.lock`);
      writeFileSync(join(`${dir}.lock`, 'owner'), `4194305 ${hostname()}\n`);
      const r = await readGitSource(gitSource({ url, ref: 'main', timeoutMs: 5_000 }), all, 'iac', { gitCache: fresh });
      assert.ok(r.entries.length > 0);
      assert.equal(existsSync(`${dir}.lock`), false);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});
