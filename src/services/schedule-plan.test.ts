import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCairnError } from '../errors/index.js';
import { type Item, type MaintenanceWindow, type Policy, parsePolicy, type Schedule } from '../policy/index.js';
import {
  dueAt,
  dueRun,
  hasSeconds,
  lateness,
  latestSlot,
  nextSlot,
  type PlannedSchedule,
  planSchedules,
  slotsBetween,
  windowOpen,
} from './schedule-plan.js';

const sched = (cron: string, timezone = 'UTC', maintenanceWindowsOnly = false): Schedule => ({
  cron,
  timezone,
  maintenanceWindowsOnly,
});
const iso = (d: Date | undefined) => d?.toISOString();
const at = (s: string) => new Date(s);

function item(name: string, tier: string, extra: Partial<Item> = {}): Item {
  return { name, tier, owner: 'ops', sources: [], requires: [], bundleWith: [], ...extra } as unknown as Item;
}

const sunday: MaintenanceWindow = {
  text: 'sun 02:00-04:00 Europe/London',
  days: [0],
  startMinute: 120,
  endMinute: 240,
  timezone: 'Europe/London',
};

function planned(schedule: Schedule, windows: MaintenanceWindow[] = []): PlannedSchedule {
  return { key: 'tier:0', kind: 'tier', name: '0', items: ['app'], schedule, windows };
}

