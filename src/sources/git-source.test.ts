import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isCairnError } from '../errors/index.js';
import { makePathFilter } from '../policy/index.js';
import { readGitSource } from './git-source.js';
import { git, gitSource, makeGitRepo } from './test-support.js';
import type { SourceResult } from './types.js';

const repo = makeGitRepo();
const cache = mkdtempSync(join(tmpdir(), 'cairn-git-cache-'));
after(() => {
  rmSync(repo, { recursive: true, force: true });
  rmSync(cache, { recursive: true, force: true });
});

const all = makePathFilter([], []);
const files = (r: SourceResult) =>
  Object.fromEntries(r.entries.filter((e) => e.type === 'file').map((e) => [e.path, e.content!.toString('utf8')]));

describe('git source', () => {
  test('path form at a branch: every file with its content, modes from the tree, symlinks, folders', async () => {
    const r = await readGitSource(gitSource({ path: repo, ref: 'main' }), all, 'iac');
    assert.deepEqual(Object.keys(files(r)).sort(), [
      'README.md',
      'envs/dev/main.tf',
      'envs/prod/main.tf',
      'envs/prod/vars.tfvars',
      'scripts/apply.sh',
    ]);
    assert.equal(files(r)['envs/prod/vars.tfvars'], 'replicas = 6\n');
    const byPath = new Map(r.entries.map((e) => [e.path, e]));
    assert.equal(byPath.get('scripts/apply.sh')!.mode, 0o755);
    assert.equal(byPath.get('README.md')!.mode, 0o644);
    assert.equal(byPath.get('README.md')!.mtime, 0);
    assert.equal(byPath.get('current.tf')!.type, 'symlink');
    assert.equal(byPath.get('current.tf')!.target, 'envs/prod/main.tf');
    assert.equal(byPath.get('envs/prod')!.type, 'dir');
  });

  test('a tag, a branch and a commit id each give their own tree', async () => {
    const v1 = await readGitSource(gitSource({ path: repo, ref: 'v1', subdir: 'envs/prod' }), all, 'iac');
    assert.deepEqual(files(v1), { 'main.tf': 'resource "x" "y" { count = 1 }\n', 'vars.tfvars': 'replicas = 3\n' });
    const feature = await readGitSource(gitSource({ path: repo, ref: 'feature', subdir: 'envs/prod' }), all, 'iac');
    assert.equal(files(feature)['feature.tf'], 'feature = true\n');
    const sha = git(repo, 'rev-parse', 'v1');
    const bySha = await readGitSource(gitSource({ path: repo, ref: sha, subdir: 'envs/prod' }), all, 'iac');
    assert.deepEqual(files(bySha), files(v1));
  });

  test('include and exclude apply to paths under the subdir', async () => {
    const filter = makePathFilter(['**/*.tf'], ['dev/**']);
    const r = await readGitSource(gitSource({ path: repo, subdir: 'envs' }), filter, 'iac');
    assert.deepEqual(Object.keys(files(r)), ['prod/main.tf']);
  });

  test('url form (file://) fetches into the cache and reads the same tree; a second run reuses the cache', async () => {
    const url = `file://${repo}`;
    const first = await readGitSource(gitSource({ url, ref: 'main' }), all, 'iac', { gitCache: cache });
    const local = await readGitSource(gitSource({ path: repo, ref: 'main' }), all, 'iac');
    assert.deepEqual(files(first), files(local));
    const tagged = await readGitSource(gitSource({ url, ref: 'v1', subdir: 'envs/prod' }), all, 'iac', {
      gitCache: cache,
    });
    assert.equal(files(tagged)['vars.tfvars'], 'replicas = 3\n');
  });

  test('a missing ref is CAIRN_E_SOURCE naming the item, the ref and the repository (path and url forms)', async () => {
    for (const src of [gitSource({ path: repo, ref: 'nope' }), gitSource({ url: `file://${repo}`, ref: 'nope' })]) {
      await assert.rejects(readGitSource(src, all, 'iac', { gitCache: cache }), (err) => {
        assert.ok(isCairnError(err, 'CAIRN_E_SOURCE'), String(err));
        assert.match(err.message, /item iac/);
        assert.match(err.message, /ref nope does not exist/);
        assert.match(err.message, new RegExp(repo));
        return true;
      });
    }
  });

  test('a missing subdir and a folder that is no repository are CAIRN_E_SOURCE', async () => {
    await assert.rejects(
      readGitSource(gitSource({ path: repo, subdir: 'envs/staging' }), all, 'iac'),
      /folder envs\/staging does not exist at main/,
    );
    const empty = mkdtempSync(join(tmpdir(), 'cairn-nogit-'));
    try {
      await assert.rejects(readGitSource(gitSource({ path: empty }), all, 'iac'), (err) =>
        isCairnError(err, 'CAIRN_E_SOURCE'),
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test('a password in the url never reaches the message', async () => {
    const src = gitSource({ url: 'http://user:s3cr3tpass@127.0.0.1:9/x.git', ref: 'main', timeoutMs: 10_000 });
    await assert.rejects(readGitSource(src, all, 'iac', { gitCache: cache }), (err) => {
      assert.ok(isCairnError(err, 'CAIRN_E_SOURCE'));
      assert.doesNotMatch(err.message, /s3cr3tpass/);
      assert.doesNotMatch(JSON.stringify(err.details), /s3cr3tpass/);
      return true;
    });
  });
});
