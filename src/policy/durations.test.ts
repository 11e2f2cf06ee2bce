import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cronProblem } from './cron.js';
import { formatDuration, parseDuration } from './durations.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('parseDuration', () => {
  const cases: [string, number | undefined][] = [
    ['15m', 15 * MIN],
    ['4h', 4 * HOUR],
    ['30d', 30 * DAY],
    ['2w', 14 * DAY],
    ['6y', 6 * 365 * DAY],
    ['30s', 30_000],
    ['250ms', 250],
    ['1h30m', 90 * MIN],
    ['0s', 0],
    ['', undefined],
    ['15', undefined],
    ['15x', undefined],
    ['1.5h', undefined],
    ['-1d', undefined],
    ['15 m', undefined],
    ['1M', undefined], // no month unit: months differ in length
    ['99999999999999y', undefined], // not exact as a number
  ];
  for (const [text, expected] of cases) {
    test(`${JSON.stringify(text)} → ${expected}`, () => assert.equal(parseDuration(text), expected));
  }
});

describe('formatDuration', () => {
  test('round-trips', () => {
    for (const text of ['15m', '4h', '30d', '6y', '1h30m', '1y35d', '250ms']) {
      assert.equal(formatDuration(parseDuration(text)!), text);
    }
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(14 * DAY), '14d');
  });
  test('refuses negative values', () => assert.throws(() => formatDuration(-1), RangeError));
});

describe('cronProblem', () => {
  const valid = [
    '*/15 * * * *',
    '0 */4 * * *',
    '0 2 * * *',
    '0 6 1 */3 *',
    '0 0 * * mon-fri',
    '30 0 2 * * sun',
    '@daily',
  ];
  for (const expr of valid) test(`accepts ${expr}`, () => assert.equal(cronProblem(expr), undefined));
  const invalid: [string, RegExp][] = [
    ['*/15 * * *', /has 4 fields/],
    ['* * * * * * *', /has 7 fields/],
    ['', /has 0 fields/],
    ['60 * * * *', /minute field "60"/],
    ['0 24 * * *', /hour field "24"/],
    ['0 0 0 * *', /day of month field "0"/],
    ['0 0 * 13 *', /month field "13"/],
    ['0 0 * * funday', /day of week field/],
    ['*/0 * * * *', /step of 0/],
    ['5-1 * * * *', /runs backwards/],
  ];
  for (const [expr, message] of invalid)
    test(`rejects ${JSON.stringify(expr)}`, () => assert.match(cronProblem(expr)!, message));
});
