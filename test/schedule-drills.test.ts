/**
 * Drills on their plan's schedule in `cairn serve`, end to end, with a real webhook receiver: a
 * scheduled drill that passes, fails (drill-failed with its validators, drill-gap for the gap it
 * opened) and passes again (both resolved); a drill overdue while its scheduled run hangs, alerted
 * once by two replicas; and a drill overdue because its maintenance window is closed.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { type Fixture, fixture } from './helpers.js';
import { alertReceiver, alertsYaml, pgFixture, type ReceivedAlert, replica, runsOf } from './schedule-support.js';
import { client, localToken, until } from './serve-support.js';

const HEAD = `version: 1
governance:
  retentionClasses:
    short: { keep: 0d }
tiers:
  2:
    retentionClass: short
    keep: { last: 1000 }
`;

const ITEM = `items:
  - name: app-prod
    owner: team@example.com
    tier: 2
    environment: prod
    sources:
      - files: { root: src/prod }
`;

function snapshot(f: Fixture): void {
  const r = f.cli(['snapshot']);
  assert.equal(r.code, 0, `snapshot: ${r.stdout}\n${r.stderr}`);
}

interface Drill {
  id: string;
  plan: string;
  trigger: string;
  actor: string;
  status: string;
  finishedAt: string | null;
}

interface Event extends ReceivedAlert {
  event?: string;
  category?: string;
}

const of = (received: ReceivedAlert[], kind: string, event = 'trigger') =>
  (received as Event[]).filter((a) => a.kind === kind && (a.event ?? 'trigger') === event);

interface ScheduleRow {
  key: string;
  kind: string;
  last: { status: string; details: Record<string, unknown> | null } | null;
  overdue?: { slot: string; dueAt: string; overdueAt: string } | null;
}

describe('scheduled drills', () => {
  const cleanup: Array<() => unknown> = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('runs the plan as system:scheduler; a failing drill alerts once with its validators and gaps; a passing one resolves', async () => {
    const receiver = await alertReceiver();
    cleanup.push(() => receiver.close());
    const f = fixture({
      policy: `${HEAD}${alertsYaml(receiver.url)}environments:
  prod: {}
${ITEM}drills:
  - name: nightly
    schedule: "*/2 * * * * *"
    items: [app-prod]
    validate:
      - run: "grep -q 'replicas: 6' {restored}/deployment.yaml"
`,
    });
    snapshot(f);
    const server = await replica(f, 0, { CAIRN_HOME: f.home, CAIRN_ALERT_TICK_MS: '200' });
    cleanup.push(() => server.stop());
    const api = client(server.url, localToken(f, 'drill-reader', ['viewer']));
    const drills = async () => (await api.ok<{ drills: Drill[] }>(api.get('/api/v1/drills?plan=nightly'))).drills;

    const [passed] = await until(
      'a scheduled drill that passed',
      drills,
      (d) => d.some((x) => x.status === 'passed'),
      30_000,
    );
    assert.equal(passed!.trigger, 'scheduled');
    assert.equal(passed!.actor, 'system:scheduler');
    const listed = f.cli(['schedules', '--json']).json<{ schedules: ScheduleRow[] }>();
    const row = listed.schedules.find((s) => s.key === 'drill:nightly');
    assert.equal(row?.kind, 'drill', JSON.stringify(listed));
    assert.equal(row?.overdue ?? null, null, 'a drill finished since the latest slot: not overdue');
    assert.match(f.cli(['schedules']).stdout, /^drill:nightly +\*\/2 \* \* \* \* \* +UTC /m);

    // The restored state no longer passes the validator: the drill fails.
    f.write('src/prod/deployment.yaml', 'apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 7\n');
    snapshot(f);
    const [failed] = await until(
      'drill-failed',
      () => of(receiver.received, 'drill-failed'),
      (a) => a.length > 0,
      30_000,
    );
    assert.equal(failed!.severity, 'critical');
    assert.equal(failed!.category, 'drill');
    assert.equal(failed!.dedupKey, 'drill-failed:nightly');
    assert.match(failed!.summary, /drill nightly \(dr-[0-9a-f]+\) failed: validator .*grep.* on app-prod failed/);
    const validators = failed!.details.failedValidators as Array<{ item: string; kind: string; label: string }>;
    assert.deepEqual(
      validators.map((v) => [v.item, v.kind]),
      [['app-prod', 'run']],
    );
    assert.match(validators[0]!.label, /grep -q 'replicas: 6'/);
    const gaps = failed!.details.gaps as Array<{ item: string; category: string }>;
    assert.ok(
      gaps.some((g) => g.item === 'app-prod' && g.category === 'validator-failed'),
      JSON.stringify(gaps),
    );
    const [gap] = await until(
      'drill-gap',
      () => of(receiver.received, 'drill-gap'),
      (a) => a.length > 0,
      10_000,
    );
    assert.match(gap!.dedupKey, /^drill-gap:app-prod:validator-failed:\d+$/);

    // More failed drills: the same incident, not alerted again.
    await until('three failed drills', drills, (d) => d.filter((x) => x.status === 'failed').length >= 3, 30_000);
    // Every 2 s the next run may already be under way: wait for a moment when the last one has ended.
    const lastRun = async () =>
      f
        .cli(['schedules', '--json'])
        .json<{ schedules: ScheduleRow[] }>()
        .schedules.find((s) => s.key === 'drill:nightly')!.last;
    await until('a finished scheduled run', lastRun, (l) => l !== null && ['failed', 'ok'].includes(l.status), 20_000);

    f.write('src/prod/deployment.yaml', 'apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 6\n');
    snapshot(f);
    await until(
      'drill-failed resolved',
      () => of(receiver.received, 'drill-failed', 'resolve'),
      (a) => a.length > 0,
      30_000,
    );
    await until(
      'drill-gap resolved',
      () => of(receiver.received, 'drill-gap', 'resolve'),
      (a) => a.length > 0,
      10_000,
    );
    assert.equal(await server.stop(), 0);
    assert.equal(of(receiver.received, 'drill-failed').length, 1, 'one drill-failed for the whole streak');
    assert.equal(of(receiver.received, 'drill-gap').length, 1, 'one drill-gap for the one gap');
    const audit = f.cli(['audit', 'log', '--json', '--action', 'drill.*']);
    assert.equal(audit.code, 0, audit.stderr);
    assert.match(audit.stdout, /"identity": ?"system:scheduler"/);
  });
});

describe('overdue drills', () => {
  const cleanup: Array<() => unknown> = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('alerts drill-overdue once across two replicas while the scheduled drill hangs, and resolves when it finishes', async () => {
    const receiver = await alertReceiver();
    cleanup.push(() => receiver.close());
    // A yearly slot long past, overdue one second after it: overdue from the start until the drill ends.
    const { f, db } = pgFixture(`${HEAD}${alertsYaml(receiver.url)}environments:
  prod: {}
