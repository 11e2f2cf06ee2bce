/**
 * Drills, alerts and the canary through `cairn serve`, end to end: a drill run through the API and
 * signed off by two token identities of access.teams, each with a real TOTP code (refused for someone
 * outside the team, for the same person signing for both teams, and for a wrong code); the canary
 * running every 2 s (snapshot, restore, verify), shown by /api/v1/canary and /metrics; and a real
 * fault (the repository's packs made immutable) failing the canary, which raises canary-failed to a
 * real webhook receiver, is acknowledged through the API, and is resolved by the next good round.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type HookReceiver, startHookReceiver } from '../src/services/alerts/test-support.js';
import { freshPgDatabase } from './e2e.js';
import { type Fixture, fixture, SMALL_POLICY } from './helpers.js';
import { apiToken, client, enrolMfa, localToken, type ServeProcess, startServe, totp, until } from './serve-support.js';

interface Drill {
  id: string;
  status: string;
  actor: string;
  signoffRequired: string[];
  result: { validators: Array<{ ok: boolean }> } | null;
}
interface CanaryRun {
  id: string;
  ok: boolean;
  error: string | null;
  latencyMs: number;
  phases: Record<string, number>;
  snapshotId: string | null;
}
interface Alert {
  id: string;
  kind: string;
  state: string;
  ackedBy: string | null;
}
type ErrorBody = { error: { code: string; message: string } };

function policy(hook: string): string {
  return SMALL_POLICY.replace(
    'items:\n',
    `access:
  teams:
    operations: ["token:alice"]
    security: ["token:carol", "token:alice"]
drills:
  - name: prod-check
    items: [app-prod]
    validate:
      - run: "grep -q replicas {restored}/deployment.yaml"
    signoff: [operations, security]
  - name: slow
    items: [app-prod]
    validate:
      - run: "sleep 3"
    signoff: []
canary: { every: 2s, slowAfter: 10m, keep: 2 }
alerts:
  sinks:
    - webhook: { url: "${hook}" }
items:
`,
  );
}

/** chattr ±i on a folder and everything in it: even root cannot add a file to an immutable folder. */
function immutable(dir: string, on: boolean): void {
  const r = spawnSync('chattr', ['-R', on ? '+i' : '-i', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, `chattr ${dir}: ${r.stderr}`);
}

describe('cairn serve: drills, alerts and the canary', () => {
  let f: Fixture;
  let server: ServeProcess;
  let hook: HookReceiver;
  const t: Record<string, string> = {};
  const mfa: Record<string, { secret: string }> = {};
  const as = (who: string) => client(server.url, t[who]);
  let drill: Drill;

  before(async () => {
    hook = await startHookReceiver();
    f = fixture({ policy: policy(hook.url) });
    t.admin = localToken(f, 'admin', ['admin']);
    server = await startServe(f, ['--canary']);
    t.ops = await apiToken(server.url, t.admin, 'ops', ['operator']);
    t.alice = await apiToken(server.url, t.admin, 'alice', ['operator']);
    t.carol = await apiToken(server.url, t.admin, 'carol', ['auditor']);
    t.mallory = await apiToken(server.url, t.admin, 'mallory', ['approver']);
    t.viewer = await apiToken(server.url, t.admin, 'viewer', ['viewer']);
    for (const who of ['alice', 'carol', 'mallory']) mfa[who] = await enrolMfa(server.url, t[who]!);
    await as('ops').ok(as('ops').post('/api/v1/snapshots', { items: ['app-prod'] }));
  });
  after(async () => {
    if (f) immutable(join(f.repo, 'packs'), false);
    await server?.stop();
    await hook?.stop();
  });

  it('runs a drill through the API as the caller', async () => {
    const ops = as('ops');
    drill = await ops.ok<Drill>(ops.post('/api/v1/drills/run', { plan: 'prod-check' }));
    assert.equal(drill.status, 'awaiting-signoff', JSON.stringify(drill));
    assert.equal(drill.actor, 'token:ops');
    assert.deepEqual(drill.signoffRequired, ['operations', 'security']);
    assert.ok(drill.result?.validators.every((v) => v.ok));
    const listed = await ops.ok<{ drills: Drill[] }>(ops.get('/api/v1/drills?plan=prod-check'));
    assert.deepEqual(
      listed.drills.map((d) => d.id),
      [drill.id],
    );
    const unknown = await as('viewer').get('/api/v1/drills/dr-ffffffffffffffffffff');
    assert.equal(unknown.status, 404);
    const badPlan = await ops.post('/api/v1/drills/run', { plan: 'no-such-plan' });
    assert.equal(badPlan.status, 400, badPlan.text);
    const viewer = await as('viewer').post('/api/v1/drills/run', { plan: 'prod-check' });
    assert.equal(viewer.status, 403);
  });

  it('refuses a second run of a plan while one is running (423 CAIRN_E_REPO_LOCKED, as locally)', async () => {
    const ops = as('ops');
    const first = ops.post('/api/v1/drills/run', { plan: 'slow' });
    await until(
      'the slow drill running',
      async () => (await ops.ok<{ drills: Drill[] }>(ops.get('/api/v1/drills?plan=slow&status=running'))).drills,
      (d) => d.length === 1,
    );
    const second = await ops.post('/api/v1/drills/run', { plan: 'slow' });
    assert.equal(second.status, 423, second.text);
    assert.equal((second.body as ErrorBody).error.code, 'CAIRN_E_REPO_LOCKED');
    assert.match((second.body as ErrorBody).error.message, /running already/);
    const done = await ops.ok<Drill>(first);
    assert.equal(done.status, 'passed', 'no sign-off needed');
  });

  it('is signed off by one person per team, each with their own TOTP code', async () => {
    const signoff = (who: string, team: string, code: string) =>
      as(who).post(`/api/v1/drills/${drill.id}/signoff`, { team, code });

    const outsider = await signoff('mallory', 'operations', await totp(mfa.mallory!.secret, 1));
    assert.equal(outsider.status, 403, outsider.text);
    assert.equal((outsider.body as ErrorBody).error.code, 'CAIRN_E_FORBIDDEN');

    const alice = await as('alice').ok<Drill>(signoff('alice', 'operations', await totp(mfa.alice!.secret, 1)));
    assert.equal(alice.status, 'awaiting-signoff');

    // The same person (in both teams) for the second team: refused, whatever the code.
    const twice = await signoff('alice', 'security', await totp(mfa.alice!.secret, 2));
    assert.equal(twice.status, 403, twice.text);
    assert.match((twice.body as ErrorBody).error.message, /already/);

    // Someone else's code is not carol's.
    const wrong = await signoff('carol', 'security', await totp(mfa.alice!.secret, 1));
    assert.equal(wrong.status, 403, wrong.text);
    assert.equal((wrong.body as ErrorBody).error.code, 'CAIRN_E_MFA');

    const passed = await as('carol').ok<Drill>(signoff('carol', 'security', await totp(mfa.carol!.secret, 1)));
    assert.equal(passed.status, 'passed');
    const shown = await as('viewer').ok<{ signoffs: Array<{ team: string; subject: string }> }>(
      as('viewer').get(`/api/v1/drills/${drill.id.slice(0, 10)}`),
    );
    assert.deepEqual(shown.signoffs.map((s) => [s.team, s.subject]).sort(), [
      ['operations', 'token:alice'],
      ['security', 'token:carol'],
    ]);
    // The server's answer is what `cairn drill show --json` prints locally, field for field.
    const full = await as('viewer').ok(as('viewer').get(`/api/v1/drills/${drill.id}`));
    const local = f.cli(['drill', 'show', drill.id, '--json']);
    assert.equal(local.code, 0, local.stderr);
    assert.deepEqual(full, local.json());
    const audit = await as('admin').ok<{ events: Array<{ action: string; identity: string; result: string }> }>(
      as('admin').get('/api/v1/audit/events?action=drill.*&limit=50'),
    );
    const refused = audit.events.filter((e) => e.action === 'drill.signoff-refused').map((e) => e.identity);
    assert.deepEqual(refused.sort(), ['token:alice', 'token:carol', 'token:mallory']);
  });

  it('runs the canary every 2 s: /api/v1/canary and /metrics show it', async () => {
    const viewer = as('viewer');
    const runs = await until(
      'two canary rounds',
      async () => (await viewer.ok<{ runs: CanaryRun[] }>(viewer.get('/api/v1/canary'))).runs,
      (r) => r.length >= 2,
      30_000,
    );
    assert.ok(
      runs.every((r) => r.ok),
      JSON.stringify(runs),
    );
    assert.deepEqual(Object.keys(runs[0]!.phases).sort(), ['change', 'restore', 'snapshot', 'verify']);
    const canarySnapshots = await viewer.ok<{ snapshots: Array<{ id: string; trigger: string }> }>(
      viewer.get('/api/v1/snapshots?item=cairn-canary'),
    );
    assert.ok(canarySnapshots.snapshots.some((s) => s.id === runs[0]!.snapshotId));
    assert.ok(canarySnapshots.snapshots.length <= 2, 'canary.keep: 2');

    const metrics = (await viewer.get('/metrics')).text.split('\n');
    for (const line of [
      'cairn_canary_ok 1',
      'cairn_drill_last_status{plan="prod-check",status="passed"} 1',
      'cairn_coverage_status{item="app-prod",environment="prod",status="no-rpo"} 1',
      'cairn_coverage_status{item="app-dev",environment="dev",status="never"} 1',
      'cairn_items_out_of_rpo 1',
      'cairn_alerts_open{category="canary"} 0',
    ]) {
      assert.ok(metrics.includes(line), `/metrics lacks ${line}`);
    }
    assert.ok(metrics.some((l) => /^cairn_canary_latency_seconds \d/.test(l)));
    assert.ok(metrics.some((l) => /^cairn_canary_last_run_timestamp_seconds \d/.test(l)));
    assert.ok(metrics.some((l) => /^cairn_backup_age_seconds\{item="app-prod",environment="prod"\} \d/.test(l)));
    assert.ok(metrics.some((l) => /^cairn_drill_last_rto_seconds\{plan="prod-check"\} \d/.test(l)));
    const coverage = await viewer.ok<{ rows: Array<{ item: string }> }>(viewer.get('/api/v1/coverage'));
    assert.ok(!coverage.rows.some((r) => r.item === 'cairn-canary'), 'the canary is not a covered item');
  });

  it('fails when the repository cannot take its snapshot, alerts the webhook, and recovers', async () => {
    const viewer = as('viewer');
    const latest = async () => (await viewer.ok<{ runs: CanaryRun[] }>(viewer.get('/api/v1/canary?limit=1'))).runs[0];
    immutable(join(f.repo, 'packs'), true);
    let failed: CanaryRun | undefined;
    try {
      failed = await until('a failed canary round', latest, (r) => r?.ok === false, 30_000);
    } finally {
      immutable(join(f.repo, 'packs'), false);
    }
    assert.match(failed!.error ?? '', /^snapshot: /);
    const triggered = await until(
      'canary-failed at the webhook',
      () => hook.requests.map((r) => r.body as { kind?: string; event?: string; severity?: string }),
      (b) => b.some((x) => x.kind === 'canary-failed' && x.event === 'trigger'),
    );
    assert.equal(triggered.find((x) => x.kind === 'canary-failed')?.severity, 'critical');

    // Acknowledged through the API (the alert is still open: it takes a good round to resolve it).
    const open = await viewer.ok<{ alerts: Alert[] }>(viewer.get('/api/v1/alerts?state=open'));
    const alert = open.alerts.find((a) => a.kind === 'canary-failed');
    if (alert) {
      assert.equal((await viewer.post(`/api/v1/alerts/${alert.id}/ack`)).status, 403, 'a viewer cannot ack');
      const acked = await as('ops').post(`/api/v1/alerts/${alert.id}/ack`);
      // A good round may have resolved it in between: then the ack is refused as not open.
      assert.ok([200, 409].includes(acked.status), acked.text);
      if (acked.status === 200) assert.equal((acked.body as unknown as Alert).ackedBy, 'token:ops');
    }

    const good = await until('a good canary round again', latest, (r) => r?.ok === true && r.id !== failed!.id, 30_000);
    assert.equal(good!.error, null);
    const all = await viewer.ok<{ alerts: Alert[] }>(viewer.get('/api/v1/alerts'));
    const resolved = all.alerts.filter((a) => a.kind === 'canary-failed');
    assert.ok(resolved.length >= 1);
    const again = await as('ops').post(`/api/v1/alerts/${resolved[0]!.id}/resolve`, { reason: 'checked' });
    assert.equal(again.status, 409, again.text);
    assert.equal((again.body as ErrorBody).error.code, 'CAIRN_E_EXISTS');
    assert.ok(
      resolved.every((a) => a.state === 'resolved'),
      JSON.stringify(resolved),
    );
    await until(
      'the resolution at the webhook',
      () => hook.requests.map((r) => r.body as { kind?: string; event?: string }),
      (b) => b.some((x) => x.kind === 'canary-failed' && x.event === 'resolve'),
    );
    const metrics = (await viewer.get('/metrics')).text.split('\n');
    assert.ok(metrics.includes('cairn_canary_ok 1'));
    assert.ok(metrics.includes('cairn_alerts_open{category="canary"} 0'));
    const audit = await as('admin').ok<{ events: Array<{ result: string }> }>(
      as('admin').get('/api/v1/audit/events?action=canary.run&limit=100'),
    );
    const results = audit.events.map((e) => e.result);
    assert.ok(results.includes('failed') && results.includes('ok'), results.join(','));
    assert.ok(results.length < 10, `only failures and changes are audited: ${results.join(',')}`);
  });
});

describe('cairn serve: the canary with two replicas on one PostgreSQL catalog', () => {
  let f: Fixture;
  let db: ReturnType<typeof freshPgDatabase> | undefined;
  const servers: ServeProcess[] = [];

  before(async () => {
    db = freshPgDatabase();
    f = fixture({ policy: SMALL_POLICY.replace('items:\n', 'canary: { every: 1s, keep: 2 }\nitems:\n') });
    f.env.CAIRN_CATALOG_URL = db.url;
    servers.push(await startServe(f, ['--canary', '--metrics-anonymous']));
    servers.push(await startServe(f, ['--canary'], { CAIRN_HOME: join(f.dir, 'home-2') }));
  });
  after(async () => {
    for (const s of servers) await s.stop();
    db?.drop();
  });

  it('runs each slot once, whichever replica claims it', async () => {
    const token = localToken(f, 'viewer', ['viewer']);
    const c = client(servers[1]!.url, token);
    const runs = await until(
      'six canary rounds',
      async () => (await c.ok<{ runs: CanaryRun[] }>(c.get('/api/v1/canary'))).runs,
      (r) => r.length >= 6,
      30_000,
    );
    assert.ok(
      runs.every((r) => r.ok),
      JSON.stringify(runs.filter((r) => !r.ok)),
    );
    const metrics = await fetch(`${servers[0]!.url}/metrics`).then((r) => r.text());
    assert.match(metrics, /^cairn_canary_ok 1$/m, 'either replica shows the latest round');
    for (const s of servers) await s.stop(); // no round in flight from here on
    const db2 = new pg.Client({ connectionString: db!.url });
    await db2.connect();
    try {
      const claims = await db2.query<{ slot: string; status: string }>(
        "select slot, status from schedule_runs where schedule_key = 'canary'",
      );
      const rounds = await db2.query<{ n: string }>('select count(*) as n from canary_runs');
      const ran = claims.rows.filter((r) => r.status === 'ok' || r.status === 'failed');
      assert.equal(Number(rounds.rows[0]!.n), ran.length, `one round per claimed slot: ${JSON.stringify(claims.rows)}`);
    } finally {
      await db2.end();
    }
  });
});
