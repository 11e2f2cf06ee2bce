/**
 * AlertCenter against real receivers: a PagerDuty Events v2 stand-in, a real SMTP server
 * (aiosmtpd) and a plain HTTP webhook, on SQLite and PostgreSQL catalogs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startPagerDutyReceiver } from '../../../test/pagerduty-receiver.js';
import { startSmtpServer } from '../../../test/smtp-support.js';
import { catalogTargets } from '../../catalog/test-support.js';
import { CairnError, isCairnError } from '../../errors/index.js';
import type { AlertSink } from '../../notify/index.js';
import { alertFixture, alertPolicy, startHookReceiver } from './test-support.js';

const failure = {
  kind: 'backup-failed',
  category: 'failure',
  severity: 'critical',
  summary: 'backups of app in prod failed 2 times in a row',
  dedupKey: 'backup-failed:app@prod',
  details: { item: 'app', environment: 'prod' },
} as const;

for (const target of catalogTargets) {
  describe(`AlertCenter (${target.dialect})`, () => {
    it('raises once: audited, one trigger per accepting sink, delivered at once; a repeat only counts', async (t) => {
      const pd = await startPagerDutyReceiver();
      const hook = await startHookReceiver();
      const drillHook = await startHookReceiver();
      t.after(() => Promise.all([pd.stop(), hook.stop(), drillHook.stop()]));
      const f = await alertFixture(
        t,
        target,
        alertPolicy([
          `pagerduty: { routingKeyEnv: PD_KEY, url: "${pd.url}", for: [failure] }`,
          `webhook: { url: "${hook.url}" }`,
          `webhook: { url: "${drillHook.url}", for: [drill] }`,
        ]),
      );
      const center = f.center();
      const alert = await center.raise(failure);
      assert.match(alert.id, /^al-[0-9a-f]{16}$/);
      assert.equal(alert.state, 'open');
      await center.settle();
      const deliveries = await f.catalog.alerts.deliveries(alert.id);
      assert.deepEqual(
        deliveries.map((d) => [d.event, d.status, d.attempts]),
        [
          ['trigger', 'delivered', 1],
          ['trigger', 'delivered', 1],
        ],
      );
      assert.ok(deliveries.some((d) => d.sink.startsWith('pagerduty http://127.0.0.1:')));
      assert.equal(pd.events.length, 1);
      assert.equal(pd.events[0]?.event_action, 'trigger');
      assert.equal(pd.events[0]?.dedup_key, 'backup-failed:app@prod');
      assert.equal(pd.events[0]?.payload?.severity, 'critical');
      assert.equal(hook.requests.length, 1);
      assert.equal(hook.requests[0]?.body.id, alert.id);
      assert.equal(hook.requests[0]?.body.category, 'failure');
      assert.equal(drillHook.requests.length, 0, 'a sink for drills only does not get a failure');

      f.clock.advance(60_000);
      const again = await center.raise({ ...failure, summary: 'backups of app in prod failed 3 times in a row' });
      await center.settle();
      assert.equal(again.id, alert.id);
      assert.equal(again.count, 2);
      assert.equal((await f.catalog.alerts.deliveries(alert.id)).length, 2, 'no new deliveries');
      assert.equal(pd.events.length, 1);
      const raised = await f.events('alert.raised');
      assert.equal(raised.length, 1);
      assert.equal(raised[0]?.identity, 'system:monitor');
      assert.equal(raised[0]?.target, alert.id);
      assert.equal(raised[0]?.details.dedupKey, 'backup-failed:app@prod');
      assert.equal((raised[0]?.details.sinks as string[] | undefined)?.length, 2);
    });

    it('PagerDuty: trigger, acknowledge, resolve with one dedup key; 429 then 202 is delivered on retry, in order', async (t) => {
      const pd = await startPagerDutyReceiver({ answers: [429] });
      t.after(() => pd.stop());
      const f = await alertFixture(t, target, alertPolicy([`pagerduty: { routingKeyEnv: PD_KEY, url: "${pd.url}" }`]));
      const center = f.center();
      const alert = await center.raise(failure);
      await center.settle();
      const [trigger] = await f.catalog.alerts.deliveries(alert.id);
      assert.equal(trigger?.status, 'pending');
      assert.equal(trigger?.attempts, 1);
      assert.match(trigger?.lastError ?? '', /429/);
      assert.equal(trigger?.nextAttemptAt, new Date(f.clock.now().getTime() + 1000).toISOString());

      // Acknowledged while the trigger waits for its retry: the acknowledge waits behind it.
      const acked = await center.ack(alert.id.slice(0, 8), 'oidc:alice@acme.example');
      assert.equal(acked.state, 'acknowledged');
      assert.equal(acked.ackedBy, 'oidc:alice@acme.example');
      await center.settle();
      assert.equal(pd.events.length, 0, 'nothing got through yet');
      assert.deepEqual(
        await center.deliverDue(),
        { delivered: 0, retrying: 0, failed: 0 },
        'nothing due before the backoff',
      );

      f.clock.advance(1000);
      assert.deepEqual(await center.deliverDue(), { delivered: 2, retrying: 0, failed: 0 });
      const [sent, ack] = await f.catalog.alerts.deliveries(alert.id);
      assert.equal(sent?.status, 'delivered');
      assert.equal(sent?.attempts, 2);
      assert.equal(ack?.event, 'acknowledge');
      assert.equal(ack?.attempts, 1, 'waiting behind the trigger is not an attempt');

      const resolved = await center.resolve(alert.id, 'oidc:alice@acme.example', 'disk replaced');
      assert.equal(resolved?.state, 'resolved');
      await center.settle();
      assert.deepEqual(
        pd.events.map((e) => [e.event_action, e.dedup_key]),
        [
          ['trigger', 'backup-failed:app@prod'],
          ['acknowledge', 'backup-failed:app@prod'],
          ['resolve', 'backup-failed:app@prod'],
        ],
      );
      assert.deepEqual(
        pd.requests.map((r) => r.status),
        [429, 202, 202, 202],
      );
      const [ackEvent] = await f.events('alert.acknowledged');
      assert.equal(ackEvent?.identity, 'oidc:alice@acme.example');
      const [resolveEvent] = await f.events('alert.resolved');
      assert.equal(resolveEvent?.details.reason, 'disk replaced');
      assert.equal(await center.resolve(alert.id, 'x'), undefined, 'resolved already');
    });

    it('escalates an unacknowledged alert once after escalateAfter, to escalation sinks; never an acknowledged one', async (t) => {
      const pd = await startPagerDutyReceiver();
      const hook = await startHookReceiver();
      t.after(() => Promise.all([pd.stop(), hook.stop()]));
      const f = await alertFixture(
        t,
        target,
        alertPolicy([
          `pagerduty: { routingKeyEnv: PD_KEY, url: "${pd.url}", for: [escalation] }`,
          `webhook: { url: "${hook.url}", for: [drill] }`,
        ]),
      );
      const center = f.center();
      const open = await center.raise(failure);
      const quiet = await center.raise({ ...failure, dedupKey: 'backup-failed:db@prod', summary: 'db failed' });
      await center.ack(quiet.id, 'token:oncall');
      await center.settle();
      assert.equal(pd.events.length, 0, 'an escalation-only sink gets no trigger');

      f.clock.advance(30 * 60_000 - 1);
      assert.deepEqual(await center.escalateDue(), []);
      f.clock.advance(1);
      const escalated = await center.escalateDue();
      assert.deepEqual(
        escalated.map((a) => a.id),
        [open.id],
      );
      assert.ok(escalated[0]?.escalatedAt);
      await center.settle();
      assert.deepEqual(await center.escalateDue(), [], 'escalated once');
      f.clock.advance(24 * 60 * 60_000);
      assert.deepEqual(await center.escalateDue(), [], 'the acknowledged one never escalates');
      assert.equal(pd.events.length, 1);
      assert.equal(pd.events[0]?.event_action, 'trigger');
      assert.equal(pd.events[0]?.payload?.severity, 'critical');
      assert.match(pd.events[0]?.payload?.summary ?? '', /^\[escalated\]/);
      assert.equal(hook.requests.length, 0);
      const events = await f.events('alert.escalated');
      assert.deepEqual(
        events.map((e) => [e.identity, e.target]),
        [['system:monitor', open.id]],
      );
      // The pager hears the end of what it was paged for.
      await center.resolve('backup-failed:app@prod', 'system:monitor');
      await center.settle();
      assert.deepEqual(
        pd.events.map((e) => e.event_action),
        ['trigger', 'resolve'],
      );
    });

    // Replicas share a PostgreSQL catalog; SQLite is one host's.
    it('escalates once across two replicas on one catalog', { skip: target.dialect === 'sqlite' }, async (t) => {
      const hook = await startHookReceiver();
      t.after(() => hook.stop());
      const f = await alertFixture(t, target, alertPolicy([`webhook: { url: "${hook.url}" }`]));
      const other = await f.replica();
      const a = f.center();
      const b = other.center();
      for (let i = 0; i < 5; i++) await a.raise({ ...failure, dedupKey: `k${i}`, summary: `alert ${i}` });
      await a.settle();
      f.clock.advance(31 * 60_000);
      const [one, two] = await Promise.all([a.escalateDue(), b.escalateDue()]);
      await Promise.all([a.settle(), b.settle()]);
      assert.equal(one.length + two.length, 5, 'each escalated by exactly one replica');
      assert.equal(new Set([...one, ...two].map((x) => x.id)).size, 5);
      assert.equal((await f.events('alert.escalated')).length, 5);
      const escalations = hook.requests.filter((r) => r.body.event === 'escalate');
      assert.equal(escalations.length, 5, 'one escalate delivery each');
    });

    it('refuses bad input and state changes that are not allowed', async (t) => {
      const f = await alertFixture(t, target, alertPolicy([]));
      const center = f.center();
      const usage = (field: string) => (err: unknown) =>
        isCairnError(err, 'CAIRN_E_USAGE') && err.details?.field === field;
      await assert.rejects(center.raise({ ...failure, kind: 'Backup Failed' }), usage('kind'));
      await assert.rejects(center.raise({ ...failure, category: 'outage' as never }), usage('category'));
      await assert.rejects(center.raise({ ...failure, severity: 'fatal' as never }), usage('severity'));
      await assert.rejects(center.raise({ ...failure, summary: ' ' }), usage('summary'));
      await assert.rejects(center.raise({ ...failure, dedupKey: '' }), usage('dedupKey'));
      await assert.rejects(center.ack('al-0123456789abcdef', 'x'), (e) => isCairnError(e, 'CAIRN_E_NOT_FOUND'));
      const alert = await center.raise(failure);
      assert.deepEqual(await f.catalog.alerts.deliveries(alert.id), [], 'no sinks, no deliveries');
      await center.ack(alert.id, 'token:a');
      await assert.rejects(
        center.ack(alert.id, 'token:b'),
        (e) => isCairnError(e, 'CAIRN_E_EXISTS') && /already acknowledged by token:a/.test(e.message),
      );
      await center.resolve(alert.id, 'token:a');
      await assert.rejects(
        center.ack(alert.id, 'token:b'),
        (e) => isCairnError(e, 'CAIRN_E_EXISTS') && /resolved/.test(e.message),
      );
      assert.equal(await center.resolve('no-such-key', 'x'), undefined);
      // After resolving, the same dedup key is a new alert.
      const next = await center.raise(failure);
      assert.notEqual(next.id, alert.id);
    });
  });
}

describe('AlertCenter deliveries (sqlite)', () => {
  const target = catalogTargets[0]!;
  let smtpRefusing: Awaited<ReturnType<typeof startSmtpServer>>;
  before(async () => {
    smtpRefusing = await startSmtpServer({ refuseFirst: 2, code: 451 });
  });
  after(() => smtpRefusing.stop());

  it('an SMTP server that refuses mail: retried after the backoff, delivered exactly once, attempts recorded', async (t) => {
    const f = await alertFixture(
      t,
      target,
      alertPolicy([`email: { smtp: "${smtpRefusing.url}", to: [sre@acme.example], from: cairn@acme.example }`]),
    );
    const center = f.center();
    const alert = await center.raise(failure);
    await center.settle();
    let [row] = await f.catalog.alerts.deliveries(alert.id);
    assert.equal(row?.status, 'pending');
    assert.equal(row?.attempts, 1);
    assert.match(row?.lastError ?? '', /451/);
    f.clock.advance(1000);
    assert.deepEqual(await center.deliverDue(), { delivered: 0, retrying: 1, failed: 0 });
    [row] = await f.catalog.alerts.deliveries(alert.id);
    assert.equal(row?.nextAttemptAt, new Date(f.clock.now().getTime() + 2000).toISOString(), 'backoff doubles');
    f.clock.advance(1999);
    assert.deepEqual(await center.deliverDue(), { delivered: 0, retrying: 0, failed: 0 });
    f.clock.advance(1);
    assert.deepEqual(await center.deliverDue(), { delivered: 1, retrying: 0, failed: 0 });
    [row] = await f.catalog.alerts.deliveries(alert.id);
    assert.equal(row?.status, 'delivered');
    assert.equal(row?.attempts, 3);
    assert.equal(await center.deliverDue().then((c) => c.delivered), 0);
    const mails = await smtpRefusing.messages();
    assert.equal(mails.length, 1, 'exactly once');
    assert.equal(mails[0]?.subject, '[Cairn] CRITICAL backup-failed: backups of app in prod failed 2 times in a row');
    assert.deepEqual(mails[0]?.envelope.to, ['sre@acme.example']);
    assert.deepEqual(await f.events('alert.delivery-failed'), []);
  });

  it('a permanent refusal (550) fails the delivery at once and audits it', async (t) => {
    const smtp = await startSmtpServer({ refuseFirst: 1, code: 550 });
    t.after(() => smtp.stop());
    const f = await alertFixture(
      t,
      target,
      alertPolicy([`email: { smtp: "${smtp.url}", to: [sre@acme.example], from: cairn@acme.example }`]),
    );
    const center = f.center();
    const alert = await center.raise(failure);
    await center.settle();
    const [row] = await f.catalog.alerts.deliveries(alert.id);
    assert.equal(row?.status, 'failed');
    assert.equal(row?.attempts, 1);
    assert.match(row?.lastError ?? '', /550/);
    const [event] = await f.events('alert.delivery-failed');
    assert.equal(event?.identity, 'system:monitor');
    assert.equal(event?.target, alert.id);
    assert.equal(event?.details.event, 'trigger');
    assert.equal(event?.details.attempts, 1);
    assert.match(String(event?.details.sink), /^email smtp:\/\/127\.0\.0\.1:/);
    assert.equal((await smtp.messages()).length, 0);
  });

  it('a PagerDuty 400 is permanent; a sink removed from the policy fails its pending rows; old ones are given up', async (t) => {
    const pd = await startPagerDutyReceiver({ answers: [400] });
    const hook = await startHookReceiver([503, 503, 503]);
    t.after(() => Promise.all([pd.stop(), hook.stop()]));
    const withHook = alertPolicy([
      `pagerduty: { routingKeyEnv: PD_KEY, url: "${pd.url}" }`,
      `webhook: { url: "${hook.url}" }`,
    ]);
    const f = await alertFixture(t, target, withHook);
    const center = f.center({ giveUpAfterMs: 10 * 60_000 });
    const first = await center.raise(failure);
    await center.settle();
    const rows = await f.catalog.alerts.deliveries(first.id);
    assert.deepEqual(
      rows.map((r) => [r.sink.split(' ')[0], r.status]),
      [
        ['pagerduty', 'failed'],
        ['webhook', 'pending'],
      ],
    );
    // The webhook is taken out of the policy: its pending delivery fails, saying why.
    f.policy = alertPolicy([`pagerduty: { routingKeyEnv: PD_KEY, url: "${pd.url}" }`]);
    f.clock.advance(1000);
    assert.deepEqual(await center.deliverDue(), { delivered: 0, retrying: 0, failed: 1 });
    const [, hookRow] = await f.catalog.alerts.deliveries(first.id);
    assert.equal(hookRow?.status, 'failed');
    assert.match(hookRow?.lastError ?? '', /no longer among the policy's alerts\.sinks/);

    // A transient failure older than giveUpAfterMs is given up.
    f.policy = withHook;
    const second = await center.raise({ ...failure, dedupKey: 'other', summary: 'other' });
    await center.settle();
    f.clock.advance(10 * 60_000);
    const counts = await center.deliverDue();
    assert.deepEqual(counts, { delivered: 0, retrying: 0, failed: 1 });
    const secondRows = await f.catalog.alerts.deliveries(second.id);
    const hookSecond = secondRows.find((r) => r.sink.startsWith('webhook'));
    assert.equal(hookSecond?.status, 'failed');
    assert.match(hookSecond?.lastError ?? '', /503.*given up after 2 attempts/);
    const failed = await f.events('alert.delivery-failed');
    assert.equal(failed.length, 3);
  });

  it('two e-mail sinks on one SMTP server: each row stays with its own sink when the policy is reordered', async (t) => {
    const smtp = await startSmtpServer({ refuseFirst: 1, code: 451 });
    t.after(() => smtp.stop());
    const ops = `email: { smtp: "${smtp.url}", to: [ops@acme.example], from: cairn@acme.example, for: [failure] }`;
    const sec = `email: { smtp: "${smtp.url}", to: [sec@acme.example], from: cairn@acme.example, for: [drill] }`;
    const f = await alertFixture(t, target, alertPolicy([ops, sec]));
    const center = f.center();
    const alert = await center.raise(failure); // only the ops sink takes it; the first attempt is refused (451)
    await center.settle();
    let [row] = await f.catalog.alerts.deliveries(alert.id);
    assert.equal(row?.status, 'pending');
    assert.match(row?.sink ?? '', /^email smtp:\/\/127\.0\.0\.1:\d+ #[0-9a-f]{8}$/);
    const opsKey = row!.sink;

    // The policy is reordered (and the ops sink's `for:` edited): the pending row still goes to ops@.
    f.policy = alertPolicy([sec, ops.replace('for: [failure]', 'for: [failure, late]')]);
    f.clock.advance(1000);
    assert.deepEqual(await center.deliverDue(), { delivered: 1, retrying: 0, failed: 0 });
    [row] = await f.catalog.alerts.deliveries(alert.id);
    assert.equal(row?.status, 'delivered');
    const mails = await smtp.messages();
    assert.equal(mails.length, 1);
    assert.deepEqual(mails[0]?.envelope.to, ['ops@acme.example'], 'not the other sink on the same server');

    // The keys are the sinks' own: the same for ops in either order, another one for sec.
    const drill = await center.raise({
      ...failure,
      kind: 'drill-failed',
      category: 'drill',
      dedupKey: 'drill-failed:q',
    });
    await center.settle();
    const [drillRow] = await f.catalog.alerts.deliveries(drill.id);
    assert.notEqual(drillRow?.sink, opsKey);
    assert.equal(drillRow?.status, 'delivered');
    assert.deepEqual((await smtp.messages())[1]?.envelope.to, ['sec@acme.example']);
    const resolved = await center.resolve(alert.id, 'alice');
    await center.settle();
    assert.equal(resolved?.state, 'resolved');
    assert.equal((await f.catalog.alerts.deliveries(alert.id))[1]?.sink, opsKey);
  });

  it('a process that dies between claiming a delivery and recording it: the row is sent once the lease lapses', async (t) => {
    const hook = await startHookReceiver([503]);
    t.after(() => hook.stop());
    const f = await alertFixture(t, target, alertPolicy([`webhook: { url: "${hook.url}" }`]));
    const center = f.center({ leaseMs: 5000 });
    const alert = await center.raise(failure);
    await center.settle();
    f.clock.advance(1000);
    // Another process claims the due row and dies before it sends it or records anything.
    const claimed = await f.catalog.alerts.claimDue(f.clock.now().toISOString(), 10, 5000);
    assert.equal(claimed.length, 1);
    assert.deepEqual(await center.deliverDue(), { delivered: 0, retrying: 0, failed: 0 }, 'held by the lease');
    f.clock.advance(4999);
    assert.deepEqual(await center.deliverDue(), { delivered: 0, retrying: 0, failed: 0 });
    f.clock.advance(1);
    assert.deepEqual(await center.deliverDue(), { delivered: 1, retrying: 0, failed: 0 });
    const [row] = await f.catalog.alerts.deliveries(alert.id);
    assert.equal(row?.status, 'delivered');
    assert.equal(hook.requests.length, 1, 'sent once, not lost');
  });

  it('a sink that throws something other than a CairnError is retried, its message not repeated', async (t) => {
    const f = await alertFixture(t, target, alertPolicy([]));
    let calls = 0;
    const flaky: AlertSink = {
      name: 'custom',
      async deliver() {
        calls++;
        if (calls === 1) throw new Error('https://secret.example/token leaked');
        if (calls === 2) throw new CairnError('CAIRN_E_SERVER', 'custom answered 503', { status: 503 });
      },
    };
    const center = f.center({ sinks: () => [flaky] });
    const alert = await center.raise(failure);
    await center.settle();
    const [row] = await f.catalog.alerts.deliveries(alert.id);
    assert.equal(row?.status, 'pending');
    assert.doesNotMatch(row?.lastError ?? '', /secret/);
    f.clock.advance(1000);
    await center.deliverDue();
    f.clock.advance(2000);
    assert.deepEqual(await center.deliverDue(), { delivered: 1, retrying: 0, failed: 0 });
    assert.equal(calls, 3);
  });
});
