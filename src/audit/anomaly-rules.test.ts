import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BusinessHours } from '../policy/index.js';
import { AnomalyRules, isDeletion } from './anomaly-rules.js';
import type { AuditEvent } from './event.js';
import { defaultAuditSettings } from './settings.js';

const minute = 60_000;
const start = Date.parse('2026-11-02T10:00:00Z'); // a Monday
let seq = 0;

function ev(minutes: number, fields: Partial<AuditEvent> = {}): AuditEvent {
  seq += 1;
  return {
    seq,
    id: `id-${seq}`,
    time: new Date(start + minutes * minute).toISOString(),
    identity: 'oidc:alice@acme',
    roles: ['operator'],
    ip: '192.0.2.10',
    userAgent: null,
    action: 'forget.request',
    target: `snap-${seq}`,
    result: 'requested',
    changeId: null,
    approvalId: null,
    details: {},
    prevHash: '',
    hash: '',
    ...fields,
  };
}

const thresholds = {
  bulkDelete: { count: 3, withinMs: 10 * minute },
  authFailures: { count: 3, withinMs: 5 * minute },
};
const hours: BusinessHours = { timezone: 'Europe/London', days: [1, 2, 3, 4, 5], startMinute: 480, endMinute: 1080 };

function run(rules: AnomalyRules, events: AuditEvent[]) {
  return events.flatMap((e) => rules.detect(e));
}

describe('anomaly rules', () => {
  it('knows what a deletion is', () => {
    assert.ok(isDeletion(ev(0, { action: 'snapshot.delete', result: 'ok' })));
    assert.ok(isDeletion(ev(0, { action: 'key.remove', result: 'ok' })));
    assert.ok(!isDeletion(ev(0, { action: 'snapshot.delete', result: 'denied' })));
    assert.ok(!isDeletion(ev(0, { action: 'snapshot.create', result: 'ok' })));
    assert.ok(!isDeletion(ev(0, { action: 'deleted-things.list', result: 'ok' })));
  });

  it('raises one bulk deletion per window once the count is reached within it', () => {
    const rules = new AnomalyRules(thresholds, undefined);
    const spread = run(rules, [ev(0), ev(11), ev(22)]);
    assert.deepEqual(spread, [], 'three deletions, never three within 10 minutes');
    const burst = [ev(40), ev(41, { identity: 'token:ci-bot', result: 'ok' }), ev(42), ev(43), ev(44), ev(45)];
    const found = run(rules, burst);
    assert.equal(found.length, 1);
    const [a] = found;
    assert.deepEqual(
      a?.events,
      burst.slice(0, 3).map((e) => e.seq),
    );
    assert.equal(a?.kind, 'bulk-delete');
    assert.equal(a?.severity, 'critical');
    assert.equal(a?.dedupKey, `bulk-delete:all:${burst[0]!.seq}`);
    assert.match(a?.summary ?? '', /3 deletions within 10 min by oidc:alice@acme, token:ci-bot/);
    assert.equal(run(rules, [ev(51), ev(52), ev(53)]).length, 1, 'a new window, a new alert');
  });

  it('flags restores outside business hours, once per identity, target and hour', () => {
    const rules = new AnomalyRules(thresholds, hours);
    const restore = (minutes: number, fields: Partial<AuditEvent> = {}) =>
      ev(minutes, { action: 'restore.run', result: 'ok', target: 'nginx', ...fields });
    assert.deepEqual(run(rules, [restore(0)]), [], 'Monday 10:00 London');
    const night = run(rules, [
      restore(12 * 60),
      restore(12 * 60 + 1, { result: 'allowed' }),
      restore(12 * 60 + 2, { target: 'haproxy' }),
    ]);
    // Only a restore that ran is flagged: its `allowed` event (the target as asked) is not a second alert.
    assert.equal(night.length, 2);
    assert.equal(night[0]?.kind, 'off-hours-restore');
    assert.notEqual(night[0]?.dedupKey, night[1]?.dedupKey);
    assert.match(
      night[0]?.summary ?? '',
      /oidc:alice@acme ran restore\.run on nginx outside business hours \(Europe\/London\)/,
    );
    assert.deepEqual(run(new AnomalyRules(thresholds, undefined), [restore(12 * 60)]), [], 'no hours, no rule');
  });

  it('raises authentication failure bursts per source address', () => {
    const rules = new AnomalyRules(thresholds, undefined);
    const fail = (minutes: number, ip: string | null) =>
      ev(minutes, { action: 'auth.fail', result: 'denied', identity: 'anonymous', ip });
    const found = run(rules, [
      fail(0, '198.51.100.1'),
      fail(1, '198.51.100.1'),
      fail(2, '198.51.100.1'),
      fail(3, '198.51.100.1'),
    ]);
    assert.equal(found.length, 1, 'one address: the per-address alert only');
    assert.equal(found[0]?.severity, 'warning');
    assert.match(found[0]?.dedupKey ?? '', /^auth-failures:ip:198\.51\.100\.1:\d+$/);
    assert.match(found[0]?.summary ?? '', /3 failed sign-ins from 198\.51\.100\.1 within 5 min/);
  });

  it('raises a spread-out burst overall, when no single address reaches the count', () => {
    const rules = new AnomalyRules(thresholds, undefined);
    const fail = (minutes: number, ip: string | null) => ev(minutes, { action: 'auth.fail', result: 'denied', ip });
    const found = run(rules, [fail(0, '203.0.113.1'), fail(1, '203.0.113.2'), fail(2, null), fail(3, '203.0.113.4')]);
    assert.equal(found.length, 1);
    assert.equal(found[0]?.severity, 'critical');
    assert.match(found[0]?.dedupKey ?? '', /^auth-failures:all:/);
    assert.match(found[0]?.summary ?? '', /3 failed sign-ins from 3 addresses/);
  });

  it('never reads its own anomaly events', () => {
    const rules = new AnomalyRules(defaultAuditSettings.anomalies, hours);
    const own = Array.from({ length: 20 }, (_, i) => ev(i + 12 * 60, { action: 'anomaly.bulk-delete', result: 'ok' }));
    assert.deepEqual(run(rules, own), []);
  });
});
