/**
 * `cairn deploy start|finish|fail|list|show` end to end: pre- and post-deploy bundles of an
 * environment, change tickets from a file and from a ServiceNow-shaped HTTP Table API served here,
 * a `requires` rule that fails, and the same commands through `cairn serve` (CAIRN_SERVER).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { cliEnv, spawnCairn } from './e2e.js';
import { type CliResult, type Fixture, fixture } from './helpers.js';
import { call, localToken, type ServeProcess, startServe } from './serve-support.js';

interface Entry {
  item: string;
  phase: string;
  status: string;
  snapshotId: string | null;
  verificationId: string | null;
}
interface Requirement {
  item: string;
  requires: string;
  ok: boolean;
  reason: string;
  version: string | null;
  requiredVersion: string | null;
}
interface View {
  deployment: {
    id: string;
    status: string;
    environment: string;
    release: string | null;
    ticket: Record<string, unknown> | null;
    source: string;
    actor: string;
  };
  pre: Entry[];
  post: Entry[];
  requirements: Requirement[];
  autoRollback?: boolean;
}
interface ErrorDoc {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

const policy = (provider: string) => `version: 1
governance:
  retentionClasses:
    short: { keep: 0d }
tiers:
  0: { retentionClass: short, keep: { last: 5 } }
  2: { retentionClass: short, keep: { last: 5 } }
environments:
  prod: {}
  staging: {}
changeTickets:
  provider: ${provider}
  requireFor: { tiers: [], environments: [prod], actions: [deploy] }
items:
  - name: app
    owner: team@example.com
    tier: 2
    environment: prod
    version: { file: src/app/VERSION }
    requires: [{ item: db, version: ">=14", when: "2.x" }]
    sources: [{ files: { root: src/app } }]
  - name: db
    owner: dba@example.com
    tier: 0
    environment: prod
    version: { file: src/db/schema_version }
    sources: [{ files: { root: src/db } }]
  - name: flags
    owner: team@example.com
    tier: 2
    environment: prod
    sources: [{ files: { root: src/flags } }]
  - name: web
    owner: team@example.com
    tier: 2
    environment: staging
    sources: [{ files: { root: src/web } }]
`;

/** ServiceNow writes times as "YYYY-MM-DD HH:MM:SS" in UTC. */
const snowTime = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString().slice(0, 19).replace('T', ' ');
const HOUR = 3_600_000;

function expectExit(r: CliResult, code: number): void {
  assert.equal(r.code, code, `exit ${r.code}, expected ${code}:\n${r.stdout}\n${r.stderr}`);
}