describe('planSchedules', () => {
  it('groups the items of a tier under one key, gives an own schedule its key, and adds drift schedules', () => {
    const policy = {
      tiers: { 0: { name: '0', schedule: sched('*/15 * * * *') }, 1: { name: '1' } },
      environments: {
        prod: { name: 'prod', maintenanceWindows: [sunday], autoRollback: false, driftSchedule: sched('*/30 * * * *') },
        dev: { name: 'dev', maintenanceWindows: [], autoRollback: false },
      },
      items: [
        item('a', '0', { environment: 'prod' }),
        item('b', '0'),
        item('c', '0', { schedule: sched('0 * * * *') }),
        item('d', '1'),
      ],
    } as unknown as Policy;
    const plans = planSchedules(policy);
    assert.deepEqual(
      plans.map((p) => [p.key, p.kind, p.items, p.schedule.cron, p.windows.length]),
      [
        ['drift:prod', 'drift', [], '*/30 * * * *', 1],
        ['item:c', 'item', ['c'], '0 * * * *', 0],
        ['tier:0', 'tier', ['a', 'b'], '*/15 * * * *', 1],
      ],
    );
    assert.equal(plans[0]?.environment, 'prod');
  });

  it('splits a windowed tier schedule per environment, each with its own windows', () => {
    const staging: MaintenanceWindow = {
      ...sunday,
      text: 'sat 22:00-23:00 UTC',
      days: [6],
      startMinute: 1320,
      endMinute: 1380,
      timezone: 'UTC',
    };
    const policy = {
      tiers: {
        0: { name: '0', schedule: sched('0 * * * *', 'UTC', true) },
        1: { name: '1', schedule: sched('0 * * * *') },
      },
      environments: {
        prod: { name: 'prod', maintenanceWindows: [sunday], autoRollback: false },
        staging: { name: 'staging', maintenanceWindows: [staging], autoRollback: false },
      },
      items: [
        item('a', '0', { environment: 'prod' }),
        item('b', '0', { environment: 'staging' }),
        item('c', '0', { environment: 'prod' }),
        item('d', '1', { environment: 'prod' }),
        item('e', '1', { environment: 'staging' }),
      ],
    } as unknown as Policy;
    const plans = planSchedules(policy);
    assert.deepEqual(
      plans.map((p) => [p.key, p.name, p.environment ?? null, p.items, p.windows.map((w) => w.text)]),
      [
        ['tier:0@prod', '0', 'prod', ['a', 'c'], ['sun 02:00-04:00 Europe/London']],
        ['tier:0@staging', '0', 'staging', ['b'], ['sat 22:00-23:00 UTC']],
        // Without maintenanceWindowsOnly the tier stays one schedule.
        ['tier:1', '1', null, ['d', 'e'], ['sun 02:00-04:00 Europe/London', 'sat 22:00-23:00 UTC']],
      ],
    );
    // A prod item is never due in staging's window.
    const prod = plans[0]!;
    assert.equal(windowOpen(prod, at('2026-11-28T22:30:00Z')), false, "staging's window");
    assert.equal(windowOpen(prod, at('2026-11-29T02:30:00Z')), true, "prod's window");
  });

  it("plans a drill plan with a schedule as drill:<plan>, in the windows of its items' environments", () => {
    const policy = {
      tiers: { 0: { name: '0' } },
      environments: {
        prod: { name: 'prod', maintenanceWindows: [sunday], autoRollback: false },
        dev: { name: 'dev', maintenanceWindows: [], autoRollback: false },
      },
      items: [item('a', '0', { environment: 'prod' }), item('b', '0', { environment: 'dev' }), item('c', '0')],
      drills: [
        { name: 'quarterly', schedule: sched('0 6 1 */3 *', 'Europe/London', true), items: ['a', 'c'] },
        { name: 'dev-weekly', schedule: sched('0 5 * * 1'), environment: 'dev', items: ['b'] },
        { name: 'manual-only', items: ['a'] },
      ],
    } as unknown as Policy;
    const plans = planSchedules(policy);
    assert.deepEqual(
      plans.map((p) => [p.key, p.kind, p.name, p.items, p.environment ?? null, p.schedule.timezone, p.windows.length]),
      [
        ['drill:dev-weekly', 'drill', 'dev-weekly', ['b'], 'dev', 'UTC', 0],
        ['drill:quarterly', 'drill', 'quarterly', ['a', 'c'], null, 'Europe/London', 1],
      ],
    );
    const quarterly = plans[1]!;
    assert.equal(quarterly.schedule.maintenanceWindowsOnly, true);
    // Due on 1 Jan 06:00 London (a Thursday in 2026): waits for prod's Sunday window.
    assert.equal(iso(dueAt(quarterly, at('2026-01-01T06:00:00Z'))), '2026-01-04T02:00:00.000Z');
  });

  it('refuses a policy whose item has no environment under a schedule that waits for windows', () => {
    const text = `version: 1
governance: { retentionClasses: { internal: { keep: 400d } } }
tiers:
  0: { retentionClass: internal, schedule: { cron: "0 * * * *", maintenanceWindowsOnly: true } }
environments:
  prod: { maintenanceWindows: ["sun 02:00-04:00 UTC"] }
items:
  - name: app
    owner: team
    tier: 0
    environment: prod
    sources: [{ files: { root: conf } }]
  - name: loose
    owner: team
    tier: 0
    sources: [{ files: { root: conf } }]
`;
    assert.throws(
      () => parsePolicy(text, 'cairn.yaml'),
      (err: unknown) =>
        isCairnError(err, 'CAIRN_E_POLICY_INVALID') &&
        /cairn\.yaml:15:.*item "loose": tier 0's schedule runs only in maintenance windows, but it has no environment/.test(
          err.message,
        ),
    );
  });
});

