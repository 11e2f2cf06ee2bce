/**
 * The scheduler of `cairn serve` in this process, on a real repository and its SQLite catalog, with
 * the catalog and the repository opening wrapped to inject what a server meets: a run that hangs, a
 * catalog error while recording a run's end, a claim taken over by another replica, a maintenance
 * window that closed while the server was down. Alerts are observed as the audit events they make.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { AuditInput, AuditLog } from '../src/audit/index.js';
import type { Catalog, DrillRecords, ScheduleRuns } from '../src/catalog/index.js';
import { loadPolicy } from '../src/policy/index.js';
import type { Repository } from '../src/repo/index.js';
import { startScheduler } from '../src/server/wire/scheduler.js';
import type { WireContext } from '../src/server/wire/wire-context.js';
import { AlertCenter, openRepository, openSession } from '../src/services/index.js';
import { type Fixture, fixture } from './helpers.js';
import { until } from './serve-support.js';

const secret = { kind: 'password', value: 'test passphrase' } as const;

function policy(schedule: string, extra = '', environments = '  prod: {}\n'): string {
  return `version: 1
governance:
  retentionClasses:
    short: { keep: 0d }
${extra}tiers:
  2:
    retentionClass: short
    keep: { last: 1000 }
    schedule: ${schedule}
environments:
${environments}items:
  - name: app-prod
    owner: team@example.com
    tier: 2
    environment: prod
    sources:
      - files: { root: src/prod }
  - name: app-prod-2
    owner: team@example.com
    tier: 2
    environment: prod
    sources:
      - files: { root: src/prod }
`;
}

/** A slot long past: a yearly schedule runs once (its catch-up), then nothing more is due this year. */
const YEARLY = '"0 0 1 1 *"';

interface Harness {
  readonly f: Fixture;
  readonly ctx: WireContext;
  readonly catalog: Catalog;
  readonly events: AuditInput[];
  readonly errors: Array<{ what: string; err: unknown }>;
  /** Times a run opened the repository (withRepository), and the ticks (each reads the policy). */
  readonly counts: { repositories: number; ticks: number };
}

