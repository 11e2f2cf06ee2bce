import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startPagerDutyReceiver } from '../../../test/pagerduty-receiver.js';
import { catalogTargets, snapshotRecord } from '../../catalog/test-support.js';
import { CairnError, isCairnError } from '../../errors/index.js';
import { isTransient, retryDelayMs } from './backoff.js';
import { backupFailedKey, recordBackupOutcome } from './backup-outcome.js';
import { checkCoverageAlerts, outOfRpoKey } from './coverage-alerts.js';
import { alertFixture, alertPolicy } from './test-support.js';

for (const target of catalogTargets) {
  describe(`recordBackupOutcome (${target.dialect})`, () => {
    it('raises backup-failed when the streak reaches consecutiveFailures, counts further failures, resolves on success', async (t) => {
      const pd = await startPagerDutyReceiver();
      t.after(() => pd.stop());
      const f = await alertFixture(t, target, alertPolicy([`pagerduty: { routingKeyEnv: PD_KEY, url: "${pd.url}" }`]));
      const center = f.center();
      const fail = (error: string) =>
        recordBackupOutcome(center, f.catalog, f.policy, { item: 'app', environment: 'prod', ok: false, error });
      const key = backupFailedKey('app', 'prod');
      assert.equal(key, 'backup-failed:app@prod');

      await fail('source unreachable');
      assert.equal(await f.catalog.alerts.byDedupKey(key), undefined, 'one failure is not a streak');
      f.clock.advance(60_000);
      await fail('source unreachable again');
      const alert = await f.catalog.alerts.byDedupKey(key);
      assert.equal(alert?.kind, 'backup-failed');
      assert.equal(alert?.category, 'failure');
      assert.equal(alert?.severity, 'critical');
      assert.match(alert?.summary ?? '', /app in prod failed 2 times in a row: source unreachable again/);
      assert.equal(alert?.details.consecutiveFailures, 2);
      f.clock.advance(60_000);
      await fail('third');
      assert.equal((await f.catalog.alerts.byDedupKey(key))?.count, 2);
      // Another environment's streak is its own.
      await recordBackupOutcome(center, f.catalog, f.policy, { item: 'app', environment: null, ok: false });
      assert.equal(await f.catalog.alerts.byDedupKey(backupFailedKey('app', null)), undefined);

      f.clock.advance(60_000);
      await recordBackupOutcome(center, f.catalog, f.policy, { item: 'app', environment: 'prod', ok: true });
      assert.equal(await f.catalog.alerts.byDedupKey(key), undefined);
      assert.equal((await f.catalog.alerts.get(alert!.id))?.state, 'resolved');
      await center.settle();
      assert.deepEqual(
        pd.events.map((e) => [e.event_action, e.dedup_key]),
        [
          ['trigger', key],
          ['resolve', key],
        ],
      );
      const [resolved] = await f.events('alert.resolved');
      assert.equal(resolved?.identity, 'system:monitor');
      const health = await f.catalog.health.list();
      assert.equal(health.find((h) => h.item === 'app' && h.environment === 'prod')?.consecutiveFailures, 0);
      // A success with nothing open resolves nothing.
      await recordBackupOutcome(center, f.catalog, f.policy, { item: 'app', environment: 'prod', ok: true });
      assert.equal((await f.events('alert.resolved')).length, 1);
    });

    it('out-of-rpo: raised once when an item falls out of its RPO (not again each look), resolved when it is back', async (t) => {
      const f = await alertFixture(t, target, alertPolicy([]));
      const center = f.center();
      assert.deepEqual(await checkCoverageAlerts(center), { raised: 0, resolved: 0 }, 'never captured: no alert');
      await f.catalog.putSnapshot(
        snapshotRecord({ item: 'app', environment: 'prod', time: f.clock.now().toISOString() }),
      );
      assert.deepEqual(await checkCoverageAlerts(center), { raised: 0, resolved: 0 });
      f.clock.advance(3_600_000 + 1000); // the tier's RPO is 1h
      assert.deepEqual(await checkCoverageAlerts(center), { raised: 1, resolved: 0 });
      const key = outOfRpoKey('app', 'prod');
      const alert = await f.catalog.alerts.byDedupKey(key);
      assert.equal(alert?.category, 'coverage');
      assert.equal(alert?.severity, 'warning');
      assert.match(
        alert?.summary ?? '',
        /newest capture of app in prod is 60 min old, older than the RPO of tier 0 \(60 min\)/,
      );
      f.clock.advance(60_000);
      assert.deepEqual(await checkCoverageAlerts(center), { raised: 0, resolved: 0 });
      assert.equal((await f.catalog.alerts.byDedupKey(key))?.count, 1, 'not counted each look');
      await f.catalog.putSnapshot(
        snapshotRecord({ item: 'app', environment: 'prod', time: f.clock.now().toISOString() }),
      );
      assert.deepEqual(await checkCoverageAlerts(center), { raised: 0, resolved: 1 });
      assert.equal((await f.catalog.alerts.get(alert!.id))?.state, 'resolved');
    });
  });
}

describe('retry policy', () => {
  it('doubles the delay from the base, capped at an hour', () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => retryDelayMs(n)),
      [30_000, 60_000, 120_000, 240_000],
    );
    assert.equal(retryDelayMs(8), 3_600_000);
    assert.equal(retryDelayMs(500), 3_600_000);
    assert.equal(retryDelayMs(0, 1000), 1000);
    assert.equal(retryDelayMs(3, 1000), 4000);
  });

  it('tells transient failures from permanent ones', () => {
    const server = (details: Record<string, unknown>) => new CairnError('CAIRN_E_SERVER', 'x', details);
    assert.equal(isTransient(server({})), true, 'no answer');
    for (const status of [408, 429, 500, 503]) assert.equal(isTransient(server({ status })), true, String(status));
    for (const status of [400, 401, 404, 413]) assert.equal(isTransient(server({ status })), false, String(status));
    assert.equal(isTransient(server({ status: 503, transient: false })), false, "the sink's word wins");
    assert.equal(isTransient(server({ status: 451, transient: true })), true);
    assert.equal(isTransient(new CairnError('CAIRN_E_NO_SECRET', 'set PD_KEY')), false);
    assert.equal(isTransient(new Error('bug')), true);
    assert.ok(isCairnError(server({})));
  });
});
