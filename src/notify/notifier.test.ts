/**
 * The Notifier with real HTTP sinks against local receivers: the generic webhook (alert JSON, HMAC
 * signature), the Slack shape, retries with backoff (fails twice then succeeds; always fails; a 404
 * is not retried), fan-out that one failing sink does not stop, and sinks built from the policy.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { CairnError, isCairnError } from '../errors/index.js';
import type { Alert, AlertSink } from './alert.js';
import { alertSinksFromPolicy } from './from-policy.js';
import { Notifier } from './notifier.js';
import { startHttpReceiver } from './test-support.js';
import { SlackSink, WebhookSink } from './webhook-sinks.js';

const ALERT: Alert = {
  kind: 'bulk-delete',
  severity: 'critical',
  summary: '12 snapshots deleted in 3 minutes by alice <alice@example.com>\nplease check',
  details: { identity: 'alice', count: 12, items: ['router-1', 'fw-2'] },
  dedupKey: 'bulk-delete:alice:2024-05-01T10',
  time: '2024-05-01T10:03:00.000Z',
};
const SLACK_PATH = '/services/T000/B000/XXXXsecretXXXX';
const ok = { status: 200, body: { ok: true } };

describe('Notifier', () => {
  it('POSTs the alert JSON to a webhook, signed with HMAC-SHA256 over the exact body when a secret is set', async () => {
    const rx = await startHttpReceiver(() => ok);
    const signed = new WebhookSink({ url: `${rx.origin}/hook?k=1`, secret: 'hmac-key' });
    const plain = new WebhookSink({ url: `${rx.origin}/plain` });
    const results = await new Notifier({ sinks: [signed, plain] }).notify(ALERT);
    assert.deepEqual(
      results.map((r) => [r.sink, r.ok, r.attempts]),
      [
        [`webhook ${rx.origin}/…`, true, 1],
        [`webhook ${rx.origin}/…`, true, 1],
      ],
    );
    const hook = rx.requests.find((r) => r.path === '/hook?k=1')!;
    assert.deepEqual(JSON.parse(hook.body), { ...ALERT, event: 'trigger' });
    const expected = createHmac('sha256', 'hmac-key').update(hook.body).digest('hex');
    assert.equal(hook.headers['x-cairn-signature'], `sha256=${expected}`);
    assert.equal(rx.requests.find((r) => r.path === '/plain')!.headers['x-cairn-signature'], undefined);
    await rx.close();
  });

  it('POSTs {text, blocks} to a Slack webhook: a one-line text with the severity, markup escaped', async () => {
    const rx = await startHttpReceiver(() => ({ status: 200, body: 'ok' }));
    const sink = new SlackSink({ url: `${rx.origin}${SLACK_PATH}` });
    assert.equal(sink.name, `slack ${rx.origin}/…`);
    const [result] = await new Notifier({ sinks: [sink] }).notify(ALERT);
    assert.equal(result!.ok, true);
    const body = JSON.parse(rx.requests[0]!.body) as { text: string; blocks: { type: string }[] };
    assert.equal(
      body.text,
      '[CRITICAL] bulk-delete: 12 snapshots deleted in 3 minutes by alice &lt;alice@example.com&gt; please check',
    );
    assert.ok(!body.text.includes('\n'));
    assert.deepEqual(
      body.blocks.map((b) => b.type),
      ['section', 'section', 'context'],
    );
    assert.match(JSON.stringify(body.blocks), /\*count\*\\n12/);
    await rx.close();
  });

  it('retries a sink that fails twice and delivers on the third attempt', async () => {
    const rx = await startHttpReceiver((_req, n) => (n <= 2 ? { status: 500, body: { error: 'boom' } } : ok));
    const [result] = await new Notifier({ sinks: [new WebhookSink({ url: `${rx.origin}/h` })], backoffMs: 20 }).notify(
      ALERT,
    );
    assert.deepEqual(result, { sink: `webhook ${rx.origin}/…`, ok: true, attempts: 3 });
    assert.equal(rx.requests.length, 3);
    await rx.close();
  });

  it('gives up on a sink that always fails after 3 attempts with a clear error, and still delivers to the others', async () => {
    const failing = await startHttpReceiver(() => ({ status: 503, body: { text: 'down' } }));
    const good = await startHttpReceiver(() => ok);
    const started = Date.now();
    const results = await new Notifier({
      sinks: [new SlackSink({ url: `${failing.origin}${SLACK_PATH}` }), new WebhookSink({ url: `${good.origin}/h` })],
      backoffMs: 50,
    }).notify(ALERT);
    assert.ok(Date.now() - started >= 150, 'backoff 50 ms then 100 ms');
    assert.equal(failing.requests.length, 3);
    assert.equal(good.requests.length, 1);
    const [bad, fine] = results;
    assert.equal(fine!.ok, true);
    assert.equal(bad!.ok, false);
    assert.equal(bad!.attempts, 3);
    assert.ok(isCairnError(bad!.error, 'CAIRN_E_SERVER'));
    assert.equal(
      bad!.error.message,
      `alert bulk-delete not delivered to slack ${failing.origin}/… after 3 attempts: slack ${failing.origin}/… answered 503: down`,
    );
    assert.doesNotMatch(JSON.stringify(bad!.error.toJSON()), /secret|services/);
    await failing.close();
    await good.close();
  });

  it('does not retry an answer that will not change (404)', async () => {
    const rx = await startHttpReceiver(() => ({ status: 404 }));
    const [result] = await new Notifier({
      sinks: [new WebhookSink({ url: `${rx.origin}/gone` })],
      backoffMs: 1,
    }).notify(ALERT);
    assert.equal(result!.ok, false);
    assert.equal(result!.attempts, 1);
    assert.match(result!.error!.message, /after 1 attempt: .*answered 404/);
    await rx.close();
  });

  it('builds sinks from the policy: URLs and keys from *Env, a missing variable fails alone', async () => {
    const rx = await startHttpReceiver(() => ok);
    const env = { HOOK_URL: `${rx.origin}/from-env`, HOOK_KEY: 'k', SLACK_URL: `${rx.origin}${SLACK_PATH}` };
    const sinks = alertSinksFromPolicy(
      [
        { kind: 'webhook', url: 'https://ignored.example/x', urlEnv: 'HOOK_URL', secretEnv: 'HOOK_KEY' } as never,
        { kind: 'slack', webhookEnv: 'SLACK_URL' },
        { kind: 'pagerduty', routingKeyEnv: 'UNSET_PD_KEY', url: 'https://events.pagerduty.com/v2/enqueue' },
        { kind: 'webhook', urlEnv: 'UNSET_HOOK_URL' },
      ],
      { env },
    );
    const results = await new Notifier({ sinks, backoffMs: 1 }).notify(ALERT);
    assert.deepEqual(
      results.map((r) => [r.ok, r.attempts, r.error?.code]),
      [
        [true, 1, undefined],
        [true, 1, undefined],
        [false, 1, 'CAIRN_E_NO_SECRET'],
        [false, 1, 'CAIRN_E_NO_SECRET'],
      ],
    );
    assert.match(results[2]!.error!.message, /set UNSET_PD_KEY: it holds the PagerDuty routing key/);
    assert.match(results[3]!.error!.message, /set UNSET_HOOK_URL/);
    const hook = rx.requests.find((r) => r.path === '/from-env')!;
    assert.equal(
      hook.headers['x-cairn-signature'],
      `sha256=${createHmac('sha256', 'k').update(hook.body).digest('hex')}`,
    );
    assert.ok(rx.requests.some((r) => r.path === SLACK_PATH));
    await rx.close();
  });

  it('notifyOrThrow rejects once, naming each failed sink, after every sink was tried', async () => {
    const good = await startHttpReceiver(() => ok);
    const down = await startHttpReceiver(() => ({ status: 500 }));
    const notifier = new Notifier({
      sinks: [new WebhookSink({ url: `${good.origin}/h` }), new WebhookSink({ url: `${down.origin}/secret-path` })],
      backoffMs: 1,
    });
    await assert.rejects(notifier.notifyOrThrow(ALERT), (e) => {
      assert.ok(isCairnError(e, 'CAIRN_E_SERVER'));
      assert.equal(
        e.message,
        `alert bulk-delete not delivered to 1 of 2 sinks: webhook ${down.origin}/… after 3 attempts: webhook ${down.origin}/… answered 500: Internal Server Error`,
      );
      return true;
    });
    assert.equal(good.requests.length, 1);
    await new Notifier({ sinks: [new WebhookSink({ url: `${good.origin}/h` })] }).notifyOrThrow(ALERT);
    await good.close();
    await down.close();
  });

  it('honours details.transient before the HTTP rule: a 503 marked permanent is tried once, a 400 marked transient is retried', async () => {
    const tries = { permanent: 0, transient: 0, unmarked: 0 };
    const sink = (name: keyof typeof tries, details: Record<string, unknown>): AlertSink => ({
      name,
      deliver: async () => {
        tries[name]++;
        throw new CairnError('CAIRN_E_SERVER', `${name} failed`, details);
      },
    });
    const results = await new Notifier({
      sinks: [
        sink('permanent', { status: 503, transient: false }),
        sink('transient', { status: 400, transient: true }),
        sink('unmarked', { status: 400 }),
      ],
      backoffMs: 1,
    }).notify(ALERT);
    assert.deepEqual(
      results.map((r) => [r.sink, r.ok, r.attempts]),
      [
        ['permanent', false, 1],
        ['transient', false, 3],
        ['unmarked', false, 1],
      ],
    );
    assert.deepEqual(tries, { permanent: 1, transient: 3, unmarked: 1 });
  });

  it('sends an alert only to the sinks whose `for:` takes it; escalations also reach `escalation` sinks', async () => {
    const rx = await startHttpReceiver(() => ok);
    const hook = (path: string, categories?: readonly ('failure' | 'drift' | 'escalation' | 'anomaly')[]) =>
      new WebhookSink({ url: `${rx.origin}/${path}`, ...(categories ? { for: categories } : {}) });
    const notifier = new Notifier({
      sinks: [hook('all'), hook('failures', ['failure']), hook('pager', ['escalation']), hook('drift', ['drift'])],
    });
    const paths = async (alert: Alert) => {
      rx.requests.length = 0;
      const results = await notifier.notify(alert);
      assert.ok(results.every((r) => r.ok));
      assert.equal(results.length, rx.requests.length, 'results hold only the sinks that were tried');
      return rx.requests.map((r) => r.path).sort();
    };
    const failed: Alert = { ...ALERT, kind: 'backup-failed', category: 'failure', dedupKey: 'backup-failed:x@prod' };
    assert.deepEqual(await paths(failed), ['/all', '/failures']);
    // No category: inferred from a known kind, else an anomaly (bulk-delete).
    assert.deepEqual(await paths({ ...failed, category: undefined }), ['/all', '/failures']);
    assert.deepEqual(await paths(ALERT), ['/all']);
    const drift: Alert = { ...ALERT, kind: 'drift', category: 'drift', dedupKey: 'drift:prod:1' };
    assert.deepEqual(await paths({ ...drift, event: 'escalate' }), ['/all', '/drift', '/pager']);
    assert.deepEqual(await paths({ ...failed, event: 'escalate' }), ['/all', '/failures', '/pager']);
    // The end of an escalated incident reaches the pager; the end of one never escalated does not.
    assert.deepEqual(await paths({ ...drift, event: 'resolve', escalated: true }), ['/all', '/drift', '/pager']);
    assert.deepEqual(await paths({ ...drift, event: 'acknowledge' }), ['/all', '/drift']);
    assert.deepEqual(
      await notifier.notify({ ...ALERT, kind: 'canary-slow', category: 'canary' }).then((r) => r.length),
      1,
    );
    await rx.close();
  });

  it('shows the event: the webhook body carries it, Slack prefixes ACK:/RESOLVED:/ESCALATED: and links the alert', async () => {
    const rx = await startHttpReceiver(() => ok);
    const notifier = new Notifier({
      sinks: [new WebhookSink({ url: `${rx.origin}/h` }), new SlackSink({ url: `${rx.origin}${SLACK_PATH}` })],
    });
    const alert: Alert = {
      ...ALERT,
      id: 'al-00112233aabbccdd',
      url: 'https://cairn.example/alerts/al-00112233aabbccdd',
    };
    for (const event of ['acknowledge', 'resolve', 'escalate'] as const) await notifier.notify({ ...alert, event });
    const hooks = rx.requests.filter((r) => r.path === '/h').map((r) => JSON.parse(r.body) as Alert);
    assert.deepEqual(
      hooks.map((h) => [h.event, h.id, h.url]),
      ['acknowledge', 'resolve', 'escalate'].map((e) => [e, alert.id, alert.url]),
    );
    const slack = rx.requests
      .filter((r) => r.path === SLACK_PATH)
      .map((r) => JSON.parse(r.body) as { text: string; blocks: Array<{ text?: { text: string } }> });
    assert.deepEqual(
      slack.map((m) => m.text.slice(0, m.text.indexOf(']') + 1)),
      ['ACK: [CRITICAL]', 'RESOLVED: [CRITICAL]', 'ESCALATED: [CRITICAL]'],
    );
    assert.match(slack[1]!.blocks[0]!.text!.text, /^:white_check_mark: \*RESOLVED: /);
    assert.match(
      JSON.stringify(slack[0]!.blocks),
      /alert al-00112233aabbccdd · dedup .*<https:\/\/cairn\.example\/alerts\/al-00112233aabbccdd\|open>/,
    );
    await rx.close();
  });

  it('returns no results when no sink is configured', async () => {
    assert.deepEqual(await new Notifier({ sinks: [] }).notify(ALERT), []);
  });
});
