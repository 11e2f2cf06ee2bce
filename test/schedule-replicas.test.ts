/**
 * Schedules in `cairn serve`, end to end: three replicas (each its own port and CAIRN_HOME) on the same
 * repository and the same PostgreSQL catalog run a 2-second schedule, and every slot runs once; a run
 * blocked by a repository lock raises schedule-late then schedule-escalation to a webhook; a server
 * started after downtime runs one catch-up run for ten missed slots.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fixture } from './helpers.js';
import { alertReceiver, alertsYaml, pgFixture, query, replica, runsOf } from './schedule-support.js';
import { until } from './serve-support.js';

function policy(schedule: string, extra = ''): string {
  return `version: 1
governance:
  retentionClasses:
    short: { keep: 0d }
${extra}tiers:
  2:
    retentionClass: short
    keep: { last: 1000 }
    schedule: "${schedule}"
environments:
  prod: {}
items:
  - name: app-prod
    owner: team@example.com
    tier: 2
    environment: prod
    sources:
      - files: { root: src/prod }
`;
}

describe('schedules across three replicas', () => {
  const cleanup: Array<() => unknown> = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('runs every slot of a 2-second schedule exactly once, and one snapshot or verification per ok run', async () => {
    const { f, db } = pgFixture(policy('*/2 * * * * *'));
    cleanup.push(() => db.drop());
    const servers = await Promise.all([0, 1, 2].map((n) => replica(f, n)));
    cleanup.push(() => Promise.all(servers.map((s) => s.stop())));
    const replicas = servers.map((s) => String(s.facts.scheduler));
    assert.equal(new Set(replicas).size, 3, 'each replica has its own id');
    // About 12 s: six finished runs two seconds apart.
    await until(
      'six finished runs',
      () => runsOf(db.url, 'tier:2'),
      (rows) => rows.filter((r) => r.status === 'ok').length >= 6,
      60_000,
    );
    await Promise.all(servers.map((s) => s.stop())); // each waits for its run in flight

    const rows = await runsOf(db.url, 'tier:2');
    const failed = rows.filter((r) => r.status !== 'ok');
    assert.deepEqual(failed, [], 'every run finished ok');
    const slots = rows.map((r) => Date.parse(r.slot));
    assert.equal(new Set(slots).size, rows.length, 'no slot twice');
    for (const s of slots) assert.equal(s % 2000, 0, `${new Date(s).toISOString()} is a slot of */2 seconds`);
    for (const r of rows) assert.ok(replicas.includes(r.claimed_by), `claimed by an unknown replica: ${r.claimed_by}`);
    // Every slot from the first to the last run is accounted for: run, or skipped by the run after it.
    const skipped = rows.reduce(
      (n, r) => n + Number((JSON.parse(r.details ?? '{}') as { skipped?: number }).skipped ?? 0),
      0,
    );
    const grid = (slots.at(-1)! - slots[0]!) / 2000 + 1;
    assert.equal(rows.length + skipped, grid, `runs ${rows.length} + skipped ${skipped} = slots ${grid}`);

    const [snaps] = await query<{ n: string }>(
      db.url,
      "select count(*) as n from snapshots where trigger = 'scheduled'",
    );
    const [vers] = await query<{ n: string }>(
      db.url,
      "select count(*) as n from verifications where trigger = 'scheduled'",
    );
    assert.equal(Number(snaps!.n) + Number(vers!.n), rows.length, 'one snapshot or verification per ok run');
    const audited = await query<{ n: string }>(
      db.url,
      "select count(*) as n from audit_events where action = 'schedule.run' and result = 'ok'",
    );
    assert.equal(Number(audited[0]!.n), rows.length, 'each run is an audit event');
  });
});

