/**
 * `cairn rollback` end to end: a deployment of an environment with a directory item, a command-target
 * item and a feature-flag item bundled with it (an HTTP service in this process), each changed after
 * the pre-deploy capture; the dry run, the rollback, a rollback killed half-way and resumed, an
 * unknown deployment, an item without a restore target, and the runbooks.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertExit, cliAsync, cliEnv, jsonError, spawnCairn } from './e2e.js';
import { type Fixture, fixture } from './helpers.js';
import {
  APP_V1,
  APP_V2,
  FLAGS_V1,
  FLAGS_V2,
  FlagService,
  NGINX_V1,
  NGINX_V2,
  rollbackPolicy,
} from './rollback-support.js';

interface Item {
  item: string;
  snapshot: string;
  from: string;
  target: string;
  state: string;
  verify: string;
  diff: { drifted: boolean; changes: Array<{ path: string; kind: string }>; error?: { code: string } };
  error?: { code: string; message: string };
}
interface Result {
  rollback: string;
  deployment: string;
  dryRun: boolean;
  status: string;
  resumed: boolean;
  items: Item[];
}

describe('cairn rollback', () => {
  const flags = new FlagService(FLAGS_V1);
  let f: Fixture;
  const state = (rel: string) => join(f.dir, 'state', rel);
  const read = (rel: string) => readFileSync(state(rel), 'utf8');

  before(async () => {
    await flags.start();
    f = fixture({ policy: rollbackPolicy(flags.url) });
    f.write('state/app.yaml', APP_V1);
    f.write('state/conf/nginx.conf', NGINX_V1);
    f.write('state/conf/sites/shop.conf', 'server_name shop;\n');
    f.write('state/legacy/legacy.ini', 'a=1\n');
  });
  after(() => flags.stop());

  const cli = (args: string[]) => cliAsync(f, args);

  async function deploy(env: string, id: string): Promise<void> {
    const r = await cli(['deploy', 'start', '--env', env, '--release', '2.0.0', '--id', id, '--json']);
    assertExit(r, 0);
  }

  /** What the deployment changes: every item of prod. */
  function changeEverything(): void {
    writeFileSync(state('app.yaml'), APP_V2);
    writeFileSync(state('conf/nginx.conf'), NGINX_V2);
    writeFileSync(state('conf/added.conf'), 'new in 2.0.0\n');
    flags.flags = `${JSON.stringify(FLAGS_V2, null, 2)}\n`;
  }

  function assertPreDeploy(): void {
    assert.equal(read('app.yaml'), APP_V1);
    assert.equal(read('conf/nginx.conf'), NGINX_V1);
    assert.equal(read('conf/sites/shop.conf'), 'server_name shop;\n');
    assert.equal(existsSync(state('conf/added.conf')), false, 'the file the deployment added is removed');
    assert.deepEqual(JSON.parse(flags.flags), FLAGS_V1);
  }

  async function deploymentStatus(id: string): Promise<string> {
    const r = await cli(['deploy', 'show', id, '--json']);
    assertExit(r, 0);
    return r.json<{ deployment: { status: string } }>().deployment.status;
  }

  it('shows the diff of every item in a dry run and writes nothing, then rolls back all three and verifies', async () => {
    await deploy('prod', 'D-1');
    changeEverything();
    const putsBefore = flags.puts;

    const dry = await cli(['rollback', '--deployment', 'D-1', '--dry-run', '--json']);
    assertExit(dry, 0);
    const plan = dry.json<Result>();
    assert.equal(plan.dryRun, true);
    assert.equal(plan.status, 'planned');
    // Bundle members adjacent: flags right after app (policy order app, flags, conf).
    assert.deepEqual(
      plan.items.map((i) => [i.item, i.state, i.diff.drifted]),
      [
        ['app', 'pending', true],
        ['flags', 'pending', true],
        ['conf', 'pending', true],
      ],
    );
    const conf = plan.items.find((i) => i.item === 'conf')!;
    assert.deepEqual(
      conf.diff.changes.map((c) => [c.kind, c.path]),
      [
        ['added', 'added.conf'],
        ['modified', 'nginx.conf'],
      ],
    );
    assert.match(plan.items[0]!.target, /command `cat > state\/app.yaml`/);
    // Nothing written, nothing recorded.
    assert.equal(read('app.yaml'), APP_V2);
    assert.equal(read('conf/nginx.conf'), NGINX_V2);
    assert.equal(flags.puts, putsBefore);
    assert.equal(await deploymentStatus('D-1'), 'started');

    // On a terminal-less run without --json: the plan with its diff comes first, then the outcome.
    const human = await cli(['rollback', '--deployment', 'D-1', '--dry-run']);
    assertExit(human, 0);
    assert.match(human.stdout, /dry run: rollback R-\S+ of deployment D-1 \(prod\)/);
    assert.match(human.stdout, /conf: modified nginx\.conf/);
    assert.match(human.stdout, /3 items would be restored, 0 unchanged, 0 cannot be; nothing written/);

    const run = await cli(['rollback', '--deployment', 'D-1', '--json']);
    assertExit(run, 0);
    const done = run.json<Result>();
    assert.equal(done.status, 'completed');
    assert.equal(done.resumed, false);
    assert.deepEqual(
      done.items.map((i) => [i.item, i.state, i.verify]),
      [
        ['app', 'verified', 'live'],
        ['flags', 'verified', 'live'],
        ['conf', 'verified', 'live'],
      ],
    );
    assertPreDeploy();
    assert.equal(await deploymentStatus('D-1'), 'rolled-back');

    // Again: every item already is in its pre-deploy state; nothing is written.
    const puts = flags.puts;
    const again = await cli(['rollback', '--deployment', 'D-1', '--json']);
    assertExit(again, 0);
    assert.deepEqual(
      again.json<Result>().items.map((i) => i.state),
      ['unchanged', 'unchanged', 'unchanged'],
    );
    assert.equal(flags.puts, puts);
  });

  it('resumes a rollback killed half-way and ends in the pre-deploy state', async () => {
    await deploy('prod', 'D-2');
    changeEverything();
    // The flag service takes the PUT in and never answers: the CLI is killed while it waits.
    const held = flags.hold();
    const child = spawnCairn(['rollback', '--deployment', 'D-2', '--json'], { env: cliEnv(f), cwd: f.dir });
    await held;
    child.child.kill('SIGKILL');
    const exit = await child.closed;
    assert.equal(exit.signal, 'SIGKILL', child.stderr());
    flags.release();
    // app (first) was restored and verified; flags was being sent; conf not started.
    assert.equal(read('app.yaml'), APP_V1);
    assert.deepEqual(JSON.parse(flags.flags), FLAGS_V2);
    assert.equal(read('conf/nginx.conf'), NGINX_V2);
    assert.equal(await deploymentStatus('D-2'), 'rolling-back');

    const resumed = await cli(['rollback', '--deployment', 'D-2', '--json']);
    assertExit(resumed, 0);
    const r = resumed.json<Result>();
    assert.equal(r.resumed, true);
    assert.equal(r.status, 'completed');
    assert.deepEqual(
      r.items.map((i) => [i.item, i.state]),
      [
        ['app', 'unchanged'],
        ['flags', 'verified'],
        ['conf', 'verified'],
      ],
    );
    // app, verified by the killed run, was diffed again: it still matches, so nothing was written.
    assert.equal(r.items[0]!.diff.drifted, false);
    assert.equal(r.items[0]!.from, 'bundle');
    assertPreDeploy();
    assert.equal(await deploymentStatus('D-2'), 'rolled-back');
  });

  it('refuses an unknown deployment with CAIRN_E_NOT_FOUND (exit 1)', async () => {
    const r = await cli(['rollback', '--deployment', 'D-nope', '--json']);
    assertExit(r, 1);
    const e = jsonError(r);
    assert.equal(e.code, 'CAIRN_E_NOT_FOUND');
    assert.match(e.message, /no deployment D-nope/);
  });

  it('fails an item without a restore target with a message naming it, up front in a dry run', async () => {
    await deploy('staging', 'D-3');
    const dry = await cli(['rollback', '--deployment', 'D-3', '--dry-run', '--json']);
    assertExit(dry, 1);
    const planned = dry.json<Result>().items;
    assert.equal(planned.length, 1);
    assert.equal(planned[0]!.state, 'failed');
    assert.match(planned[0]!.error!.message, /item legacy has no restore target: add restore: to the policy/);

    const run = await cli(['rollback', '--deployment', 'D-3']);
    assertExit(run, 1);
    assert.match(
      run.stdout,
      /legacy: FAILED CAIRN_E_USAGE: item legacy has no restore target: add restore: to the policy/,
    );
    assert.match(
      run.stdout,
      /rollback R-\S+ failed: 0 verified, 0 unchanged, 1 failed; deployment D-3 rollback-failed/,
    );
    assert.equal(await deploymentStatus('D-3'), 'rollback-failed');
  });

  it('writes a runbook per item with the restore and rollback commands, the same bytes each time', async () => {
    const out = join(f.dir, 'runbooks');
    const r = await cli(['runbook', '--env', 'prod', '--out', out, '--json']);
    assertExit(r, 0);
    const files = r.json<{ files: string[] }>().files.map((p) => p.slice(out.length + 1));
    assert.deepEqual(files, ['app.md', 'conf.md', 'flags.md', 'README.md']);
    const app = readFileSync(join(out, 'app.md'), 'utf8');
    assert.match(app, /^# Runbook: app$/m);
    assert.match(app, /Owner: app-team@example\.com/);
    assert.match(app, /cairn restore [0-9a-f]{12} --to-target/);
    assert.match(app, /cairn restore [0-9a-f]{12} --target \.\/restore-app/);
    assert.match(app, /cairn rollback --deployment D-2 --dry-run\ncairn rollback --deployment D-2\n/);
    assert.match(app, /bundleWith: flags/);
    assert.match(app, /Repository: .*repo/);
    assert.match(app, /## Last drill\n\nNo drill plan restores app: add one under `drills:`/);
    assert.match(readFileSync(join(out, 'flags.md'), 'utf8'), /bundled by: app/);
    assert.match(readFileSync(join(out, 'flags.md'), 'utf8'), /ignore: `updatedAt`/);
    assert.match(readFileSync(join(out, 'README.md'), 'utf8'), /\| \[conf\]\(conf\.md\) \| web-team@example\.com/);
    const first = files.map((n) => readFileSync(join(out, n), 'utf8'));
    assertExit(await cli(['runbook', '--env', 'prod', '--out', out]), 0);
    assert.deepEqual(
      files.map((n) => readFileSync(join(out, n), 'utf8')),
      first,
    );
    const bad = await cli(['runbook', '--env', 'nowhere', '--json']);
    assertExit(bad, 2);
    assert.match(jsonError(bad).message, /environment nowhere is not in .*; environments: prod, staging/);
  });
});
