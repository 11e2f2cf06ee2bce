import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catalogTargets } from '../catalog/test-support.js';
import type { BusinessHours } from '../policy/index.js';
import { AnomalyDetector } from './anomaly-detector.js';
import type { Anomaly, Notifier } from './anomaly-types.js';
import { AuditLog } from './audit-log.js';
import { Outbox } from './outbox.js';
import { type AuditFixture, auditFixture, input } from './test-support.js';

const minute = 60_000;
const anomalies = {
  bulkDelete: { count: 3, withinMs: 10 * minute },
  authFailures: { count: 4, withinMs: 5 * minute },
};
const hours: BusinessHours = { timezone: 'Europe/London', days: [1, 2, 3, 4, 5], startMinute: 480, endMinute: 1080 };

class FakeNotifier implements Notifier {
  readonly alerts: Anomaly[] = [];
  failing = false;
  async notify(alert: Anomaly): Promise<void> {
    if (this.failing) throw new Error('webhook down');
    this.alerts.push(alert);
  }
}

function detectorFor(f: AuditFixture, notifier: Notifier, errors: unknown[] = []): AnomalyDetector {
  return new AnomalyDetector({
    anomalies,
    businessHours: hours,
    notifier,
    record: (i) => f.log.record(i),
    claim: (key, time) => f.catalog.audit.claimAlert(key, time),
    onError: (err) => errors.push(err),
  });
}

async function deletions(f: AuditFixture, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    f.clock.advance(minute);
    await f.log.record(input(i, { action: 'forget.request', result: 'requested' }));
  }
}

for (const target of catalogTargets) {
  describe(`AnomalyDetector on ${target.dialect}`, () => {
    it('alerts once on bulk deletions, records it as an audit event, and does not feed on it', async (t) => {
      const f = await auditFixture(t, target);
      const notifier = new FakeNotifier();
      const detector = detectorFor(f, notifier);
      f.log.onRecord((e) => void detector.observe(e));
      await deletions(f, 5);
      await detector.scan([]); // wait for the queue
      assert.equal(notifier.alerts.length, 1);
      const [alert] = notifier.alerts;
      assert.deepEqual([alert?.kind, alert?.severity, alert?.events], ['bulk-delete', 'critical', [1, 2, 3]]);
      const recorded = await f.log.query({ action: 'anomaly.*' });
      assert.equal(recorded.length, 1);
      assert.deepEqual(
        [recorded[0]?.action, recorded[0]?.identity, recorded[0]?.result, recorded[0]?.target],
        ['anomaly.bulk-delete', 'system:cairn', 'ok', alert?.dedupKey],
      );
      assert.deepEqual(recorded[0]?.details, { severity: 'critical', summary: alert?.summary, events: [1, 2, 3] });
    });

    it('raises nothing twice: a rescan of the same range, by another detector, stays quiet', async (t) => {
      const f = await auditFixture(t, target);
      await deletions(f, 3);
      const first = new FakeNotifier();
      assert.equal((await detectorFor(f, first).scan(await f.log.query({}))).length, 1);
      const second = new FakeNotifier();
      const again = await detectorFor(f, second).scan(await f.log.query({ action: 'forget.*' }));
      assert.deepEqual([again, second.alerts], [[], []]);
      assert.equal(await f.log.count({ action: 'anomaly.*' }), 1);
    });

    it('follows the whole catalog through the outbox, seeing every server’s events', async (t) => {
      const f = await auditFixture(t, target);
      const other = new AuditLog({ store: f.catalog.audit, clock: f.clock.now }); // a second server
      const notifier = new FakeNotifier();
      const detector = detectorFor(f, notifier);
      const outbox = new Outbox({ store: f.catalog.audit, sinks: { anomaly: detector.asForwarder() } });
      for (const [i, log] of [f.log, other, f.log, other].entries()) {
        f.clock.advance(10_000);
        await log.record(
          input(i, { action: 'auth.fail', result: 'denied', identity: 'anonymous', ip: '198.51.100.7' }),
        );
      }
      await outbox.drain('anomaly');
      assert.equal(notifier.alerts.length, 1);
      assert.equal(notifier.alerts[0]?.kind, 'auth-failures');
      assert.deepEqual(notifier.alerts[0]?.events, [1, 2, 3, 4]);
      await outbox.drain('anomaly'); // its own anomaly event goes past without a second alert
      assert.equal(notifier.alerts.length, 1);
      assert.equal(await f.catalog.audit.getCursor('siem:anomaly'), 5);
    });

    it('flags a restore at night in the policy timezone', async (t) => {
      const f = await auditFixture(t, target); // the clock starts on Monday 09:00 UTC
      const notifier = new FakeNotifier();
      const detector = detectorFor(f, notifier);
      await detector.observe(await f.log.record(input(1, { action: 'restore.run', target: 'nginx' })));
      f.clock.advance(13 * 60 * minute);
      await detector.observe(await f.log.record(input(2, { action: 'restore.run', target: 'nginx' })));
      assert.deepEqual(
        notifier.alerts.map((a) => [a.kind, a.severity, a.events]),
        [['off-hours-restore', 'warning', [2]]],
      );
    });

    it('still records the anomaly when the notifier fails, and still notifies when recording fails', async (t) => {
      const f = await auditFixture(t, target);
      const errors: unknown[] = [];
      const notifier = new FakeNotifier();
      notifier.failing = true;
      await deletions(f, 3);
      await detectorFor(f, notifier, errors).scan(await f.log.query({}));
      assert.equal(await f.log.count({ action: 'anomaly.*' }), 1);
      assert.match(String(errors[0]), /webhook down/);

      notifier.failing = false;
      const quiet = new AnomalyDetector({
        anomalies,
        notifier,
        record: async () => {
          throw new Error('catalog down');
        },
        onError: (err) => errors.push(err),
      });
      await quiet.scan(await f.log.query({ action: 'forget.*' }));
      assert.equal(notifier.alerts.length, 1);
      assert.match(String(errors[1]), /catalog down/);
    });
  });
}

describe('AnomalyDetector without a catalog', () => {
  it('dedupes in memory and keeps events in the order they were handed in', async () => {
    const notifier = new FakeNotifier();
    const detector = new AnomalyDetector({ anomalies, notifier });
    const base = Date.parse('2026-11-02T10:00:00Z');
    const events = Array.from({ length: 3 }, (_, i) => ({
      seq: i + 1,
      id: `e${i}`,
      time: new Date(base + i * minute).toISOString(),
      identity: 'oidc:alice@acme',
      roles: [],
      ip: null,
      userAgent: null,
      action: 'snapshot.delete',
      target: null,
      result: 'ok' as const,
      changeId: null,
      approvalId: null,
      details: {},
      prevHash: '',
      hash: '',
    }));
    const results = await Promise.all(events.map((e) => detector.observe(e)));
    assert.deepEqual(
      results.map((r) => r.length),
      [0, 0, 1],
    );
    assert.equal(notifier.alerts.length, 1);
  });
});