describe('slots', () => {
  it('follows Europe/London across both DST changes', () => {
    const s = sched('0 9 * * *', 'Europe/London');
    assert.deepEqual(slotsBetween(s, at('2026-03-27T12:00:00Z'), at('2026-03-30T12:00:00Z')).map(iso), [
      '2026-03-28T09:00:00.000Z', // GMT
      '2026-03-29T08:00:00.000Z', // BST from 01:00 GMT that morning
      '2026-03-30T08:00:00.000Z',
    ]);
    assert.deepEqual(slotsBetween(s, at('2026-10-23T12:00:00Z'), at('2026-10-26T12:00:00Z')).map(iso), [
      '2026-10-24T08:00:00.000Z',
      '2026-10-25T09:00:00.000Z', // back to GMT
      '2026-10-26T09:00:00.000Z',
    ]);
    // A wall time in the spring-forward gap still runs that day, once; one in the repeated hour once.
    const gap = sched('30 1 * * *', 'Europe/London');
    assert.equal(slotsBetween(gap, at('2026-03-29T00:00:00Z'), at('2026-03-29T23:00:00Z')).length, 1);
    assert.equal(slotsBetween(gap, at('2026-10-25T00:00:00Z'), at('2026-10-25T23:00:00Z')).length, 1);
  });

  it('reads a 6-field cron with seconds first', () => {
    const s = sched('*/2 * * * * *');
    assert.equal(hasSeconds(s), true);
    assert.equal(hasSeconds(sched('*/15 * * * *')), false);
    assert.deepEqual(slotsBetween(s, at('2026-11-29T10:00:00Z'), at('2026-11-29T10:00:09.999Z')).map(iso), [
      '2026-11-29T10:00:02.000Z',
      '2026-11-29T10:00:04.000Z',
      '2026-11-29T10:00:06.000Z',
      '2026-11-29T10:00:08.000Z',
    ]);
    assert.equal(iso(latestSlot(s, at('2026-11-29T10:00:04.000Z'))), '2026-11-29T10:00:04.000Z', 'inclusive');
    assert.equal(iso(latestSlot(s, at('2026-11-29T10:00:05.900Z'))), '2026-11-29T10:00:04.000Z');
    assert.equal(iso(nextSlot(s, at('2026-11-29T10:00:04.000Z'))), '2026-11-29T10:00:06.000Z', 'exclusive');
  });
});

describe('maintenance windows', () => {
  const hourly = planned(sched('0 * * * *', 'UTC', true), [sunday]);

  it('defers a slot outside the windows to the next window start, keeping the slot as identity', () => {
    assert.equal(iso(dueAt(hourly, at('2026-11-28T10:00:00Z'))), '2026-11-29T02:00:00.000Z');
    assert.equal(iso(dueAt(hourly, at('2026-11-29T03:00:00Z'))), '2026-11-29T03:00:00.000Z', 'inside: at once');
    // Without maintenanceWindowsOnly, or without windows, a slot is due when it falls.
    assert.equal(iso(dueAt(planned(sched('0 * * * *')), at('2026-11-28T10:00:00Z'))), '2026-11-28T10:00:00.000Z');
    const noWindows = planned(sched('0 * * * *', 'UTC', true));
    assert.equal(iso(dueAt(noWindows, at('2026-11-28T10:00:00Z'))), '2026-11-28T10:00:00.000Z');
  });

  it('waits for the window, then runs the latest slot once', () => {
    const last = { slot: '2026-11-28T09:00:00.000Z', startedAt: '2026-11-28T09:00:00.100Z', status: 'ok' };
    const waiting = dueRun(hourly, last, at('2026-11-28T12:30:00Z'));
    assert.equal(iso(waiting?.slot), '2026-11-28T12:00:00.000Z');
    assert.equal(iso(waiting?.dueAt), '2026-11-29T02:00:00.000Z');
    assert.equal(waiting?.ready, false);
    const open = dueRun(hourly, last, at('2026-11-29T02:00:30Z'));
    assert.equal(iso(open?.slot), '2026-11-29T02:00:00.000Z');
    assert.equal(open?.ready, true);
    assert.equal(open?.skipped, 16); // 10:00 Saturday … 01:00 Sunday
  });

  it('does not start a slot whose window closed before now (server down across it): it waits for the next window', () => {
    const last = { slot: '2026-11-28T09:00:00.000Z', startedAt: '2026-11-28T09:00:00.100Z', status: 'ok' };
    // Down from Saturday to Sunday 05:00, after the 02:00-04:00 window: the 03:00 slot was due at 03:00.
    const after = dueRun(hourly, last, at('2026-11-29T05:10:00Z'));
    assert.equal(iso(after?.slot), '2026-11-29T05:00:00.000Z');
    assert.equal(after?.ready, false, 'not at once');
    assert.equal(iso(after?.dueAt), '2026-12-06T02:00:00.000Z', 'the next window');
    assert.equal(windowOpen(hourly, at('2026-11-29T05:10:00Z')), false);
    // Inside the next window it runs.
    const next = dueRun(hourly, last, at('2026-12-06T02:00:10Z'));
    assert.equal(next?.ready, true);
    assert.equal(iso(next?.slot), '2026-12-06T02:00:00.000Z');
    assert.equal(windowOpen(hourly, at('2026-12-06T03:59:59Z')), true);
    assert.equal(windowOpen(planned(sched('0 * * * *')), at('2026-11-29T05:10:00Z')), true, 'no windows: always');
  });
});

