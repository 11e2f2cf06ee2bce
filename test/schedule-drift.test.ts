/**
 * The scheduler paths of `cairn serve` beyond plain snapshot runs, end to end: a drift schedule that
 * honours the item's ignoreLines and alerts once per distinct drift; a claim left by a dead replica
 * taken over once its lease lapsed; and schedule-failed after `alerts.consecutiveFailures` failed runs.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { fixture } from './helpers.js';
import { alertReceiver, alertsYaml, pgFixture, query, replica, runsOf } from './schedule-support.js';
import { client, localToken, until } from './serve-support.js';

const HEAD = `version: 1
governance:
  retentionClasses:
    short: { keep: 0d }
`;

const TIER = `tiers:
  2:
    retentionClass: short
    keep: { last: 1000 }
`;

interface DriftLatest {
  environment: string;
  items: Array<{
    item: string;
    checkedAt: string;
    drifted: boolean;
    ignored: number;
    changes: Array<{ path: string; kind: string }>;
  }>;
}

describe('scheduled drift checks', () => {
  const cleanup: Array<() => unknown> = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('ignores volatile lines, alerts once for a real change, and records the check', async () => {
    const receiver = await alertReceiver();
    cleanup.push(() => receiver.close());
    const f = fixture({
      policy: `${HEAD}${alertsYaml(receiver.url)}${TIER}environments:
  prod:
    driftSchedule: "*/2 * * * * *"
items:
  - name: app-prod
    owner: team@example.com
    tier: 2
    environment: prod
    sources:
      - files: { root: src/prod }
    drift:
      ignoreLines: ["^# generated at"]
`,
    });
    f.write('src/prod/app.conf', '# generated at 2026-01-01T00:00:00Z\nport=8080\n');
    const snap = f.cli(['snapshot', '--json']);
    assert.equal(snap.code, 0, snap.stderr);
    // SQLite catalog in the fixture's CAIRN_HOME, which the CLI below reads too.
    const server = await replica(f, 0, { CAIRN_HOME: f.home });
    cleanup.push(() => server.stop());
    const api = client(server.url, localToken(f, 'drift-reader', ['viewer']));
    const checkAfter = (t: number) =>
      until(
        `a drift check after ${new Date(t).toISOString()}`,
        () => api.ok<DriftLatest>(api.get('/api/v1/drift?env=prod')),
        (r) => r.items.length === 1 && Date.parse(r.items[0]!.checkedAt) > t,
        15_000,
      ).then((r) => r.items[0]!);
    const driftAlerts = () => receiver.received.filter((a) => a.kind === 'drift');

    const first = await checkAfter(Date.now());
    assert.equal(first.drifted, false, JSON.stringify(first));
    assert.equal(first.ignored, 0);

    f.write('src/prod/app.conf', '# generated at 2026-06-30T23:59:59Z\nport=8080\n');
    const volatile = await checkAfter(Date.now());
    assert.equal(volatile.drifted, false, `an ignored line is no drift: ${JSON.stringify(volatile)}`);
    assert.equal(volatile.ignored, 1, 'the file differs only in ignored lines');
    assert.deepEqual(driftAlerts(), [], 'no drift alert while nothing drifted');

    f.write('src/prod/app.conf', '# generated at 2026-07-01T00:00:00Z\nport=9090\n');
    const changed = await checkAfter(Date.now());
    assert.equal(changed.drifted, true);
    assert.deepEqual(
      changed.changes.map((c) => [c.path, c.kind]),
      [['app.conf', 'modified']],
    );
    const [alert] = await until('the drift alert', driftAlerts, (a) => a.length > 0, 10_000);
    assert.equal(alert!.severity, 'warning');
    assert.match(alert!.summary, /app-prod \(app\.conf modified\)/);
    assert.deepEqual(alert!.details.items, ['app-prod']);
    assert.deepEqual(alert!.details.changes, [{ item: 'app-prod', files: [{ path: 'app.conf', kind: 'modified' }] }]);

    // The same drift, checked again: no second alert (counted once the server stopped, below).
    await checkAfter(Date.parse(changed.checkedAt));
    // Another value on the same line is the same drift (details name lines and keys, not values)...
    f.write('src/prod/app.conf', '# generated at 2026-07-01T00:00:02Z\nport=9191\n');
    await checkAfter(Date.now());
    // ...a change elsewhere is a new one: one more alert, with another dedup key.
    f.write('src/prod/deployment.yaml', 'apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 7\n');
    const [, second] = await until('the second drift alert', driftAlerts, (a) => a.length > 1, 10_000);
    assert.match(second!.summary, /app-prod \(app\.conf modified, deployment\.yaml modified\)/);
    assert.equal(await server.stop(), 0); // waits for alert deliveries in flight
    const all = driftAlerts();
    assert.equal(all.length, 2, JSON.stringify(all));
    assert.notEqual(all[0]!.dedupKey, all[1]!.dedupKey);
    assert.match(all[0]!.dedupKey, /^drift:prod:[0-9a-f]{16}$/);

    const log = f.cli(['audit', 'log', '--json', '--action', 'schedule.drift']);
    assert.equal(log.code, 0, log.stderr);
    const { events } = log.json<{ events: Array<{ action: string; identity: string; target: string }> }>();
    assert.equal(events.length, 2, JSON.stringify(events));
    assert.equal(events[0]!.identity, 'system:scheduler');
    assert.equal(events[0]!.target, 'drift:prod');
  });
});

describe('a claim left by a dead replica', () => {
  const cleanup: Array<() => unknown> = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('is taken over once its lease lapsed, and the run completes', async () => {
    const { f, db } = pgFixture(`${HEAD}${TIER.replace('keep:', 'schedule: "0 0 * * *"\n    keep:')}environments:
  prod: {}
