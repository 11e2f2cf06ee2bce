/**
 * Rollback and restore-target review fixes, end to end: the baseline snapshot after a rollback (drift
 * is clean afterwards), an item without a pre-deploy capture (refused unless --allow-older), a re-run
 * that diffs verified items again, two concurrent rollbacks of one deployment, the change-ticket rule on
 * `restore --to-target`, a `secrets: redact` item refused, a multi-source directory restore, and the
 * policy checks of restore targets.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { assertExit, cliAsync, cliEnv, jsonError, spawnCairn } from './e2e.js';
import { type Fixture, fixture } from './helpers.js';

const hour = 3_600_000;
const AWS_KEY = 'AKIAZ2XQ7RT4WPLM3NBV';

const POLICY = `version: 1
tiers:
  1: { keep: { last: 20 } }
environments:
  prod: { autoRollback: true }
  stage: {}
  dev: {}
  lease: {}
changeTickets:
  provider: { file: { path: tickets.yaml } }
  requireFor: { environments: [stage], actions: [rollback] }
items:
  - name: app
    owner: a@example.com
    tier: 1
    environment: prod
    sources: [{ command: { run: "cat state/app.yaml", file: app.yaml, format: yaml } }]
    restore: { command: "cat > state/app.yaml" }
  - name: conf
    owner: a@example.com
    tier: 1
    environment: prod
    sources: [{ files: { root: state/conf } }]
    restore: { directory: state/conf }
  - name: stagecfg
    owner: a@example.com
    tier: 1
    environment: stage
    sources: [{ files: { root: state/stage } }]
    restore: { directory: state/stage }
  - name: sec
    owner: a@example.com
    tier: 1
    environment: dev
    secrets: redact
    sources: [{ files: { root: state/sec } }]
    restore: { directory: state/sec }
  - name: multi
    owner: a@example.com
    tier: 1
    environment: dev
    sources:
      - files: { root: state/multi }
      - dotenv: { path: state/multi.env }
    restore: { directory: state/multi }
  - name: slow
    owner: a@example.com
    tier: 1
    environment: lease
    sources: [{ command: { run: "cat state/slow.txt", file: slow.txt, format: text } }]
    restore: { command: "touch state/started; while [ ! -f state/go ]; do sleep 0.05; done; cat > state/slow.txt" }
`;

interface Item {
  item: string;
  from: string;
  snapshotTime: string | null;
  state: string;
  diff: { drifted: boolean };
  error?: { code: string; message: string };
}
interface Result {
  rollback: string;
  status: string;
  resumed: boolean;
  items: Item[];
  baseline?: { snapshots: string[]; error?: { message: string } };
}

describe('rollback and restore-target fixes', () => {
  let f: Fixture;
  const cli = (args: string[], env: Record<string, string> = {}) => cliAsync(f, args, env);
  const state = (rel: string) => join(f.dir, 'state', rel);
  const read = (rel: string) => readFileSync(state(rel), 'utf8');
  const snapshot = async (item: string): Promise<string> => {
    const r = await cli(['snapshot', '--item', item, '--force', '--json']);
    assertExit(r, 0);
    const id = /"id": ?"([0-9a-f]{64})"/.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    return id;
  };

  before(() => {
    f = fixture({ policy: POLICY });
    const now = Date.now();
    f.write(
      'tickets.yaml',
      `tickets:\n  - { id: CHG1, state: implement, approval: approved, start: "${new Date(now - hour).toISOString()}", end: "${new Date(now + hour).toISOString()}" }\n`,
    );
    f.write('state/app.yaml', 'replicas: 3\n');
    f.write('state/conf/nginx.conf', 'workers 4;\n');
    f.write('state/stage/stage.conf', 'a=1\n');
    f.write('state/sec/app.env', `LOG=info\nAWS_ACCESS_KEY_ID=${AWS_KEY}\n`);
    f.write('state/multi/a.conf', 'one\n');
    f.write('state/multi.env', 'MODE=x\n');
    f.write('state/slow.txt', 'v1\n');
  });

  it('takes a snapshot of the state rolled back to: drift is clean after an automatic rollback', async () => {
    assertExit(await cli(['deploy', 'start', '--env', 'prod', '--release', '2.0.0', '--id', 'D-a', '--json']), 0);
    writeFileSync(state('app.yaml'), 'replicas: 9\n');
    writeFileSync(state('conf/nginx.conf'), 'workers 8;\n');
    assertExit(await cli(['deploy', 'finish', 'D-a', '--json']), 0);
    const failed = await cli(['deploy', 'fail', 'D-a', '--reason', 'smoke', '--json']);
    assertExit(failed, 0);
    const rb = failed.json<{ rollback: Result }>().rollback;
    assert.equal(rb.status, 'completed');
    assert.equal(rb.baseline?.snapshots.length, 2, JSON.stringify(rb.baseline));
    assert.equal(read('app.yaml'), 'replicas: 3\n');
    const snaps = await cli(['snapshots', '--item', 'app', '--trigger', 'rollback', '--json']);
    assertExit(snaps, 0);
    assert.match(snaps.stdout, /"trigger": ?"rollback"/);
    assert.match(snaps.stdout, /"deployment": ?"D-a"/);
    const drift = await cli(['drift', '--env', 'prod', '--json']);
    assertExit(drift, 0);
  });

  it('refuses an item whose pre-deploy capture is missing unless --allow-older, and diffs verified items again', async () => {
    // conf's pre-deploy capture fails (its folder is away): only older snapshots of it exist.
    renameSync(state('conf'), state('conf.away'));
    const start = await cli(['deploy', 'start', '--env', 'prod', '--release', '3.0.0', '--id', 'D-b', '--json']);
    assertExit(start, 1);
    renameSync(state('conf.away'), state('conf'));
    writeFileSync(state('app.yaml'), 'replicas: 7\n');
    writeFileSync(state('conf/nginx.conf'), 'workers 16;\n');

    const first = await cli(['rollback', '--deployment', 'D-b', '--json']);
    assertExit(first, 1);
    const r1 = first.json<Result>();
    const conf1 = r1.items.find((i) => i.item === 'conf')!;
    assert.equal(conf1.from, 'before-start');
    assert.ok(conf1.snapshotTime);
    assert.equal(conf1.state, 'failed');
    assert.match(
      conf1.error!.message,
      /no pre-deploy snapshot; the newest one before the deployment is [0-9a-f]{12} .*--allow-older/,
    );
    assert.equal(read('conf/nginx.conf'), 'workers 16;\n', 'nothing older was written');
    assert.equal(r1.items.find((i) => i.item === 'app')!.state, 'verified');
    assert.equal(read('app.yaml'), 'replicas: 3\n');

    // app moves again after it was verified: the re-run must not trust the old mark.
    writeFileSync(state('app.yaml'), 'replicas: 11\n');
    const second = await cli(['rollback', '--deployment', 'D-b', '--allow-older', '--json']);
    assertExit(second, 0);
    const r2 = second.json<Result>();
    assert.equal(r2.resumed, true);
    const app2 = r2.items.find((i) => i.item === 'app')!;
    assert.equal(app2.diff.drifted, true);
    assert.equal(app2.state, 'verified');
    assert.equal(read('app.yaml'), 'replicas: 3\n');
    assert.equal(r2.items.find((i) => i.item === 'conf')!.state, 'verified');
    assert.equal(read('conf/nginx.conf'), 'workers 4;\n');
  });

  it('refuses a second rollback of a deployment while the first holds its lease', async () => {
    assertExit(await cli(['deploy', 'start', '--env', 'lease', '--id', 'D-l', '--json']), 0);
    writeFileSync(state('slow.txt'), 'v2\n');
    const first = spawnCairn(['rollback', '--deployment', 'D-l', '--json'], { env: cliEnv(f), cwd: f.dir });
    while (!existsSync(state('started'))) await new Promise((r) => setTimeout(r, 20));
    const second = await cli(['rollback', '--deployment', 'D-l', '--json']);
    assertExit(second, 1);
    const e = jsonError(second);
    assert.equal(e.code, 'CAIRN_E_REPO_LOCKED');
    assert.match(e.message, /rollback R-\S+ of deployment D-l is being run by \S+ \d+ [0-9a-f]+ \(lease until /);
    writeFileSync(state('go'), '');
    const { code } = await first.closed;
    assert.equal(code, 0, first.stderr());
    assert.equal(read('slow.txt'), 'v1\n');
  });

  it('checks the change-ticket rule on restore --to-target before writing, and records the ticket', async () => {
    const id = await snapshot('stagecfg');
    writeFileSync(state('stage/stage.conf'), 'a=2\n');
    const refused = await cli(['restore', id, '--to-target', '--json']);
    assertExit(refused, 1);
    assert.equal(jsonError(refused).code, 'CAIRN_E_CHANGE_TICKET');
    assert.match(jsonError(refused).message, /rollback in stage \(tier 1\) needs an approved change ticket/);
    assert.equal(read('stage/stage.conf'), 'a=2\n');
    const ok = await cli(['restore', id, '--to-target', '--change', 'CHG1', '--json']);
    assertExit(ok, 0);
    assert.equal(read('stage/stage.conf'), 'a=1\n');
    const injected = await cli(['restore', id, '--to-target', '--change', 'X^ORid=CHG1', '--json']);
    assertExit(injected, 2);
    assert.match(jsonError(injected).message, /is not a ticket id/);
  });

  it('refuses to put redacted secrets into a live target, naming the files', async () => {
    const id = await snapshot('sec');
    writeFileSync(state('sec/app.env'), `LOG=debug\nAWS_ACCESS_KEY_ID=${AWS_KEY}\n`);
    const r = await cli(['restore', id, '--to-target', '--json']);
    assertExit(r, 1);
    const e = jsonError(r);
    assert.equal(e.code, 'CAIRN_E_TARGET');
    assert.match(e.message, /hold redacted secrets .*secrets: redact.*: app\.env/);
    assert.equal(read('sec/app.env'), `LOG=debug\nAWS_ACCESS_KEY_ID=${AWS_KEY}\n`, 'nothing written');
  });

  it('restores a multi-source item into its directory target from the files source rooted there only', async () => {
    const id = await snapshot('multi');
    writeFileSync(state('multi/a.conf'), 'two\n');
    const r = await cli(['restore', id, '--to-target', '--json']);
    assertExit(r, 0);
    assert.equal(read('multi/a.conf'), 'one\n');
    assert.equal(existsSync(state('multi/0-files')), false);
    assert.equal(existsSync(state('multi/1-dotenv')), false);
  });

  it('policy check: a directory target no files source is rooted at is an error; redact + restore warns', async () => {
    f.write(
      'bad.yaml',
      `version: 1
tiers:
  1: { keep: { last: 2 } }
items:
  - name: two
    owner: a@example.com
    tier: 1
    secrets: redact
    sources: [{ files: { root: state/multi } }, { dotenv: { path: state/multi.env } }]
    restore: { directory: state/elsewhere }
`,
    );
    const r = await cli(['policy', 'check', '--json'], { CAIRN_CONFIG: join(f.dir, 'bad.yaml') });
    assertExit(r, 2);
    assert.match(r.stdout, /restore\.directory state\/elsewhere is the root of none of its files sources/);
    assert.match(r.stdout, /secrets: redact and a restore target/);
  });

  it('writes runbooks of an environment named only by items', async () => {
    f.write(
      'envless.yaml',
      `version: 1
tiers:
  1: { keep: { last: 2 } }
items:
  - { name: x, owner: a@example.com, tier: 1, environment: qa, sources: [{ files: { root: state/stage } }] }
`,
    );
    const r = await cli(['runbook', '--env', 'qa', '--out', join(f.dir, 'rb'), '--json'], {
      CAIRN_CONFIG: join(f.dir, 'envless.yaml'),
    });
    assertExit(r, 0);
    assert.ok(existsSync(join(f.dir, 'rb', 'x.md')));
  });

  it('snapshot tickets: the rule of each environment holds in a run spanning several; --trigger scheduled is no way around it', async () => {
    f.write(
      'tickets-snap.yaml',
      `version: 1
tiers:
  1: { keep: { last: 20 } }
environments:
  stage: {}
  dev: {}
changeTickets:
  provider: { file: { path: tickets.yaml } }
  requireFor: { environments: [stage], actions: [snapshot] }
items:
  - { name: s1, owner: a@example.com, tier: 1, environment: stage, sources: [{ files: { root: state/stage } }] }
  - { name: d1, owner: a@example.com, tier: 1, environment: dev, sources: [{ files: { root: state/multi } }] }
`,
    );
    const env = { CAIRN_CONFIG: join(f.dir, 'tickets-snap.yaml') };
    const refused = await cli(['snapshot', '--json'], env);
    assertExit(refused, 1);
    assert.equal(jsonError(refused).code, 'CAIRN_E_CHANGE_TICKET');
    assert.match(jsonError(refused).message, /snapshot in stage/);
    assertExit(await cli(['snapshot', '--change', 'CHG1', '--json'], env), 0);
    // Only the server's scheduler is exempt: a CLI run that calls itself scheduled still needs the ticket.
    const claimed = await cli(['snapshot', '--trigger', 'scheduled', '--force', '--json'], env);
    assertExit(claimed, 1);
    assert.equal(jsonError(claimed).code, 'CAIRN_E_CHANGE_TICKET');
  });
});