describe('catch-up', () => {
  const quarter = planned(sched('*/15 * * * *'));

  it('runs only the latest of 5 missed slots, once, and counts the others as skipped', () => {
    const last = { slot: '2026-11-29T10:00:00.000Z', startedAt: '2026-11-29T10:00:01.000Z', status: 'ok' };
    const due = dueRun(quarter, last, at('2026-11-29T11:20:00Z'));
    assert.equal(iso(due?.slot), '2026-11-29T11:15:00.000Z');
    assert.equal(due?.ready, true);
    assert.equal(due?.skipped, 4);
    assert.equal(due?.firstSkipped, '2026-11-29T10:15:00.000Z');
    assert.equal(due?.lastSkipped, '2026-11-29T11:00:00.000Z');
    // Once claimed, nothing more is due until the next slot.
    const claimed = { slot: '2026-11-29T11:15:00.000Z', startedAt: null, status: 'claimed' };
    assert.equal(dueRun(quarter, claimed, at('2026-11-29T11:29:59Z')), undefined);
    assert.equal(iso(dueRun(quarter, claimed, at('2026-11-29T11:30:00Z'))?.slot), '2026-11-29T11:30:00.000Z');
  });

  it('runs the latest slot when nothing was ever recorded, and skips slots a late start covered', () => {
    const first = dueRun(quarter, undefined, at('2026-11-29T11:20:00Z'));
    assert.equal(iso(first?.slot), '2026-11-29T11:15:00.000Z');
    assert.equal(first?.skipped, 0);
    const startedLate = { slot: '2026-11-29T11:00:00.000Z', startedAt: '2026-11-29T11:17:00.000Z', status: 'ok' };
    assert.equal(dueRun(quarter, startedLate, at('2026-11-29T11:20:00Z')), undefined);
    const failedLate = { ...startedLate, status: 'failed' };
    assert.equal(iso(dueRun(quarter, failedLate, at('2026-11-29T11:20:00Z'))?.slot), '2026-11-29T11:15:00.000Z');
  });
});

describe('lateness', () => {
  const limits = { lateAfterMs: 15 * 60_000, escalateAfterMs: 30 * 60_000 };
  const due = at('2026-11-29T10:00:00Z');

  it('is late after due + lateAfter and escalates after a further escalateAfter, unless finished', () => {
    assert.equal(lateness(due, false, limits, at('2026-11-29T10:14:59.999Z')).late, false);
    const late = lateness(due, false, limits, at('2026-11-29T10:15:00Z'));
    assert.deepEqual([late.late, late.escalate, iso(late.lateAt)], [true, false, '2026-11-29T10:15:00.000Z']);
    assert.equal(lateness(due, false, limits, at('2026-11-29T10:44:59.999Z')).escalate, false);
    const esc = lateness(due, false, limits, at('2026-11-29T10:45:00Z'));
    assert.deepEqual([esc.late, esc.escalate, iso(esc.escalateAt)], [true, true, '2026-11-29T10:45:00.000Z']);
    const done = lateness(due, true, limits, at('2026-11-29T12:00:00Z'));
    assert.deepEqual([done.late, done.escalate], [false, false]);
  });
});
