import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BUILTIN_EXCLUDES, makePathFilter } from './exclusions.js';

describe('BUILTIN_EXCLUDES', () => {
  const filter = makePathFilter(['**'], BUILTIN_EXCLUDES);
  const file = (p: string) => filter(p, false);
  const dir = (p: string) => filter(p, true);

  test('Terraform: state and lock file are configuration; .terraform/ and state backups are not', () => {
    assert.equal(file('infra/prod/terraform.tfstate'), true);
    assert.equal(file('terraform.tfstate'), true);
    assert.equal(file('infra/prod/.terraform.lock.hcl'), true);
    assert.equal(file('infra/prod/main.tf'), true);
    assert.equal(dir('infra/prod/.terraform'), false);
    assert.equal(dir('.terraform'), false);
    assert.equal(file('infra/prod/.terraform/providers/registry/aws/5.0/terraform-provider-aws'), false);
    assert.equal(file('infra/prod/terraform.tfstate.backup'), false);
    assert.equal(file('infra/prod/.terraform.tfstate.lock.info'), false);
  });

  test('generated trees are pruned at any depth, including the root', () => {
    for (const d of ['node_modules', 'app/node_modules', '.git', 'svc/.git', 'a/__pycache__', '.venv', 'x/.cache']) {
      assert.equal(dir(d), false, d);
    }
    assert.equal(file('app/node_modules/left-pad/index.js'), false);
    assert.equal(file('.git/config'), false);
  });

  test('transient files are dropped', () => {
    for (const f of [
      'a/b.pyc',
      'x.tmp',
      'deploy/.app.yaml.swp',
      'nginx.conf~',
      '.DS_Store',
      'logs/app.log',
      'run/x.pid',
    ]) {
      assert.equal(file(f), false, f);
    }
    assert.equal(dir('home/.aws/cli/cache'), false);
    assert.equal(file('home/.aws/sso/cache/token.json'), false);
    assert.equal(file('.vault-token'), false);
  });

  test('real configuration is kept, dotfiles included', () => {
    for (const f of [
      '.env',
      'deploy/prod/.env.production',
      'package-lock.json',
      'charts/app/Chart.lock',
      'build/Dockerfile',
      'dist/nginx.conf',
      'target/values.yaml',
      'deploy/app.yaml.bak',
      '.github/workflows/deploy.yml',
      'home/.aws/config',
      'home/.kube/config',
    ]) {
      assert.equal(file(f), true, f);
    }
    for (const d of ['build', 'dist', 'target', '.github', 'home/.aws', 'home/.kube', '.pulumi'])
      assert.equal(dir(d), true, d);
  });
});

describe('makePathFilter', () => {
  test('include globs select files; exclude wins', () => {
    const filter = makePathFilter(['**/*.yaml', '**/*.env'], ['**/secrets.tmp', '**/*.bak', '**/skip.yaml']);
    assert.equal(filter('a/b/c.yaml', false), true);
    assert.equal(filter('prod.env', false), true);
    assert.equal(filter('a/skip.yaml', false), false);
    assert.equal(filter('README.md', false), false);
    assert.equal(filter('./a.yaml', false), true);
  });

  test('directories that cannot contain an include match are not walked', () => {
    const filter = makePathFilter(['deploy/prod/**/*.yaml', 'config/app.json'], []);
    assert.equal(filter('deploy', true), true);
    assert.equal(filter('deploy/prod', true), true);
    assert.equal(filter('deploy/prod/payments/v2', true), true);
    assert.equal(filter('deploy/staging', true), false);
    assert.equal(filter('config', true), true);
    assert.equal(filter('src', true), false);
    assert.equal(filter('deploy/prod/payments/v2/app.yaml', false), true);
    assert.equal(filter('deploy/staging/app.yaml', false), false);
  });

  test('a leading ** (or no include at all) walks everything not excluded', () => {
    assert.equal(makePathFilter(['**/*.yaml'], [])('any/where', true), true);
    assert.equal(makePathFilter([], [])('any/where', true), true);
    assert.equal(makePathFilter([], [])('any/where/file', false), true);
  });

  test('an exclude naming a directory prunes it, like .gitignore', () => {
    const filter = makePathFilter(['**'], ['**/secrets', 'vendor/**']);
    assert.equal(filter('app/secrets', true), false);
    assert.equal(filter('vendor', true), false);
    assert.equal(filter('vendor/x/y.yaml', false), false);
    assert.equal(filter('app/secrets.yaml', false), true);
  });

  test('is fast: 50,000 paths against the built-in list', () => {
    const filter = makePathFilter(['**/*.yaml', '**/*.json', '**/*.tf', '**/*.env'], [...BUILTIN_EXCLUDES, '**/*.bak']);
    const paths: string[] = [];
    for (let i = 0; i < 50_000; i++) {
      paths.push(
        `envs/${i % 7 === 0 ? 'node_modules' : `team${i % 40}`}/svc-${i % 300}/conf/file-${i}.${['yaml', 'json', 'tf', 'md', 'pyc'][i % 5]}`,
      );
    }
    const started = performance.now();
    let kept = 0;
    for (const p of paths) if (filter(p, false)) kept++;
    const ms = performance.now() - started;
    assert.ok(kept > 20_000 && kept < 40_000, `kept ${kept}`);
    // Generous bound for a shared CI machine; typically ~20-40 ms.
    assert.ok(ms < 1000, `${ms.toFixed(0)} ms for 50,000 paths`);
  });
});