describe('late and escalated runs', () => {
  const cleanup: Array<() => unknown> = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('alerts schedule-late then schedule-escalation while the repository is locked, then runs', async () => {
    const receiver = await alertReceiver();
    cleanup.push(() => receiver.close());
    const { received } = receiver;
    const alerts = alertsYaml(receiver.url, { lateAfter: '1s', escalateAfter: '2s' });
    const f = fixture({ policy: policy('*/3 * * * * *', alerts) });
    // An exclusive lock of a live process (this test) on this host: every snapshot is refused.
    const lock = join(f.repo, 'locks', randomBytes(16).toString('hex'));
    mkdirSync(join(f.repo, 'locks'), { recursive: true });
    const info = {
      exclusive: true,
      host: hostname(),
      pid: process.pid,
      time: new Date().toISOString(),
      operation: 'prune',
    };
    writeFileSync(lock, JSON.stringify(info));
    // Its SQLite catalog is the fixture's (CAIRN_HOME), which `cairn schedules` below reads too.
    const server = await replica(f, 0, { CAIRN_HOME: f.home }, ['--metrics-anonymous']);
    cleanup.push(() => server.stop());

    await until(
      'the escalation',
      () => received.map((a) => a.kind),
      (kinds) => kinds.includes('schedule-escalation'),
      30_000,
    );
    const kinds = received.map((a) => a.kind);
    assert.deepEqual(kinds.slice(0, 2), ['schedule-late', 'schedule-escalation']);
    assert.equal(received[0]!.severity, 'warning');
    assert.equal(received[1]!.severity, 'critical');
    assert.equal(received[0]!.details.slot, received[1]!.details.slot, 'the same slot');
    // A schedule that never ran takes its latest slot at once, which may already be past both thresholds:
    // the alerts can then come before the first attempt meets the lock. The run records what blocks it.
    const blocked = await until(
      'the run to record what blocks it',
      () =>
        f
          .cli(['schedules', '--json'])
          .json<{ schedules: Array<{ last: { details: { blocked?: string } | null } | null }> }>(),
      (s) => typeof s.schedules[0]?.last?.details?.blocked === 'string',
      30_000,
    );
    assert.match(String(blocked.schedules[0]!.last!.details!.blocked), /repository is locked by prune/);

    const metrics = async () => (await fetch(`${server.url}/metrics`)).text();
    assert.match(await metrics(), /^cairn_schedule_late\{schedule="tier:2"\} 1$/m);
    assert.doesNotMatch(await metrics(), /^cairn_schedule_last_success_timestamp_seconds\{/m);

    rmSync(lock, { force: true });
    const r = await until(
      'the blocked slot to run',
      () =>
        f.cli(['schedules', '--json']).json<{ schedules: Array<{ key: string; last: { status: string } | null }> }>(),
      (s) => s.schedules[0]?.last?.status === 'ok',
      30_000,
    );
    assert.equal(r.schedules[0]!.key, 'tier:2');
    assert.match(await metrics(), /^cairn_schedule_last_success_timestamp_seconds\{schedule="tier:2"\} \d+/m);
    await server.stop();
    const log = f.cli(['audit', 'log', '--json', '--action', 'schedule.*']);
    assert.equal(log.code, 0, log.stderr);
    const actions = new Set(log.stdout.match(/schedule\.[a-z-]+/g));
    assert.ok(actions.has('schedule.late') && actions.has('schedule.escalation'), [...actions].join(', '));
  });
});

describe('catch-up after downtime', () => {
  const cleanup: Array<() => unknown> = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('runs one catch-up run for ten missed slots, and counts them as skipped', async () => {
    const { f, db } = pgFixture(policy('*/5 * * * * *'));
    cleanup.push(() => db.drop());
    // Make the catalog (its tables) and record a run ten slots ago, as a server stopped since would have.
    assert.equal(f.cli(['schedules', '--json']).code, 0);
    const lastSlot = new Date(Math.floor(Date.now() / 5000) * 5000 - 10 * 5000).toISOString();
    await query(
      db.url,
      `insert into schedule_runs (schedule_key, slot, due_at, claimed_by, claimed_at, started_at, finished_at, status)
       values ('tier:2', $1, $1, 'gone:1:dead', $1, $1, $1, 'ok')`,
      [lastSlot],
    );
    const server = await replica(f, 0, { CAIRN_SCHEDULER_TICK_MS: '100000' }); // one tick: at start
    cleanup.push(() => server.stop());
    const rows = await until(
      'the catch-up run',
      () => runsOf(db.url, 'tier:2'),
      (r) => r.length >= 2 && r.at(-1)!.status === 'ok',
      30_000,
    );
    await server.stop();
    const after = await runsOf(db.url, 'tier:2');
    assert.equal(after.length, 2, 'exactly one run after the recorded one');
    const details = JSON.parse(rows[1]!.details ?? '{}') as { skipped?: number };
    assert.ok(details.skipped !== undefined && details.skipped >= 9, `skipped ${details.skipped}`);
  });
});