${ITEM}drills:
  - name: slow
    schedule: "0 0 1 1 *"
    overdueAfter: 1s
    items: [app-prod]
    validate:
      - run: { command: "sleep 4", timeout: 1m }
`);
    cleanup.push(() => db.drop());
    snapshot(f);
    const env = { CAIRN_ALERT_TICK_MS: '200' };
    const [a, b] = await Promise.all([replica(f, 0, env), replica(f, 1, env)]);
    cleanup.push(
      () => a.stop(),
      () => b.stop(),
    );
    const [overdue] = await until(
      'drill-overdue',
      () => of(receiver.received, 'drill-overdue'),
      (x) => x.length > 0,
      30_000,
    );
    const year = new Date().getUTCFullYear();
    assert.equal(overdue!.dedupKey, `drill-overdue:slow@${year}-01-01T00:00:00.000Z`);
    assert.equal(overdue!.category, 'drill');
    assert.match(overdue!.summary, /drill slow is overdue: no drill finished since its slot/);
    await until(
      'drill-overdue resolved',
      () => of(receiver.received, 'drill-overdue', 'resolve'),
      (x) => x.length > 0,
      30_000,
    );
    await Promise.all([a.stop(), b.stop()]);
    assert.equal(of(receiver.received, 'drill-overdue').length, 1, JSON.stringify(receiver.received));
    const rows = await runsOf(db.url, 'drill:slow');
    assert.deepEqual(
      rows.map((r) => r.status),
      ['ok'],
      'one scheduled drill, by one replica',
    );
    const details = JSON.parse(rows[0]!.details ?? '{}') as { drill?: string; drillStatus?: string };
    assert.match(String(details.drill), /^dr-[0-9a-f]{20}$/);
    assert.equal(details.drillStatus, 'passed');
  });

  it('alerts drill-overdue when the maintenance window keeps the scheduled drill from running', async () => {
    const receiver = await alertReceiver();
    cleanup.push(() => receiver.close());
    // A weekday that is neither today nor tomorrow: its window is closed now, and its latest slot passed.
    const day = (new Date().getUTCDay() + 3) % 7;
    const name = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][day]!;
    const f = fixture({
      policy: `${HEAD}${alertsYaml(receiver.url)}environments:
  prod: { maintenanceWindows: ["${name} 00:00-01:00 UTC"] }
${ITEM}drills:
  - name: weekly
    schedule: { cron: "0 0 * * ${day}", maintenanceWindowsOnly: true }
    overdueAfter: 1s
    items: [app-prod]
    validate:
      - run: "true"
`,
    });
    const server = await replica(f, 0, { CAIRN_HOME: f.home });
    cleanup.push(() => server.stop());
    const [overdue] = await until(
      'drill-overdue',
      () => of(receiver.received, 'drill-overdue'),
      (x) => x.length > 0,
      30_000,
    );
    const slot = new Date(Date.now() - ((new Date().getUTCDay() - day + 7) % 7) * 86_400_000);
    slot.setUTCHours(0, 0, 0, 0);
    assert.equal(overdue!.dedupKey, `drill-overdue:weekly@${slot.toISOString()}`);
    const listed = f.cli(['schedules', '--json']).json<{ schedules: ScheduleRow[] }>();
    const row = listed.schedules.find((s) => s.key === 'drill:weekly')!;
    assert.equal(row.last, null, 'not run: its window is closed');
    assert.equal(row.overdue?.slot, slot.toISOString());
    assert.match(f.cli(['schedules']).stdout, /^drill:weekly .* OVERDUE$/m);
    assert.equal(f.cli(['schedules', '--late']).code, 1, 'an overdue drill fails --late');
    assert.equal(await server.stop(), 0);
    assert.equal(of(receiver.received, 'drill-overdue').length, 1, 'once, not at every tick');
  });
});
