import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CairnError } from '../errors/index.js';
import { applyKeepRules, isoWeek, retainUntil } from './retention.js';
import type { KeepRules, Policy, Tier } from './types.js';

const DAY = 86_400_000;
const at = (iso: string) => new Date(iso);
const snaps = (...isos: string[]) => isos.map((iso, i) => ({ id: `s${i}`, time: at(iso) }));
const kept = (rules: KeepRules, list: { id: string; time: Date }[], now = at('2030-01-01T00:00:00Z')) =>
  applyKeepRules(list, rules, now).keep.map((k) => k.id);

describe('isoWeek', () => {
  const cases: [string, string][] = [
    ['2024-12-29T12:00:00Z', '2024-W52'], // Sunday
    ['2024-12-30T00:00:00Z', '2025-W01'], // Monday: ISO 2025 starts in December 2024
    ['2021-01-03T23:59:59Z', '2020-W53'], // Sunday of 2020's week 53
    ['2021-01-04T00:00:00Z', '2021-W01'],
    ['2026-12-31T00:00:00Z', '2026-W53'],
    ['2027-01-01T00:00:00Z', '2026-W53'], // Friday still in 2026-W53
    ['2027-01-04T00:00:00Z', '2027-W01'],
  ];
  for (const [iso, week] of cases) test(`${iso} is ${week}`, () => assert.equal(isoWeek(at(iso)), week));
});

describe('applyKeepRules', () => {
  const table: { name: string; rules: KeepRules; list: { id: string; time: Date }[]; keep: string[] }[] = [
    {
      name: 'empty rules keep everything',
      rules: {},
      list: snaps('2029-01-01T00:00:00Z', '2029-01-02T00:00:00Z'),
      keep: ['s1', 's0'],
    },
    {
      name: 'all-zero rules keep everything too',
      rules: { last: 0, daily: 0, withinMs: 0 },
      list: snaps('2029-01-01T00:00:00Z', '2029-01-02T00:00:00Z'),
      keep: ['s1', 's0'],
    },
    {
      name: 'last 2',
      rules: { last: 2 },
      list: snaps('2029-01-01T00:00:00Z', '2029-01-03T00:00:00Z', '2029-01-02T00:00:00Z'),
      keep: ['s1', 's2'],
    },
    {
      name: 'daily keeps the newest of each day',
      rules: { daily: 2 },
      list: snaps('2029-01-01T08:00:00Z', '2029-01-01T20:00:00Z', '2029-01-02T08:00:00Z', '2029-01-02T20:00:00Z'),
      keep: ['s3', 's1'],
    },
    {
      name: 'daily buckets are UTC days (23:30Z is still Jan 1, whatever the local clock says)',
      rules: { daily: 2 },
      list: snaps('2029-01-01T00:30:00Z', '2029-01-01T23:30:00Z', '2029-01-02T00:30:00Z'),
      keep: ['s2', 's1'],
    },
    {
      name: 'hourly',
      rules: { hourly: 2 },
      list: snaps('2029-01-01T10:05:00Z', '2029-01-01T10:55:00Z', '2029-01-01T11:10:00Z', '2029-01-01T12:00:00Z'),
      keep: ['s3', 's2'],
    },
    {
      name: 'weekly across the ISO year boundary: Sun 2024-12-29 and Mon 2024-12-30 are different weeks',
      rules: { weekly: 2 },
      list: snaps('2024-12-28T12:00:00Z', '2024-12-29T12:00:00Z', '2024-12-30T12:00:00Z', '2024-12-31T12:00:00Z'),
      keep: ['s3', 's1'],
    },
    {
      name: 'weekly: Dec 31 and Jan 1 in the same ISO week are one bucket',
      rules: { weekly: 1 },
      list: snaps('2026-12-31T12:00:00Z', '2027-01-01T12:00:00Z', '2027-01-04T12:00:00Z'),
      keep: ['s2'],
    },
    {
      name: 'monthly',
      rules: { monthly: 2 },
      list: snaps('2029-01-05T00:00:00Z', '2029-01-25T00:00:00Z', '2029-02-05T00:00:00Z', '2029-03-05T00:00:00Z'),
      keep: ['s3', 's2'],
    },
    {
      name: 'yearly across the calendar year boundary',
      rules: { yearly: 2 },
      list: snaps('2027-06-01T00:00:00Z', '2028-12-31T23:59:59Z', '2029-01-01T00:00:00Z', '2029-06-01T00:00:00Z'),
      keep: ['s3', 's1'],
    },
    {
      name: 'more periods asked than exist: the oldest snapshot is kept too',
      rules: { monthly: 12 },
      list: snaps('2029-01-05T00:00:00Z', '2029-01-25T00:00:00Z', '2029-02-05T00:00:00Z'),
      keep: ['s2', 's1', 's0'],
    },
    {
      name: 'within is relative to the newest snapshot, so stopped backups are not aged out',
      rules: { withinMs: 2 * DAY },
      list: snaps('2028-01-01T00:00:00Z', '2028-01-02T12:00:00Z', '2028-01-03T00:00:00Z'),
      keep: ['s2', 's1'],
    },
    {
      name: 'rules combine: a snapshot is kept when any rule keeps it',
      rules: { last: 1, monthly: 2 },
      list: snaps('2029-01-05T00:00:00Z', '2029-02-05T00:00:00Z', '2029-02-06T00:00:00Z'),
      keep: ['s2', 's0'],
    },
  ];
  for (const row of table) test(row.name, () => assert.deepEqual(kept(row.rules, row.list), row.keep));

  test('reasons name the rules, and remove lists the rest', () => {
    const list = snaps('2029-01-01T08:00:00Z', '2029-01-01T20:00:00Z', '2029-01-02T08:00:00Z');
    const result = applyKeepRules(list, { last: 1, daily: 2 }, at('2029-01-03T00:00:00Z'));
    assert.deepEqual(result.keep, [
      { id: 's2', reasons: ['last snapshot', 'daily snapshot'] },
      { id: 's1', reasons: ['daily snapshot'] },
    ]);
    assert.deepEqual(result.remove, [{ id: 's0' }]);
  });

  test('within reason names the duration', () => {
    const result = applyKeepRules(snaps('2029-01-01T00:00:00Z'), { withinMs: 30 * DAY }, at('2029-01-02T00:00:00Z'));
    assert.deepEqual(result.keep, [{ id: 's0', reasons: ['within 30d'] }]);
  });

  test('the result does not depend on input order', () => {
    const list = snaps('2029-01-01T08:00:00Z', '2029-01-03T20:00:00Z', '2029-01-02T08:00:00Z', '2029-01-02T08:00:00Z');
    const a = applyKeepRules(list, { daily: 2 }, at('2030-01-01T00:00:00Z'));
    const b = applyKeepRules([...list].reverse(), { daily: 2 }, at('2030-01-01T00:00:00Z'));
    assert.deepEqual(a, b);
  });

  test('no snapshots: nothing to decide', () => {
    assert.deepEqual(applyKeepRules([], { last: 3 }, at('2030-01-01T00:00:00Z')), { keep: [], remove: [] });
  });
});

