import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BusinessHours } from '../policy/index.js';
import { localTime, withinBusinessHours } from './business-hours.js';

const london: BusinessHours = {
  timezone: 'Europe/London',
  days: [1, 2, 3, 4, 5],
  startMinute: 8 * 60,
  endMinute: 18 * 60,
};

describe('business hours', () => {
  it('reads the local weekday and minute in the policy timezone, DST included', () => {
    // Monday 2 November 2026: GMT. Monday 6 July 2026: BST (UTC+1).
    assert.deepEqual(localTime(new Date('2026-11-02T08:30:00Z'), 'Europe/London'), { day: 1, minute: 510 });
    assert.deepEqual(localTime(new Date('2026-07-06T08:30:00Z'), 'Europe/London'), { day: 1, minute: 570 });
    assert.deepEqual(localTime(new Date('2026-11-02T03:00:00Z'), 'America/New_York'), { day: 0, minute: 22 * 60 });
    assert.deepEqual(localTime(new Date('2026-11-01T23:59:00Z'), 'Asia/Tokyo'), { day: 1, minute: 8 * 60 + 59 });
  });

  it('is inside from start (inclusive) to end (exclusive) on the listed days only', () => {
    assert.equal(withinBusinessHours(new Date('2026-11-02T08:00:00Z'), london), true);
    assert.equal(withinBusinessHours(new Date('2026-11-02T07:59:00Z'), london), false);
    assert.equal(withinBusinessHours(new Date('2026-11-02T18:00:00Z'), london), false);
    assert.equal(withinBusinessHours(new Date('2026-07-06T17:30:00Z'), london), false, '18:30 BST');
    assert.equal(withinBusinessHours(new Date('2026-11-07T12:00:00Z'), london), false, 'a Saturday');
  });

  it('handles a span that runs overnight, counting the morning to the day the shift began', () => {
    const nights: BusinessHours = { timezone: 'UTC', days: [5], startMinute: 22 * 60, endMinute: 6 * 60 };
    assert.equal(withinBusinessHours(new Date('2026-11-06T23:00:00Z'), nights), true, 'Friday 23:00');
    assert.equal(withinBusinessHours(new Date('2026-11-07T05:00:00Z'), nights), true, 'Saturday 05:00, Friday night');
    assert.equal(withinBusinessHours(new Date('2026-11-07T23:00:00Z'), nights), false, 'Saturday 23:00');
    assert.equal(withinBusinessHours(new Date('2026-11-06T05:00:00Z'), nights), false, 'Friday 05:00, Thursday night');
  });
});