describe('cairn deploy', () => {
  let f: Fixture;
  const deploy = (args: readonly string[], env: Record<string, string | undefined> = {}) =>
    f.cli(['deploy', ...args, '--json'], { env: { CAIRN_CHANGE_ID: undefined, ...env } });
  /** As `deploy`, without blocking this process: the ticket API below is served from it. */
  const deployAsync = async (
    args: readonly string[],
    env: Record<string, string | undefined> = {},
  ): Promise<CliResult> => {
    const c = spawnCairn(['deploy', ...args, '--json'], {
      env: cliEnv(f, { CAIRN_CHANGE_ID: undefined, ...env }),
      cwd: f.dir,
    });
    const { code } = await c.closed;
    const stdout = c.stdout();
    return { code: code ?? -1, stdout, stderr: c.stderr(), json: <T>() => JSON.parse(stdout) as T };
  };

  before(() => {
    f = fixture({ policy: policy('{ file: { path: tickets.yaml } }') });
    f.write('src/app/VERSION', '2.1.0\n');
    f.write('src/app/app.yaml', 'replicas: 3\n');
    f.write('src/db/schema_version', '13\n');
    f.write('src/db/postgresql.conf', 'max_connections = 100\n');
    f.write('src/flags/flags.json', '{"checkout": true}\n');
    f.write('src/web/site.conf', 'listen 80;\n');
    f.write(
      'tickets.yaml',
      `tickets:
  - { id: CHG1, state: scheduled, approval: approved, start: "${snowTime(-HOUR)}", end: "${snowTime(HOUR)}" }
  - { id: CHG2, state: assess, approval: requested, start: "${snowTime(-HOUR)}", end: "${snowTime(HOUR)}" }
  - { id: CHG3, state: implement, approval: approved, start: "${snowTime(-3 * HOUR)}", end: "${snowTime(-2 * HOUR)}" }
`,
    );
  });

  let id: string;

  it('start: a pre-deploy bundle of every item, the ticket stored, and a failed requirement explained (exit 1)', () => {
    const r = deploy(['start', '--env', 'prod', '--release', '2.1.0', '--commit', 'abc1234', '--change', 'CHG1']);
    expectExit(r, 1);
    const view = r.json<View>();
    id = view.deployment.id;
    assert.match(id, /^D-\d{8}-[A-Z2-7]{6}$/);
    assert.equal(view.deployment.status, 'started');
    assert.equal(view.deployment.release, '2.1.0');
    assert.deepEqual(
      view.pre.map((e) => `${e.phase}:${e.item}:${e.status}`),
      ['pre:app:created', 'pre:db:created', 'pre:flags:created'],
    );
    assert.equal(view.deployment.ticket?.id, 'CHG1');
    assert.equal(view.deployment.ticket?.approved, true);
    const [rule] = view.requirements;
    assert.equal(rule?.ok, false);
    assert.equal(rule?.requiredVersion, '13');
    assert.match(rule?.reason ?? '', /app 2\.1\.0 requires db >=14, but db is 13/);
    const human = f.cli(['deploy', 'show', id]);
    expectExit(human, 0);
    assert.match(human.stdout, /FAIL app 2\.1\.0 requires db >=14/);
    // The ticket as checked is in the audit trail, with the command's outcome.
    const log = f.cli(['audit', 'log', '--action', 'deployments.start', '--result', 'failed', '--json']);
    expectExit(log, 0);
    const events = log.json<{ events: Array<{ details: { ticket?: { id: string; approved: boolean } } }> }>().events;
    assert.equal(events.at(-1)?.details.ticket?.id, 'CHG1');
    assert.equal(events.at(-1)?.details.ticket?.approved, true);
  });

  it('finish: a post-deploy bundle (unchanged items verified); finishing twice is refused', () => {
    f.write('src/app/app.yaml', 'replicas: 4\n');
    const r = deploy(['finish', id]);
    expectExit(r, 0);
    const view = r.json<View>();
    assert.equal(view.deployment.status, 'succeeded');
    assert.deepEqual(
      view.post.map((e) => `${e.phase}:${e.item}:${e.status}`),
      ['post:app:created', 'post:db:unchanged', 'post:flags:unchanged'],
    );
    assert.ok(view.post[1]?.verificationId);
    const again = deploy(['finish', id]);
    expectExit(again, 1);
    assert.equal(again.json<ErrorDoc>().error.code, 'CAIRN_E_EXISTS');
    assert.match(again.json<ErrorDoc>().error.message, /is succeeded/);
    const snaps = f.cli(['snapshots', '--deployment', id, '--json']);
    expectExit(snaps, 0);
    assert.equal(snaps.json<{ snapshots: unknown[] }>().snapshots.length, 4);
  });

  it('fail, list and show; an unknown id is not found and an unknown environment a usage error', () => {
    const failed = deploy(['fail', id, '--reason', 'smoke tests red']);
    expectExit(failed, 0);
    assert.equal(failed.json<View>().deployment.status, 'failed');
    assert.equal(failed.json<View>().autoRollback, false);
    const list = deploy(['list', '--env', 'prod']);
    expectExit(list, 0);
    assert.deepEqual(
      list.json<{ deployments: Array<{ id: string; status: string }> }>().deployments.map((d) => [d.id, d.status]),
      [[id, 'failed']],
    );
    for (const args of [
      ['finish', 'D-nope'],
      ['fail', 'D-nope'],
      ['show', 'D-nope'],
    ]) {
      const r = deploy(args);
      expectExit(r, 1);
      assert.equal(r.json<ErrorDoc>().error.code, 'CAIRN_E_NOT_FOUND');
    }
    const unknown = deploy(['start', '--env', 'qa', '--change', 'CHG1']);
    expectExit(unknown, 2);
    assert.match(unknown.json<ErrorDoc>().error.message, /no environment qa in .*; environments: prod, staging/);
  });

  it('refuses a change ticket that is missing, unapproved or outside its window (file provider)', () => {
    const missing = deploy(['start', '--env', 'prod']);
    expectExit(missing, 1);
    assert.equal(missing.json<ErrorDoc>().error.code, 'CAIRN_E_CHANGE_TICKET');
    assert.match(missing.json<ErrorDoc>().error.message, /needs an approved change ticket/);
    const unknown = deploy(['start', '--env', 'prod'], { CAIRN_CHANGE_ID: 'CHG404' });
    expectExit(unknown, 1);
    assert.match(unknown.json<ErrorDoc>().error.message, /CHG404 was not found in file/);
    const unapproved = deploy(['start', '--env', 'prod', '--change', 'CHG2']);
    expectExit(unapproved, 1);
    assert.match(unapproved.json<ErrorDoc>().error.message, /CHG2 is not approved \(state assess, approval requested/);
    const outside = deploy(['start', '--env', 'prod', '--change', 'CHG3']);
    expectExit(outside, 1);
    assert.match(outside.json<ErrorDoc>().error.message, /CHG3 is approved but its window .* does not cover now/);
    assert.equal(deploy(['list']).json<{ deployments: unknown[] }>().deployments.length, 1, 'nothing recorded');
  });

  describe('with a ServiceNow-shaped ticket API', () => {
    let snow: Server;
    let status = 200;
    before(async () => {
      snow = createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://snow');
        if (status !== 200) return void res.writeHead(status).end('{"error":{"message":"nope"}}');
        if (req.headers.authorization !== 'Bearer snow-token') return void res.writeHead(401).end();
        const number = (url.searchParams.get('sysparm_query') ?? '').replace(/^number=/, '');
        const rows: Record<string, unknown> = {
          CHG0030001: {
            number: 'CHG0030001',
            state: '-1',
            approval: 'approved',
            start_date: snowTime(-HOUR),
            end_date: snowTime(HOUR),
          },
          CHG0030002: {
            number: 'CHG0030002',
            state: '-3',
            approval: 'requested',
            start_date: snowTime(-HOUR),
            end_date: snowTime(HOUR),
          },
          CHG0030003: {
            number: 'CHG0030003',
            state: '-2',
            approval: 'approved',
            start_date: snowTime(HOUR),
            end_date: snowTime(2 * HOUR),
          },
        };
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ result: rows[number] ? [rows[number]] : [] }));
      });
      await new Promise<void>((r) => snow.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(snow.address() as AddressInfo).port}/api/now/table/change_request`;
      f.write('cairn.yaml', policy(`{ http: { url: "${url}", tokenEnv: SNOW_TOKEN } }`));
    });
    after(() => snow.close());
    const snowEnv = { SNOW_TOKEN: 'snow-token' };

    it('refuses unapproved, unknown, outside-window tickets and a provider answering 500 or 401', async () => {
      const cases: Array<[string, RegExp, Record<string, string>?]> = [
        ['CHG0030002', /CHG0030002 is not approved \(state authorize, approval requested/],
        ['CHG0039999', /CHG0039999 was not found in http http:\/\/127\.0\.0\.1/],
        ['CHG0030003', /CHG0030003 is approved but its window/],
        ['CHG0030001', /answered HTTP 401/, { SNOW_TOKEN: 'wrong' }],
      ];
      for (const [change, pattern, env] of cases) {
        const r = await deployAsync(['start', '--env', 'prod', '--change', change], env ?? snowEnv);
        expectExit(r, 1);
        assert.equal(r.json<ErrorDoc>().error.code, 'CAIRN_E_CHANGE_TICKET');
        assert.match(r.json<ErrorDoc>().error.message, pattern);
      }
      status = 500;
      const down = await deployAsync(['start', '--env', 'prod', '--change', 'CHG0030001'], snowEnv);
      status = 200;
      expectExit(down, 1);
      assert.match(down.json<ErrorDoc>().error.message, /answered HTTP 500/);
    });

    it('records an approved ticket in its window; with db at 14 every requirement passes (exit 0)', async () => {
      f.write('src/db/schema_version', '14\n');
      const r = await deployAsync(['start', '--env', 'prod', '--change', 'CHG0030001', '--id', 'D-snow-1'], snowEnv);
      expectExit(r, 0);
      const view = r.json<View>();
      assert.equal(view.deployment.id, 'D-snow-1');
      assert.equal(view.deployment.ticket?.state, 'implement');
      assert.match(
        String(view.deployment.ticket?.provider),
        /^http http:\/\/127\.0\.0\.1:\d+\/api\/now\/table\/change_request$/,
      );
      assert.deepEqual(
        view.requirements.map((q) => q.ok),
        [true],
      );
    });
  });

  describe('through cairn serve', () => {
    let server: ServeProcess;
    let operator: string;
    let viewer: string;
    before(async () => {
      operator = localToken(f, 'deployer', ['operator']);
      viewer = localToken(f, 'watcher', ['viewer']);
      server = await startServe(f);
    });
    after(async () => {
      await server?.stop();
    });
    const remote = (args: readonly string[], token: string) =>
      f.cli(['deploy', ...args, '--json'], {
        env: { CAIRN_SERVER: server.url, CAIRN_TOKEN: token, CAIRN_PASSWORD: undefined, CAIRN_CHANGE_ID: undefined },
      });

    it('starts with POST /api/v1/deployments and finishes with the CLI (CAIRN_SERVER)', async () => {
      const started = await call<View>(server.url, 'POST', '/api/v1/deployments', {
        token: operator,
        body: { environment: 'staging', release: '3.0.0', id: 'D-api-1' },
      });
      assert.equal(started.status, 201, started.text);
      assert.equal(started.body.deployment.source, 'api');
      assert.equal(started.body.deployment.actor, 'token:deployer');
      assert.deepEqual(
        started.body.pre.map((e) => `${e.item}:${e.status}`),
        ['web:created'],
      );
      const denied = await call(server.url, 'POST', '/api/v1/deployments/D-api-1/finish', { token: viewer, body: {} });
      assert.equal(denied.status, 403);
      const finished = remote(['finish', 'D-api-1'], operator);
      expectExit(finished, 0);
      assert.deepEqual(
        finished.json<View>().post.map((e) => `${e.item}:${e.status}`),
        ['web:unchanged'],
      );
      const shown = remote(['show', 'D-api-1'], viewer);
      expectExit(shown, 0);
      assert.equal(shown.json<View>().deployment.status, 'succeeded');
      const unknown = remote(['start', '--env', 'qa'], operator);
      expectExit(unknown, 2);
      assert.match(unknown.json<ErrorDoc>().error.message, /no environment qa/);
      const started2 = remote(['start', '--env', 'staging', '--release', '3.0.1'], operator);
      expectExit(started2, 0);
      const list = remote(['list', '--env', 'staging'], viewer);
      expectExit(list, 0);
      assert.equal(list.json<{ deployments: unknown[] }>().deployments.length, 2);
    });
  });
});
