/**
 * `cairn drill` and `cairn gaps` end to end through bin/cairn.js: a repository with two items
 * snapshotted twice, a plan with the three kinds of validator passing, a plan waiting for sign-off,
 * a plan that fails (a validator that hangs, a baseline that does not exist), the gaps it leaves and
 * `policy check`'s warning about them, a staging restore, the runbook's "Last drill", and bad input.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { DrillRecord, GapRecord } from '../src/catalog/index.js';
import { renderDrill } from '../src/cli/commands/drill-view.js';
import { drillPolicy } from './drill-support.js';
import { assertExit, cliAsync, cliEnv, jsonError, spawnCairn } from './e2e.js';
import { type Fixture, fixture } from './helpers.js';

const POLICY = drillPolicy(
  ['prod', 'dev'],
  `access:
  teams:
    ops: [alice@example.com]
drills:
  - name: nightly
    items: [app-prod, app-dev]
    validate:
      - run: "test -f {restored}/deployment.yaml && grep -q replicas {restored}/deployment.yaml"
      - jsonSchema: { schema: schema.json, files: "**/config.json" }
      - baseline: { snapshot: "release:1.0", allowChanges: ["deployment.yaml"] }
  - name: signed
    environment: prod
    signoff: [ops]
  - name: broken
    items: [app-prod]
    validate:
      - run: { command: "echo checking; sleep 30", timeout: 1s }
      - baseline: { snapshot: "release:0.1" }
  - name: hang
    items: [app-prod]
    validate:
      - run: { command: "echo $$ > started; exec sleep 60", timeout: 5m }
  - name: envcheck
    items: [app-prod]
    validate:
      - run: "env"
      - run: "cat /proc/$PPID/environ | tr '\\\\0' '\\\\n'; true"
