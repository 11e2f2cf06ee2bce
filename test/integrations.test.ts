/**
 * The CI templates in integrations/ run exactly what this test runs: the GitHub composite action's step
 * and the GitLab include's job scripts are read from the template files, their expressions filled in as
 * the CI system would, and executed with bash against a real repository.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { cliEnv } from './e2e.js';
import { BIN, type Fixture, fixture, ROOT } from './helpers.js';

const ACTION = join(ROOT, 'integrations/github/action.yml');
const GITLAB = join(ROOT, 'integrations/gitlab/cairn.gitlab-ci.yml');

interface ActionStep {
  readonly run: string;
  readonly env: Record<string, string>;
}

/** The composite action's one step, with `${{ … }}` filled in from the inputs and a GitHub-like context. */
function githubStep(inputs: Record<string, string>, runnerTemp: string, output: string): ActionStep {
  const action = parse(readFileSync(ACTION, 'utf8')) as {
    inputs: Record<string, { default?: string }>;
    runs: { using: string; steps: Array<{ run: string; env: Record<string, string> }> };
  };
  assert.equal(action.runs.using, 'composite');
  const context: Record<string, string> = {
    'github.sha': 'a'.repeat(40),
    'github.server_url': 'https://github.example',
    'github.repository': 'acme/payments',
    'github.run_id': '42',
    'github.action_path': join(ROOT, 'integrations/github'),
    'runner.temp': runnerTemp,
  };
  for (const [name, spec] of Object.entries(action.inputs))
    context[`inputs.${name}`] = inputs[name] ?? spec.default ?? '';
  const fill = (text: string) =>
    text.replace(/\$\{\{\s*([\w.]+)\s*\}\}/g, (_, key: string) => {
      assert.ok(key in context, `action.yml uses \${{ ${key} }}, which this test does not provide`);
      return context[key]!;
    });
  const step = action.runs.steps[0]!;
  const env = Object.fromEntries(Object.entries(step.env).map(([k, v]) => [k, fill(v)]));
  return { run: fill(step.run), env: { ...env, GITHUB_OUTPUT: output } };
}

/** A hidden job of the GitLab include, its variables expanded from CI_* values as GitLab would. */
function gitlabJob(name: string, ci: Record<string, string>): { script: string[]; variables: Record<string, string> } {
  const doc = parse(readFileSync(GITLAB, 'utf8')) as Record<
    string,
    { extends?: string; script?: string[]; variables?: Record<string, string> }
  >;
  const job = doc[name];
  assert.ok(job?.script, `${name} has a script`);
  const base = job.extends ? (doc[job.extends]?.variables ?? {}) : {};
  const variables = Object.fromEntries(
    Object.entries({ ...base, ...job.variables }).map(([k, v]) => [
      k,
      String(v).replace(/\$(CI_[A-Z_]+)/g, (_, n: string) => ci[n] ?? ''),
    ]),
  );
  return { script: job.script, variables };
}

function bash(f: Fixture, command: string, env: Record<string, string>) {
  const r = spawnSync('bash', ['-c', command], {
    cwd: f.dir,
    env: cliEnv(f, { CAIRN_BIN: `${process.execPath} ${BIN}`, ...env }),
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('GitHub action: pre-deploy, gate and post-deploy run the pipeline script against a real repository', () => {
  const f = fixture();
  const output = join(f.dir, 'github-output');
  const phase = (name: string, extra: Record<string, string> = {}) => {
    const inputs = {
      phase: name,
      environment: 'prod',
      release: '2.4.1',
      cairn: `${process.execPath} ${BIN}`,
      ...extra,
    };
    const step = githubStep(inputs, f.dir, output);
    return bash(f, step.run, step.env);
  };
  const pre = phase('pre-deploy');
  assert.equal(pre.code, 0, pre.stderr);
  const id = /^deployment=(\S+)$/m.exec(readFileSync(output, 'utf8'))?.[1];
  assert.ok(id, 'the action sets the deployment output');
  const gate = phase('gate');
  assert.equal(gate.code, 0, gate.stdout + gate.stderr);
  const post = phase('post-deploy');
  assert.equal(post.code, 0, post.stderr);

  const shown = f.cli(['deploy', 'show', id, '--json']);
  assert.equal(shown.code, 0, shown.stderr);
  const view = shown.json<{
    deployment: { status: string; release: string; commit: string; pipeline: string };
    pre: Array<{ item: string }>;
    post: Array<{ item: string }>;
  }>();
  assert.equal(view.deployment.status, 'succeeded');
  assert.equal(view.deployment.release, '2.4.1');
  assert.equal(view.deployment.commit, 'a'.repeat(40));
  assert.equal(view.deployment.pipeline, 'https://github.example/acme/payments/actions/runs/42');
  assert.deepEqual(
    view.pre.map((e) => e.item),
    ['app-prod'],
  );
  assert.deepEqual(
    view.post.map((e) => e.item),
    ['app-prod'],
  );

  // A release nobody captured: the gate closes, and the job fails with Cairn's exit status.
  const closed = phase('gate', { release: '9.9.9' });
  assert.equal(closed.code, 1, closed.stdout + closed.stderr);
});

test('GitLab include: the hidden jobs run the same script; the gate closes after the configuration changes', () => {
  const f = fixture();
  const ci = { CI_COMMIT_TAG: '3.0.0', CI_COMMIT_SHA: 'b'.repeat(40), CI_PIPELINE_URL: 'https://gitlab.example/p/1' };
  const run = (job: string) => {
    const { script, variables } = gitlabJob(job, ci);
    const env = {
      ...variables,
      CAIRN_ENV: 'prod',
      CAIRN_PIPELINE_SCRIPT: join(ROOT, variables.CAIRN_PIPELINE_SCRIPT ?? ''),
    };
    return bash(f, script.join('\n'), env);
  };
  const pre = run('.cairn-pre-deploy');
  assert.equal(pre.code, 0, pre.stderr);
  assert.ok(existsSync(join(f.dir, '.cairn-deployment')), 'the deployment id is kept as an artifact');
  assert.equal(run('.cairn-gate').code, 0);
  // The configuration changes after the capture: the gate must not pass a state nobody captured.
  f.write('src/prod/deployment.yaml', 'apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 9\n');
  const gate = run('.cairn-gate');
  assert.equal(gate.code, 1, gate.stdout + gate.stderr);
  const post = run('.cairn-post-deploy');
  assert.equal(post.code, 0, post.stderr);
});

test('the pipeline script refuses missing inputs with exit 2 and a message', () => {
  const f = fixture({ init: false });
  const script = join(ROOT, 'integrations/cairn-pipeline.sh');
  const noPhase = bash(f, `bash ${script}`, { CAIRN_ENV: 'prod' });
  assert.equal(noPhase.code, 2);
  assert.match(noPhase.stderr, /usage: cairn-pipeline.sh/);
  const noId = bash(f, `bash ${script} post-deploy`, { CAIRN_ENV: 'prod' });
  assert.equal(noId.code, 2);
  assert.match(noId.stderr, /no deployment id in \.cairn-deployment/);
  const noRelease = bash(f, `bash ${script} gate`, { CAIRN_ENV: 'prod' });
  assert.equal(noRelease.code, 2);
  assert.match(noRelease.stderr, /CAIRN_RELEASE is required/);
});
