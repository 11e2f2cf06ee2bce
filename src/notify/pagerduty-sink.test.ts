/**
 * The PagerDuty sink against a local Events v2 receiver that validates bodies as PagerDuty does
 * (test/pagerduty-receiver.ts): trigger, acknowledge and resolve of one dedup key in order, an
 * escalation, 429 then 202 (delivered on attempt 2), 5xx retried, 400 not retried with PagerDuty's
 * errors quoted, limits (summary 1024, dedup key 255), no answer at all, and the routing key kept out
 * of names and errors.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startPagerDutyReceiver } from '../../test/pagerduty-receiver.js';
import { isCairnError } from '../errors/index.js';
import type { Alert } from './alert.js';
import { Notifier } from './notifier.js';
import { PagerDutySink, pagerDutyDedupKey } from './pagerduty-sink.js';
import { freePort } from './test-support.js';

const KEY = 'R0ut1ngKeyR0ut1ngKeyR0ut1ngKey32';
const ALERT: Alert = {
  kind: 'backup-failed',
  category: 'failure',
  severity: 'warning',
  summary: 'payments-api-config failed 2 backups in a row',
  details: { item: 'payments-api-config', environment: 'prod', error: 'source unreachable' },
  dedupKey: 'backup-failed:payments-api-config@prod',
  time: '2026-11-03T06:00:00.000Z',
  id: 'al-0123456789abcdef',
  url: 'https://cairn.acme.example/alerts/al-0123456789abcdef',
};

describe('PagerDutySink', () => {
  it('sends trigger, acknowledge and resolve with one dedup key, in order; ack and resolve carry only the three fields', async () => {
    const pd = await startPagerDutyReceiver();
    try {
      const sink = new PagerDutySink({ routingKey: KEY, url: pd.url });
      assert.equal(sink.name, `pagerduty ${new URL(pd.url).origin}/…`);
      const notifier = new Notifier({ sinks: [sink], backoffMs: 1 });
      for (const event of ['trigger', 'acknowledge', 'resolve'] as const) {
        const [r] = await notifier.notify({ ...ALERT, event });
        assert.deepEqual([r!.ok, r!.attempts], [true, 1]);
      }
      assert.deepEqual(
        pd.events.map((e) => [e.event_action, e.dedup_key]),
        [
          ['trigger', ALERT.dedupKey],
          ['acknowledge', ALERT.dedupKey],
          ['resolve', ALERT.dedupKey],
        ],
      );
      const [trigger, ack, resolve] = pd.events;
      assert.equal(trigger!.routing_key, KEY);
      assert.deepEqual(trigger!.payload, {
        summary: ALERT.summary,
        source: 'cairn',
        severity: 'warning',
        timestamp: ALERT.time,
        component: 'payments-api-config',
        group: 'prod',
        class: 'backup-failed',
        custom_details: {
          item: 'payments-api-config',
          environment: 'prod',
          error: 'source unreachable',
          kind: 'backup-failed',
          category: 'failure',
          alert_id: 'al-0123456789abcdef',
          cairn_dedup_key: ALERT.dedupKey,
        },
      });
      assert.equal(trigger!.client, 'Cairn');
      assert.equal(trigger!.client_url, ALERT.url);
      assert.deepEqual(Object.keys(ack!).sort(), ['dedup_key', 'event_action', 'routing_key']);
      assert.deepEqual(Object.keys(resolve!).sort(), ['dedup_key', 'event_action', 'routing_key']);
    } finally {
      await pd.stop();
    }
  });

  it('sends an escalation as a critical trigger of the same dedup key with an [escalated] summary', async () => {
    const pd = await startPagerDutyReceiver();
    try {
      await new PagerDutySink({ routingKey: KEY, url: pd.url }).deliver({ ...ALERT, event: 'escalate', details: {} });
      const [e] = pd.events;
      assert.equal(e!.event_action, 'trigger');
      assert.equal(e!.dedup_key, ALERT.dedupKey);
      assert.equal(e!.payload!.severity, 'critical');
      assert.equal(e!.payload!.summary, `[escalated] ${ALERT.summary}`);
      // No item or environment in the details: the kind and category stand in.
      assert.equal(e!.payload!.component, 'backup-failed');
      assert.equal(e!.payload!.group, 'failure');
      assert.equal(e!.payload!.custom_details!.escalated, true);
    } finally {
      await pd.stop();
    }
  });

  it('retries 429 (delivered on attempt 2) and 5xx (delivered on attempt 3) through the Notifier', async () => {
    const throttled = await startPagerDutyReceiver({ answers: [429, 202] });
    const failing = await startPagerDutyReceiver({ answers: [500, 503] });
    try {
      const sinks = [throttled, failing].map((pd) => new PagerDutySink({ routingKey: KEY, url: pd.url }));
      const [a, b] = await new Notifier({ sinks, backoffMs: 1 }).notify(ALERT);
      assert.deepEqual([a!.ok, a!.attempts], [true, 2]);
      assert.deepEqual([b!.ok, b!.attempts], [true, 3]);
      assert.deepEqual(
        throttled.requests.map((r) => r.status),
        [429, 202],
      );
      assert.equal(throttled.events.length, 1);
    } finally {
      await throttled.stop();
      await failing.stop();
    }
    // One attempt alone says the answer is worth another.
    const once = await startPagerDutyReceiver({ answers: [429] });
    try {
      await assert.rejects(new PagerDutySink({ routingKey: KEY, url: once.url }).deliver(ALERT), (e) => {
        assert.ok(isCairnError(e, 'CAIRN_E_SERVER'));
        assert.deepEqual([e.details?.transient, e.details?.status], [true, 429]);
        assert.match(e.message, /answered 429: Requests for this service are arriving too quickly/);
        return true;
      });
    } finally {
      await once.stop();
    }
  });

  it('does not retry a 400 and quotes PagerDuty’s errors, without the routing key', async () => {
    const pd = await startPagerDutyReceiver();
    try {
      const badKey = 'too-short-key-1234';
      const [r] = await new Notifier({
        sinks: [new PagerDutySink({ routingKey: badKey, url: pd.url })],
        backoffMs: 1,
      }).notify(ALERT);
      assert.equal(r!.ok, false);
      assert.equal(r!.attempts, 1);
      assert.equal(pd.requests.length, 1);
      assert.equal(r!.error!.details?.transient, false);
      assert.equal(r!.error!.details?.status, 400);
      assert.match(
        r!.error!.message,
        /after 1 attempt: pagerduty http:\/\/127\.0\.0\.1:\d+\/… answered 400: Event object is invalid \(Length of 'routing_key' is incorrect \(should be 32 characters\)\)$/,
      );
      assert.doesNotMatch(JSON.stringify(r!.error!.toJSON()), /too-short-key/);
    } finally {
      await pd.stop();
    }
  });

  it('keeps to PagerDuty’s limits: summary cut to 1024 characters, a long dedup key shortened the same way every time', async () => {
    const pd = await startPagerDutyReceiver();
    try {
      const sink = new PagerDutySink({ routingKey: KEY, url: pd.url });
      const long = { ...ALERT, summary: 'x'.repeat(3000), dedupKey: `drift:${'k'.repeat(400)}` };
      await sink.deliver(long);
      await sink.deliver({ ...long, event: 'resolve' });
      const [trigger, resolve] = pd.events;
      assert.equal(trigger!.payload!.summary.length, 1024);
      assert.ok(trigger!.dedup_key.length <= 255);
      assert.equal(resolve!.dedup_key, trigger!.dedup_key);
      assert.notEqual(pagerDutyDedupKey(`${long.dedupKey}a`), trigger!.dedup_key);
      assert.equal(pagerDutyDedupKey('short'), 'short');
    } finally {
      await pd.stop();
    }
  });

  it('treats no answer as transient and names the endpoint, never the routing key', async () => {
    const url = `http://127.0.0.1:${await freePort()}/v2/enqueue`;
    const [r] = await new Notifier({ sinks: [new PagerDutySink({ routingKey: KEY, url })], backoffMs: 1 }).notify(
      ALERT,
    );
    assert.equal(r!.ok, false);
    assert.equal(r!.attempts, 3);
    assert.equal(r!.error!.details?.transient, true);
    assert.match(r!.error!.message, /pagerduty http:\/\/127\.0\.0\.1:\d+\/… did not answer: ECONNREFUSED/);
    assert.doesNotMatch(JSON.stringify(r!.error!.toJSON()), new RegExp(KEY));
    assert.throws(
      () => new PagerDutySink({ routingKey: KEY, url: 'ftp://events.example/v2/enqueue' }),
      (e) => isCairnError(e, 'CAIRN_E_USAGE') && /PagerDuty events URL must be an absolute http/.test(e.message),
    );
    assert.throws(
      () => new PagerDutySink({ routingKey: '' }),
      (e) => isCairnError(e, 'CAIRN_E_NO_SECRET'),
    );
  });
});