describe('retainUntil', () => {
  const tier = (t: Partial<Tier>): Tier => ({ name: 't', keep: {}, ...t });
  const policy = (tiers: Record<string, Tier>): Policy => ({
    file: '/p/cairn.yaml',
    dir: '/p',
    version: 1,
    retentionClasses: { sox: { name: 'sox', keepMs: 7 * 365 * DAY }, short: { name: 'short', keepMs: 30 * DAY } },
    tiers,
    environments: {},
    exclude: [],
    items: [],
    exceptions: [],
    extra: {},
    webhooks: { environmentMap: {} },
    alerts: { consecutiveFailures: 2, lateAfterMs: 15 * 60_000, escalateAfterMs: 30 * 60_000 },
    audit: {
      checkpointEvery: { events: 1000, minutes: 60 },
      siem: [],
      anomalies: { bulkDelete: { count: 5, withinMs: 1 }, authFailures: { count: 10, withinMs: 1 } },
    },
    access: {
      separationOfDuties: [],
      jit: { maxDurationMs: 1, approvers: 1 },
      approvals: { expireAfterMs: 1, defaultApprovers: 2 },
      teams: {},
    },
    alertSinks: [],
    drills: [],
    canary: { enabled: false, everyMs: 1, slowAfterMs: 1, keep: 1 },
  });
  const t0 = at('2026-01-01T00:00:00Z');

  test('the longer of lock and retention class wins', () => {
    const p = policy({
      a: tier({ retentionClass: 'sox', lock: { mode: 'compliance', forMs: 365 * DAY } }),
      b: tier({ retentionClass: 'short', lock: { mode: 'governance', forMs: 365 * DAY } }),
    });
    assert.deepEqual(retainUntil(p, 'a', t0), new Date(t0.getTime() + 7 * 365 * DAY));
    assert.deepEqual(retainUntil(p, 'b', t0), new Date(t0.getTime() + 365 * DAY));
  });
  test('only one of them set', () => {
    const p = policy({ c: tier({ retentionClass: 'short' }), l: tier({ lock: { mode: 'compliance', forMs: DAY } }) });
    assert.deepEqual(retainUntil(p, 'c', t0), new Date(t0.getTime() + 30 * DAY));
    assert.deepEqual(retainUntil(p, 'l', t0), new Date(t0.getTime() + DAY));
  });
  test('neither: null', () => assert.equal(retainUntil(policy({ n: tier({}) }), 'n', t0), null));
  test('an unknown tier is an error, never "no retention"', () => {
    assert.throws(
      () => retainUntil(policy({}), 'x', t0),
      (e: unknown) => e instanceof CairnError,
    );
  });
});
