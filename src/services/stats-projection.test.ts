import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCairnError } from '../errors/index.js';
import { parsePolicy } from '../policy/index.js';
import { growth, horizonOf, keepDays, parsePeriod } from './stats-projection.js';

describe('parsePeriod', () => {
  it('reads days, weeks, months (a twelfth of 365 days) and years', () => {
    assert.deepEqual(parsePeriod('90d', '--projection'), { text: '90d', days: 90 });
    assert.deepEqual(parsePeriod('2w', '--projection'), { text: '2w', days: 14 });
    assert.deepEqual(parsePeriod('12m', '--projection'), { text: '12m', days: 365 });
    assert.deepEqual(parsePeriod('6m', '--projection'), { text: '6m', days: 182.5 });
    assert.deepEqual(parsePeriod(' 2y ', '--projection'), { text: '2y', days: 730 });
    assert.deepEqual(parsePeriod('100y', '--projection'), { text: '100y', days: 36_500 });
  });

  for (const bad of [
    '',
    '12',
    'm',
    '0d',
    '0m',
    '-3m',
    '1.5y',
    '12x',
    '4h',
    '30min',
    '1y6m',
    '101y',
    '12 m',
    'twelve',
  ]) {
    it(`refuses ${JSON.stringify(bad)} with a usage error naming the flag`, () => {
      assert.throws(
        () => parsePeriod(bad, '--projection'),
        (err: unknown) =>
          isCairnError(err, 'CAIRN_E_USAGE') &&
          err.exitCode === 2 &&
          err.message.startsWith(`--projection ${JSON.stringify(bad)} is not a period`) &&
          /e\.g\. 30d, 12m, 2y/.test(err.message),
      );
    });
  }
});

describe('keepDays', () => {
  it('spans N − 1 gaps of the longer of the period and the time between snapshots', () => {
    assert.equal(keepDays({ last: 10 }, 0.5), 4.5);
    assert.equal(keepDays({ last: 1 }, 0.5), 0, 'only the newest: no history at all');
    assert.equal(keepDays({ hourly: 25 }, 1 / 48), 1, 'hourly at two an hour: 24 hours back');
    assert.equal(keepDays({ daily: 7 }, 0.25), 6);
    assert.equal(keepDays({ daily: 7 }, 2), 12, 'a snapshot every other day: 7 of them span 12 days');
    assert.equal(keepDays({ weekly: 5 }, 1), 28);
    assert.equal(keepDays({ monthly: 13 }, 1), 365);
    assert.equal(keepDays({ yearly: 3 }, 1), 730);
    assert.equal(keepDays({ withinMs: 45 * 86_400_000 }, 1), 45);
    assert.equal(
      keepDays({ last: 3, daily: 7, weekly: 4, withinMs: 2 * 86_400_000 }, 1),
      21,
      'the rule reaching furthest',
    );
  });

  it('is unbounded with no rule, and for count rules when no snapshot comes', () => {
    assert.equal(keepDays({}, 1), Number.POSITIVE_INFINITY);
    assert.equal(keepDays({ last: 5 }, Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
    assert.equal(keepDays({ withinMs: 86_400_000 }, Number.POSITIVE_INFINITY), 1);
  });
});

describe('horizonOf', () => {
  const { policy } = parsePolicy(
    `version: 1
governance:
  retentionClasses:
    year: { keep: 1y }
tiers:
  worm:
    retentionClass: year
    lock: { mode: compliance, for: 2y }
    keep: { last: 3 }
  keepall:
    keep: {}
  lean:
    keep: { daily: 14 }
items: []
`,
    '/tmp/cairn.yaml',
  );

  it('is the longer of the WORM floor (lock, retention class) and the keep rules', () => {
    assert.deepEqual(horizonOf(policy, 'worm', 1), { lockDays: 730, keepDays: 2, horizonDays: 730 });
    assert.deepEqual(horizonOf(policy, 'lean', 1), { lockDays: 0, keepDays: 13, horizonDays: 13 });
    assert.deepEqual(horizonOf(policy, 'lean', 3), { lockDays: 0, keepDays: 39, horizonDays: 39 });
  });

  it('is unbounded when the keep rules keep everything, or the tier or policy is unknown', () => {
    assert.deepEqual(horizonOf(policy, 'keepall', 1), { lockDays: 0, keepDays: null, horizonDays: null });
    assert.deepEqual(horizonOf(policy, 'nope', 1), { lockDays: 0, keepDays: null, horizonDays: null });
    assert.deepEqual(horizonOf(policy, null, 1), { lockDays: 0, keepDays: null, horizonDays: null });
    assert.deepEqual(horizonOf(undefined, 'worm', 1), { lockDays: 0, keepDays: null, horizonDays: null });
  });
});

describe('growth', () => {
  const churn = { churnBytesPerDay: 1000, periodDays: 365 };

  it('fills the part of the horizon the history does not cover yet', () => {
    assert.equal(growth({ ...churn, historyDays: 0, horizonDays: 90 }), 90_000, 'a new item: the whole horizon');
    assert.equal(growth({ ...churn, historyDays: 30, horizonDays: 90 }), 60_000);
    assert.equal(growth({ ...churn, historyDays: 30, horizonDays: 1000 }), 365_000, 'the period ends first');
    assert.equal(growth({ ...churn, historyDays: 30, horizonDays: null }), 365_000, 'kept forever');
    assert.equal(growth({ ...churn, historyDays: 0.5, horizonDays: 1.5 }), 1000);
  });

  it('never shrinks: history past the horizon grows no more, and nothing is subtracted', () => {
    assert.equal(growth({ ...churn, historyDays: 90, horizonDays: 90 }), 0);
    assert.equal(growth({ ...churn, historyDays: 400, horizonDays: 90 }), 0);
    assert.equal(growth({ ...churn, historyDays: 10, horizonDays: 0 }), 0, 'keep last 1: only the newest state');
  });

  it('is zero without churn, even when nothing is ever forgotten', () => {
    assert.equal(growth({ churnBytesPerDay: 0, periodDays: 365, historyDays: 0, horizonDays: null }), 0);
  });

  it('rounds to whole bytes at the end only', () => {
    assert.equal(growth({ churnBytesPerDay: 333 / 30, periodDays: 365, historyDays: 40, horizonDays: 180 }), 1554);
    assert.equal(growth({ churnBytesPerDay: 0.4, periodDays: 365, historyDays: 0, horizonDays: null }), 146);
  });
});