`,
);

const SCHEMA = {
  type: 'object',
  required: ['env', 'timeoutMs'],
  properties: { env: { type: 'string' }, timeoutMs: { type: 'integer' } },
};

describe('cairn drill', () => {
  let f: Fixture;
  const cli = (args: string[]) => cliAsync(f, args);
  const run = async (plan: string, code: number, extra: string[] = []) => {
    const r = await cli(['drill', 'run', plan, '--json', ...extra]);
    assertExit(r, code);
    return r.json<DrillRecord>();
  };

  before(async () => {
    f = fixture({ policy: POLICY });
    f.write('schema.json', JSON.stringify(SCHEMA));
    assertExit(await cli(['snapshot', '--release', '1.0', '--json']), 0);
    f.write('src/prod/deployment.yaml', 'apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 8\n');
    assertExit(await cli(['snapshot', '--release', '1.1', '--json']), 0);
  });

  it('runs a plan with a command, a JSON Schema and a baseline validator, all passing (exit 0)', async () => {
    const d = await run('nightly', 0);
    assert.equal(d.status, 'passed');
    assert.match(d.id, /^dr-[0-9a-f]{20}$/);
    assert.deepEqual(
      d.result!.validators.map((v) => [v.kind, v.item, v.ok]),
      [
        ['run', 'app-prod', true],
        ['run', 'app-dev', true],
        ['jsonSchema', 'app-prod', true],
        ['jsonSchema', 'app-dev', true],
        ['baseline', 'app-prod', true],
        ['baseline', 'app-dev', true],
      ],
    );
    assert.equal(d.withinSla, true);
    assert.equal(existsSync(d.result!.sandbox.path), false);

    const human = await cli(['drill', 'run', 'nightly']);
    assertExit(human, 0);
    assert.match(human.stdout, /^drill dr-[0-9a-f]{20} \(plan nightly\): PASSED$/m);
    assert.match(human.stdout, /^ {2}ok {3}app-prod {2}run: test -f \{restored\}\/deployment.yaml/m);
    assert.match(human.stdout, /^RTO .* vs SLA 1h: ok \(restore .*, validate .*\)$/m);
    assert.match(human.stdout, /^status: passed$/m);
    // Each baseline comparison says what it found, with or without differences.
    assert.match(
      human.stdout,
      /^ {2}ok {3}app-prod {2}baseline: release:1\.0 .*\n {9}\| 1 difference, 0 not allowed$/m,
    );
    assert.match(human.stdout, /^ {2}ok {3}app-dev {2}baseline: release:1\.0 .*\n {9}\| no differences$/m);

    // An item not restored: RTO is not compared (withinSla null), and one file is "1 file".
    const items = d.result!.items.map((i, n) =>
      n === 0 ? { ...i, ok: false, error: 'restore failed' } : { ...i, files: 1 },
    );
    const text = renderDrill({ ...d, withinSla: null, result: { ...d.result!, items } });
    assert.match(text, /^RTO not measured \(1 item not restored\) \(restore .*\)$/m);
    assert.match(text, new RegExp(`^ {2}ok {3}${items[1]!.item} {2}.* {2}1 file, `, 'm'));
  });

  it('waits for sign-off when the plan names teams; sign-off needs the server', async () => {
    const d = await run('signed', 0);
    assert.equal(d.status, 'awaiting-signoff');
    assert.deepEqual(d.signoffRequired, ['ops']);
    const r = await cli(['drill', 'signoff', d.id, '--team', 'ops', '--code', '123456', '--json']);
    assertExit(r, 2);
    assert.match(
      jsonError(r).message,
      /goes through a Cairn server, which knows your identity and checks your TOTP code/,
    );
  });

  it('fails a plan whose validator hangs and whose baseline does not exist (exit 1); gaps and policy check say so', async () => {
    const d = await run('broken', 1);
    assert.equal(d.status, 'failed');
    assert.deepEqual(
      d.result!.gaps.map((g) => [g.category, g.key]),
      [
        ['validator-timeout', 'run: echo checking; sleep 30'],
        ['missing-baseline', 'release:0.1'],
      ],
    );
    assert.match(d.result!.gaps[1]!.message, /baseline release:0\.1 no longer exists for app-prod/);
    assert.equal(existsSync(d.result!.sandbox.path), false, 'the sandbox is deleted after a timeout too');

    const human = await cli(['drill', 'show', d.id.slice(0, 8)]);
    assertExit(human, 0);
    assert.match(human.stdout, /FAIL app-prod {2}run: echo checking; sleep 30 {2}\(.*timed out\)\n {9}\| checking/);

    const gaps = await cli(['gaps', '--json']);
    assertExit(gaps, 1);
    const open = gaps.json<{ gaps: GapRecord[] }>().gaps;
    assert.deepEqual(open.map((g) => g.category).sort(), ['missing-baseline', 'validator-timeout']);
    assertExit(await cli(['gaps', '--item', 'app-dev']), 0);
    const typo = await cli(['gaps', '--item', 'app-prd', '--json']);
    assertExit(typo, 2);
    assert.match(jsonError(typo).message, /item "app-prd" is not in .*; did you mean app-prod, app-dev\?/);

    const check = await cli(['policy', 'check', '--json']);
    assertExit(check, 0);
    const warnings = check.json<{ issues: Array<{ severity: string; field: string; message: string }> }>().issues;
    const gapWarning = warnings.find((w) => w.field === 'items[0]');
    assert.ok(gapWarning, JSON.stringify(warnings));
    assert.match(gapWarning.message, /app-prod has 2 open drill gaps .*cairn gaps --item app-prod/);

    const runbook = await cli(['runbook', '--env', 'prod', '--out', join(f.dir, 'runbooks')]);
    assertExit(runbook, 0);
    const book = readFileSync(join(f.dir, 'runbooks', 'app-prod.md'), 'utf8');
    assert.match(book, new RegExp(`## Last drill\\n\\n- Drill: \`${d.id}\` of plan broken`));
    assert.match(book, /- Open gaps \(2\):/);
  });

  it('lists and shows drills', async () => {
    const list = await cli(['drill', 'list', '--json']);
    assertExit(list, 0);
    const drills = list.json<{ drills: DrillRecord[] }>().drills;
    assert.deepEqual(
      drills.map((d) => d.plan),
      ['broken', 'signed', 'nightly', 'nightly'],
    );
    const failed = await cli(['drill', 'list', '--status', 'failed', '--json']);
    assert.deepEqual(
      failed.json<{ drills: DrillRecord[] }>().drills.map((d) => d.plan),
      ['broken'],
    );
    const shown = await cli(['drill', 'show', drills[1]!.id, '--json']);
    assertExit(shown, 0);
    assert.deepEqual(shown.json<{ signoffs: unknown[] }>().signoffs, []);
    const missing = await cli(['drill', 'show', 'dr-000000', '--json']);
    assertExit(missing, 1);
    assert.equal(jsonError(missing).code, 'CAIRN_E_NOT_FOUND');
  });

  it('restores into a staging folder and keeps it; refuses one that is not empty', async () => {
    const staging = join(f.dir, 'staging');
    const d = await run('nightly', 0, ['--staging', staging]);
    assert.equal(d.kind, 'staging');
    assert.match(readFileSync(join(staging, 'app-prod', 'deployment.yaml'), 'utf8'), /replicas: 8/);
    const full = join(f.dir, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'keep.txt'), 'mine\n');
    const r = await cli(['drill', 'run', 'nightly', '--staging', full, '--json']);
    assertExit(r, 1);
    assert.equal(jsonError(r).code, 'CAIRN_E_TARGET_NOT_EMPTY');
    assert.equal(readFileSync(join(full, 'keep.txt'), 'utf8'), 'mine\n');
  });

  it('gives validators none of its environment: no passphrase, not even through /proc of the cairn process', async () => {
    const d = await run('envcheck', 0);
    const [env, proc] = d.result!.validators;
    assert.match(env!.output, /CAIRN_DRILL=envcheck/);
    assert.doesNotMatch(env!.output, /CAIRN_PASSWORD|CAIRN_REPOSITORY|test passphrase/);
    // Isolated, the validator is in another user namespace: the cairn process's environment is not readable.
    if (d.result!.sandbox.isolated)
      assert.doesNotMatch(proc!.output, /CAIRN_PASSWORD|CAIRN_REPOSITORY|test passphrase/);
  });

  it('Ctrl-C stops a drill: validator stopped, sandbox deleted, drill recorded as failed, exit 130', async () => {
    const tmp = join(f.dir, 'tmp-sigint');
    mkdirSync(tmp);
    const c = spawnCairn(['drill', 'run', 'hang', '--json'], {
      env: cliEnv(f, { TMPDIR: tmp }),
      cwd: f.dir,
      timeout: 120_000,
    });
    let pid = 0;
    for (let i = 0; i < 600 && !pid; i++) {
      await new Promise((res) => setTimeout(res, 100));
      const box = readdirSync(tmp).find((n) => n.startsWith('cairn-drill-'));
      const started = box ? join(tmp, box, 'app-prod', 'started') : '';
      if (started && existsSync(started)) pid = Number(readFileSync(started, 'utf8'));
    }
    assert.ok(pid > 0, `the validator started: ${c.stderr()}`);
    c.child.kill('SIGINT');
    const { code } = await c.closed;
    assert.equal(code, 130, c.stderr());
    assert.match(c.stderr(), /SIGINT: stopping the drill/);
    assert.deepEqual(readdirSync(tmp), [], 'the sandbox is deleted');
    const record = JSON.parse(c.stdout()) as DrillRecord;
    assert.equal(record.status, 'failed');
    assert.match(record.result!.error!, /cancelled/);
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((res) => setTimeout(res, 100));
      } catch {
        alive = false;
      }
    }
    assert.equal(alive, false, 'the validator is stopped');
    const list = await cli(['drill', 'list', '--plan', 'hang', '--json']);
    assert.deepEqual(
      list.json<{ drills: DrillRecord[] }>().drills.map((x) => [x.id, x.status]),
      [[record.id, 'failed']],
    );
  });

  it('documents examples and exit codes in --help', async () => {
    const help = await cli(['drill', 'run', '--help']);
    assertExit(help, 0);
    assert.match(help.stdout, /Examples:\n {2}cairn drill run quarterly-prod/);
    assert.match(help.stdout, /Exit codes: 0 passed or awaiting sign-off; 1 failed/);
    assert.match(help.stdout, /130 interrupted/);
    const gaps = await cli(['gaps', '--help']);
    assert.match(gaps.stdout, /Exit codes: 0 no open gap; 1 open gaps listed/);
  });

  it('refuses an unknown plan with exit 2, naming the plans', async () => {
    const r = await cli(['drill', 'run', 'nope', '--json']);
    assertExit(r, 2);
    assert.match(jsonError(r).message, /no drill plan nope .*plans: nightly, signed, broken/);
  });
});
