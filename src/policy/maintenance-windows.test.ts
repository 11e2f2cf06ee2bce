import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nextWindowStart, parseMaintenanceWindow, windowContains } from './maintenance-windows.js';
import type { MaintenanceWindow } from './types.js';

function win(text: string): MaintenanceWindow {
  const w = parseMaintenanceWindow(text);
  assert.ok(typeof w !== 'string', `expected a window: ${w}`);
  return w;
}
const at = (iso: string) => new Date(iso);

describe('parseMaintenanceWindow', () => {
  test('a day, hours and a timezone', () => {
    assert.deepEqual(win('sun 02:00-04:00 Europe/London'), {
      text: 'sun 02:00-04:00 Europe/London',
      days: [0],
      startMinute: 120,
      endMinute: 240,
      timezone: 'Europe/London',
    });
  });
  test('a day range crossing midnight', () => {
    const w = win('mon-fri 22:00-02:00 UTC');
    assert.deepEqual(w.days, [1, 2, 3, 4, 5]);
    assert.equal(w.startMinute, 22 * 60);
    assert.equal(w.endMinute, 120);
  });
  test('daily; the timezone defaults to UTC', () => {
    const w = win('daily 01:00-03:00');
    assert.deepEqual(w.days, [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(w.timezone, 'UTC');
  });
  test('lists, wrapping ranges and 24:00', () => {
    assert.deepEqual(win('mon,wed,fri 20:00-24:00 UTC').days, [1, 3, 5]);
    assert.equal(win('mon 20:00-24:00').endMinute, 0);
    assert.deepEqual(win('fri-mon 20:00-23:00').days, [0, 1, 5, 6]);
    assert.deepEqual(win('SAT 01:00-02:00').days, [6]);
  });
  const bad: [string, RegExp][] = [
    ['', /expected "<days> HH:MM-HH:MM/],
    ['sun', /expected "<days> HH:MM-HH:MM/],
    ['sun 02:00-04:00 Europe/London extra', /expected/],
    ['funday 02:00-04:00', /unknown day "funday"/],
    ['mon-funday 02:00-04:00', /unknown day "funday"/],
    ['sun 0200-0400', /start "0200" is not a time of day/],
    ['sun 02:00', /"02:00" is not a time range/],
    ['sun 25:00-04:00', /start "25:00" is not a time of day/],
    ['sun 24:00-04:00', /start "24:00"/],
    ['sun 02:00-04:61', /end "04:61" is not a time of day/],
    ['sun 02:00-02:00', /empty/],
    ['sun 02:00-04:00 Europe/Londn', /unknown time zone "Europe\/Londn"/],
  ];
  for (const [text, message] of bad) {
    test(`rejects ${JSON.stringify(text)}`, () => {
      const got = parseMaintenanceWindow(text);
      assert.equal(typeof got, 'string');
      assert.match(got as string, message);
    });
  }
});

describe('windowContains', () => {
  test('start inclusive, end exclusive, in local time', () => {
    const w = win('sun 02:00-04:00 Europe/London');
    // 2026-01-04 is a Sunday; London is on GMT in January.
    assert.equal(windowContains(w, at('2026-01-04T01:59:00Z')), false);
    assert.equal(windowContains(w, at('2026-01-04T02:00:00Z')), true);
    assert.equal(windowContains(w, at('2026-01-04T03:59:59Z')), true);
    assert.equal(windowContains(w, at('2026-01-04T04:00:00Z')), false);
    assert.equal(windowContains(w, at('2026-01-05T02:30:00Z')), false); // Monday
    // July: BST (UTC+1), so the same local hours are an hour earlier in UTC.
    assert.equal(windowContains(w, at('2026-07-05T01:00:00Z')), true);
    assert.equal(windowContains(w, at('2026-07-05T03:00:00Z')), false);
  });
  test('a window crossing midnight belongs to the day it opens', () => {
    const w = win('mon-fri 22:00-02:00 UTC');
    assert.equal(windowContains(w, at('2026-01-09T23:00:00Z')), true); // Friday night
    assert.equal(windowContains(w, at('2026-01-10T01:30:00Z')), true); // Saturday morning: Friday's window
    assert.equal(windowContains(w, at('2026-01-10T02:00:00Z')), false);
    assert.equal(windowContains(w, at('2026-01-10T23:00:00Z')), false); // Saturday night
    assert.equal(windowContains(w, at('2026-01-12T01:00:00Z')), false); // Monday morning: Sunday has none
    assert.equal(windowContains(w, at('2026-01-13T01:00:00Z')), true); // Tuesday morning: Monday's window
  });
});

describe('nextWindowStart', () => {
  test('no windows: undefined', () => {
    assert.equal(nextWindowStart([], at('2026-01-01T00:00:00Z')), undefined);
  });
  test('the next opening, in local time', () => {
    const w = win('sun 02:00-04:00 Europe/London');
    assert.equal(nextWindowStart([w], at('2026-01-01T00:00:00Z'))?.toISOString(), '2026-01-04T02:00:00.000Z');
    assert.equal(nextWindowStart([w], at('2026-07-01T00:00:00Z'))?.toISOString(), '2026-07-05T01:00:00.000Z');
    // At the opening itself: that opening; inside the window: the next week's.
    assert.equal(nextWindowStart([w], at('2026-01-04T02:00:00Z'))?.toISOString(), '2026-01-04T02:00:00.000Z');
    assert.equal(nextWindowStart([w], at('2026-01-04T02:30:00Z'))?.toISOString(), '2026-01-11T02:00:00.000Z');
  });
  test('the earliest of several windows', () => {
    const ws = [win('sun 02:00-04:00 UTC'), win('wed 22:00-01:00 UTC')];
    assert.equal(nextWindowStart(ws, at('2026-01-05T00:00:00Z'))?.toISOString(), '2026-01-07T22:00:00.000Z');
    assert.equal(nextWindowStart(ws, at('2026-01-08T00:00:00Z'))?.toISOString(), '2026-01-11T02:00:00.000Z');
  });
  test('a window crossing midnight opens the evening before', () => {
    const w = win('mon-fri 22:00-02:00 UTC');
    assert.equal(nextWindowStart([w], at('2026-01-09T23:00:00Z'))?.toISOString(), '2026-01-12T22:00:00.000Z');
  });
  test('DST in Europe/London: spring forward and fall back', () => {
    // 2026-03-29: clocks go from 01:00 GMT to 02:00 BST at 01:00 UTC. 02:00 local is then 01:00 UTC.
    const w = win('sun 02:00-04:00 Europe/London');
    assert.equal(nextWindowStart([w], at('2026-03-28T12:00:00Z'))?.toISOString(), '2026-03-29T01:00:00.000Z');
    assert.equal(windowContains(w, at('2026-03-29T00:30:00Z')), false); // 00:30 GMT
    assert.equal(windowContains(w, at('2026-03-29T02:59:00Z')), true); // 03:59 BST
    assert.equal(windowContains(w, at('2026-03-29T03:00:00Z')), false); // 04:00 BST
    // A window starting inside the skipped hour opens when the clock jumps.
    const gap = win('sun 01:30-03:00 Europe/London');
    assert.equal(nextWindowStart([gap], at('2026-03-28T12:00:00Z'))?.toISOString(), '2026-03-29T01:00:00.000Z');
    // 2026-10-25: clocks go back from 02:00 BST to 01:00 GMT at 01:00 UTC; 01:30 local happens twice.
    const twice = win('sun 01:30-02:30 Europe/London');
    assert.equal(nextWindowStart([twice], at('2026-10-24T12:00:00Z'))?.toISOString(), '2026-10-25T00:30:00.000Z');
    assert.equal(nextWindowStart([w], at('2026-10-24T12:00:00Z'))?.toISOString(), '2026-10-25T02:00:00.000Z');
  });
});