items:
  - name: app-prod
    owner: team@example.com
    tier: 2
    environment: prod
    sources:
      - files: { root: src/prod }
`);
    cleanup.push(() => db.drop());
    assert.equal(f.cli(['schedules', '--json']).code, 0); // makes the catalog's tables
    const now = Date.now();
    const slot = new Date(Math.floor(now / 86_400_000) * 86_400_000).toISOString(); // today 00:00 UTC
    const stale = new Date(now - 10_000).toISOString();
    await query(
      db.url,
      `insert into schedule_runs (schedule_key, slot, due_at, claimed_by, claimed_at, started_at, status)
       values ('tier:2', $1, $1, 'gone:1:dead', $2, $2, 'running')`,
      [slot, stale],
    );
    const server = await replica(f, 0, { CAIRN_SCHEDULER_LEASE_MS: '3000' });
    cleanup.push(() => server.stop());
    const rows = await until(
      'the run taken over to finish',
      () => runsOf(db.url, 'tier:2'),
      (r) => r.length === 1 && (r[0]!.status === 'ok' || r[0]!.status === 'failed'),
      15_000,
    );
    await server.stop();
    const [row] = rows;
    assert.equal(row!.slot, slot);
    assert.equal(row!.status, 'ok', row!.details ?? '');
    assert.equal(row!.claimed_by, String(server.facts.scheduler), 'claimed by the live replica');
    assert.ok(row!.started_at && row!.started_at > stale, 'started again by the live replica');
    const items = (JSON.parse(row!.details ?? '{}') as { items?: Array<{ item: string; status: string }> }).items;
    assert.deepEqual(
      items?.map((i) => i.item),
      ['app-prod'],
    );
    const [snaps] = await query<{ n: string }>(
      db.url,
      "select count(*) as n from snapshots where trigger = 'scheduled'",
    );
    assert.equal(Number(snaps!.n), 1, 'one scheduled snapshot');
    assert.equal((await runsOf(db.url, 'tier:2')).length, 1, 'no other slot was claimed');
  });
});

describe('a schedule that keeps failing', () => {
  const cleanup: Array<() => unknown> = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('raises one schedule-failed alert after consecutiveFailures failed runs whose failed items have no alert', async () => {
    const receiver = await alertReceiver();
    cleanup.push(() => receiver.close());
    const { f, db } = pgFixture(`${HEAD}${alertsYaml(receiver.url, { consecutiveFailures: 2 })}${TIER.replace(
      'keep:',
      'schedule: "*/2 * * * * *"\n    keep:',
    )}environments:
  prod: {}
items:
  - name: odd
    owner: team@example.com
    tier: 2
    environment: prod
    sources:
      - command: { run: "if [ -f odd.t ]; then rm odd.t; exit 3; fi; touch odd.t; echo a: 1", file: out.yaml }
  - name: even
    owner: team@example.com
    tier: 2
    environment: prod
    sources:
      - command: { run: "if [ -f even.t ]; then rm even.t; echo b: 1; exit 0; fi; touch even.t; exit 3", file: out.yaml }
`);
    // Every run fails, each time because of the other item: no item fails twice in a row, no backup-failed.
    cleanup.push(() => db.drop());
    const server = await replica(f, 0);
    cleanup.push(() => server.stop());
    await until(
      'three failed runs',
      () => runsOf(db.url, 'tier:2'),
      (r) => r.filter((x) => x.status === 'failed').length >= 3,
      20_000,
    );
    await server.stop();
    const rows = await runsOf(db.url, 'tier:2');
    assert.deepEqual(
      rows.filter((r) => r.status !== 'failed').map((r) => r.status),
      [],
      'every run failed',
    );
    assert.match(rows[0]!.details ?? '', /exit|3/);
    const failed = receiver.received.filter((a) => a.kind === 'schedule-failed');
    assert.equal(failed.length, 1, JSON.stringify(receiver.received));
    assert.equal(failed[0]!.severity, 'critical');
    assert.equal(failed[0]!.details.slot, rows[1]!.slot, 'raised by the second failed run');
    assert.equal(failed[0]!.details.failures, 2);
    const [audited] = await query<{ n: string }>(
      db.url,
      "select count(*) as n from audit_events where action = 'schedule.failed'",
    );
    assert.equal(Number(audited!.n), 1);
    assert.deepEqual(
      receiver.received.filter((a) => a.kind === 'backup-failed'),
      [],
    );
  });
});