const cleanup: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function harness(
  yaml: string,
  wrap: {
    schedules?: (real: ScheduleRuns) => Partial<ScheduleRuns>;
    drills?: (real: DrillRecords) => Partial<DrillRecords>;
    /** Awaited before each run opens the repository. */
    beforeRun?: () => Promise<void>;
  } = {},
): Promise<Harness> {
  const f = fixture({ policy: yaml });
  const session = await openSession({ repository: f.repo, secret, home: f.home });
  cleanup.push(() => session.close());
  const { policy: loaded } = await loadPolicy(join(f.dir, 'cairn.yaml'));
  const real = session.catalog.schedules;
  const overrides = wrap.schedules?.(real) ?? {};
  const schedules = new Proxy(real, {
    get: (target, prop) => {
      const own = (overrides as Record<PropertyKey, unknown>)[prop];
      if (own !== undefined) return own;
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const drillOverrides = wrap.drills?.(session.catalog.drills) ?? {};
  const drills = new Proxy(session.catalog.drills, {
    get: (target, prop) => {
      const own = (drillOverrides as Record<PropertyKey, unknown>)[prop];
      if (own !== undefined) return own;
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const catalog = new Proxy(session.catalog, {
    get: (target, prop) => {
      if (prop === 'schedules') return schedules;
      if (prop === 'drills') return drills;
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const events: AuditInput[] = [];
  const errors: Harness['errors'] = [];
  const counts = { repositories: 0, ticks: 0 };
  const log = {
    record: async (e: AuditInput) => {
      events.push(e);
    },
  } as unknown as AuditLog;
  const ctx: WireContext = {
    catalog,
    repo: session.repo,
    log,
    version: 'test',
    // No sinks: the alerts are observed as the audit events they make.
    alerts: new AlertCenter({ catalog, log, policy: async () => loaded, sinks: () => [] }),
    report: (what, err) => errors.push({ what, err }),
    policy: async () => {
      counts.ticks++;
      return loaded;
    },
    access: () => Promise.reject(new Error('not used')),
    async withRepository<T>(fn: (repo: Repository) => Promise<T>): Promise<T> {
      counts.repositories++;
      await wrap.beforeRun?.();
      const repo = await openRepository({ repository: f.repo, secret });
      try {
        return await fn(repo);
      } finally {
        await repo.close();
        await repo.storage.close();
      }
    },
  };
  return { f, ctx, catalog: session.catalog, events, errors, counts };
}

function gate(): { wait: () => Promise<void>; open: () => void } {
  let open!: () => void;
  const p = new Promise<void>((r) => {
    open = r;
  });
  return { wait: () => p, open };
}

const lateAlerts = (events: AuditInput[]) => events.filter((e) => e.action === 'schedule.late');

describe('scheduler: late runs of a single replica', () => {
  it("alerts schedule-late while this replica's own run is still running", async () => {
    const hang = gate();
    const h = await harness(policy('"* * * * * *"', 'alerts: { lateAfter: 2s, escalateAfter: 1h }\n'), {
      beforeRun: hang.wait,
    });
    const s = startScheduler(h.ctx, { tickMs: 100, onError: (what, err) => h.errors.push({ what, err }) });
    cleanup.push(() => s.stop());
    await until(
      'the late alert',
      () => lateAlerts(h.events).length,
      (n) => n > 0,
      15_000,
    );
    const stopping = s.stop();
    hang.open();
    await stopping;
    const [late] = lateAlerts(h.events);
    assert.equal(late!.target, 'tier:2');
    assert.match(String(late!.details?.summary), /is late: still running after 2 s/);
    assert.equal(late!.details?.status, 'running');
    assert.equal(lateAlerts(h.events).length, 1, 'once');
  });

  it('alerts schedule-late for a catch-up run that starts after its late time and ends between two ticks', async () => {
    const h = await harness(policy(YEARLY));
    const s = startScheduler(h.ctx, { tickMs: 100_000, onError: (what, err) => h.errors.push({ what, err }) });
    cleanup.push(() => s.stop());
    const [row] = await until(
      'the catch-up run',
      () => h.catalog.schedules.list('tier:2'),
      (rows) => rows[0]?.finishedAt != null,
      30_000,
    );
    await s.stop();
    assert.equal(row!.status, 'ok');
    assert.equal(h.counts.ticks, 1, 'one tick: no tick saw the run unfinished');
    const late = lateAlerts(h.events);
    assert.equal(late.length, 1, JSON.stringify(h.events.map((e) => e.action)));
    assert.match(String(late[0]!.details?.summary), /due 20\d\d-01-01T00:00:00.000Z is late: started only at /);
    assert.equal(late[0]!.details?.startedAt, row!.startedAt);
    assert.ok((await h.catalog.schedules.get('tier:2', row!.slot))?.lateAlertedAt, 'marked alerted (CAS)');
    assert.ok(!h.events.some((e) => e.action === 'schedule.escalation'), 'no escalation for a run that started');
    // The AlertCenter's alert for it is resolved once the run finished.
    const [alert] = (await h.catalog.alerts.list({ state: 'resolved' })).filter(
      (x) => x.dedupKey === `schedule-late:tier:2@${row!.slot}`,
    );
    assert.equal(alert?.category, 'late');
    assert.ok(alert?.resolvedAt, JSON.stringify(alert));
  });
});

describe('scheduler: a run whose end could not be recorded', () => {
  it('runs the slot again on the same replica when markFinished threw', async () => {
    let failures = 0;
    const h = await harness(policy(YEARLY), {
      schedules: (real) => ({
        markFinished: async (...args: Parameters<ScheduleRuns['markFinished']>) => {
          if (failures++ === 0) throw new Error('catalog connection reset');
          return real.markFinished(...args);
        },
      }),
    });
    const s = startScheduler(h.ctx, { tickMs: 100, onError: (what, err) => h.errors.push({ what, err }) });
    cleanup.push(() => s.stop());
    const [row] = await until(
      'the slot to finish',
      () => h.catalog.schedules.list('tier:2'),
      (rows) => rows[0]?.finishedAt != null,
      30_000,
    );
    await s.stop();
    assert.equal(row!.status, 'ok');
    assert.equal(row!.claimedBy, s.replica);
    assert.equal(h.counts.repositories, 2, 'run twice: the first end was lost');
    assert.ok(
      h.errors.some((e) => /catalog connection reset/.test(String(e.err))),
      'the catalog error is reported',
    );
    assert.equal((await h.catalog.schedules.list('tier:2')).length, 1, 'one slot');
  });
});

describe('scheduler: a claim taken over by another replica', () => {
  it('stops the run: no snapshot, nothing recorded, no alert', async () => {
    const hold = gate();
    const lost = gate();
    // Never late: no alert is due from anyone, so any alert would come from the run that lost its claim.
    const h = await harness(policy(YEARLY, 'alerts: { lateAfter: 2y }\n'), {
      beforeRun: hold.wait,
      schedules: (real) => ({
        heartbeat: async (...args: Parameters<ScheduleRuns['heartbeat']>) => {
          const held = await real.heartbeat(...args);
          if (!held) lost.open();
          return held;
        },
      }),
    });
    // Heartbeat every second; the lease (3 s) keeps this replica from taking the slot back meanwhile.
    const s = startScheduler(h.ctx, {
      tickMs: 100,
      leaseMs: 3000,
      onError: (what, err) => h.errors.push({ what, err }),
    });
    cleanup.push(() => s.stop());
    const [running] = await until(
      'the run to start',
      () => h.catalog.schedules.list('tier:2'),
      (rows) => rows[0]?.status === 'running',
    );
    const eventsBefore = h.events.length;
    await until(
      'the takeover',
      async () => {
        const row = await h.catalog.schedules.get('tier:2', running!.slot);
        return h.catalog.schedules.takeOver('tier:2', running!.slot, 'other:1:x', row!.claimedAt);
      },
      (won) => won,
    );
    await lost.wait(); // the next heartbeat finds the claim gone
    const stopping = s.stop();
    hold.open(); // the run goes on only now, after it lost its claim
    await stopping;
    const snapshots = (await h.catalog.snapshotCounts()).reduce((n, c) => n + c.count, 0);
    assert.equal(snapshots, 0, 'no snapshot taken by the run that lost its claim');
    const row = await h.catalog.schedules.get('tier:2', running!.slot);
    assert.deepEqual([row?.status, row?.claimedBy, row?.finishedAt], ['claimed', 'other:1:x', null]);
    assert.deepEqual(
      h.events.slice(eventsBefore).map((e) => e.action),
      [],
      'no schedule.run, no alert',
    );
  });
});

describe('scheduler: maintenance windows at the time a run starts', () => {
  it('starts no run while the window is closed: neither a slot whose window passed nor a blocked claim', async () => {
    // A weekday that is not today (nor tomorrow, for a test running at midnight): its window is closed now.
    const day = (new Date().getUTCDay() + 3) % 7;
    const names = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
    const cron = `"0 0 * * ${day}"`;
    const yaml = policy(
      `{ cron: ${cron}, maintenanceWindowsOnly: true }`,
      '',
      `  prod: { maintenanceWindows: ["${names[day]} 00:00-01:00 UTC"] }\n`,
    ).replace(
      '  - name: app-prod-2\n    owner: team@example.com\n    tier: 2\n',
      `  - name: app-prod-2\n    owner: team@example.com\n    tier: 2\n    schedule: { cron: ${cron}, maintenanceWindowsOnly: true }\n`,
    );
    const h = await harness(yaml);
    const { schedules } = h.catalog;
    // The latest slot (inside last week's window) was claimed by a replica gone since, blocked.
    const slot = new Date(Date.now() - ((new Date().getUTCDay() - day + 7) % 7) * 86_400_000);
    slot.setUTCHours(0, 0, 0, 0);
    const latest = slot.toISOString();
    const old = new Date(Date.parse(latest) + 60_000);
    assert.ok(await schedules.claim('tier:2@prod', latest, 'gone:1:dead', { dueAt: latest, at: old }));
    // The item's own schedule last ran the week before: its latest slot's window has passed.
    const weekBefore = new Date(Date.parse(latest) - 7 * 86_400_000).toISOString();
    assert.ok(await schedules.claim('item:app-prod-2', weekBefore, 'gone:1:dead', { dueAt: weekBefore }));
    const ranAt = new Date(Date.parse(weekBefore) + 1000);
    assert.ok(await schedules.markStarted('item:app-prod-2', weekBefore, 'gone:1:dead', ranAt));
    assert.ok(await schedules.markFinished('item:app-prod-2', weekBefore, 'gone:1:dead', 'ok', {}, ranAt));

    const s = startScheduler(h.ctx, {
      tickMs: 50,
      leaseMs: 1000,
      onError: (what, err) => h.errors.push({ what, err }),
    });
    cleanup.push(() => s.stop());
    await until(
      'ten ticks',
      () => h.counts.ticks,
      (n) => n >= 10,
    );
    await s.stop();
    assert.equal(h.counts.repositories, 0, 'no run started outside the window');
    const tier = await schedules.list('tier:2@prod');
    assert.deepEqual(
      tier.map((r) => [r.slot, r.status, r.claimedBy]),
      [[latest, 'claimed', 'gone:1:dead']],
      'the blocked claim is not taken over while the window is closed',
    );
    const item = await schedules.list('item:app-prod-2');
    assert.deepEqual(
      item.map((r) => r.slot),
      [weekBefore],
      'the slot whose window passed is not claimed: it waits for the next window',
    );
    assert.deepEqual(h.errors, []);
  });
});

describe('scheduler: a drill that cannot run', () => {
  it('records the run failed and raises drill-failed with the error', async () => {
    const yaml = `${policy(YEARLY, 'alerts: { lateAfter: 2y }\n')}drills:
  - name: yearly
    schedule: ${YEARLY}
    items: [app-prod]
    validate:
      - run: "true"
`;
    const h = await harness(yaml, {
      drills: () => ({
        insert: async () => {
          throw new Error('catalog connection reset');
        },
      }),
    });
    const s = startScheduler(h.ctx, { tickMs: 100, onError: (what, err) => h.errors.push({ what, err }) });
    cleanup.push(() => s.stop());
    const [row] = await until(
      'the drill run to end',
      () => h.catalog.schedules.list('drill:yearly'),
      (rows) => rows[0]?.finishedAt != null,
      30_000,
    );
    await s.stop();
    assert.equal(row!.status, 'failed');
    assert.match(JSON.stringify(row!.details), /catalog connection reset/);
    const alert = await h.catalog.alerts.byDedupKey('drill-failed:yearly');
    assert.equal(alert?.kind, 'drill-failed');
    assert.equal(alert?.category, 'drill');
    assert.match(alert!.summary, /scheduled drill yearly could not run: .*catalog connection reset/);
    assert.equal(await h.catalog.alerts.byDedupKey('schedule-failed:drill:yearly'), undefined, 'drill-failed says it');
    assert.ok(
      h.events.some((e) => e.action === 'alert.raised' && e.details?.kind === 'drill-failed'),
      'audited by the AlertCenter',
    );
  });
});
