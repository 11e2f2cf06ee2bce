/**
 * Sinks and transports from the policy. Alert sinks: all four kinds (webhook, slack, pagerduty,
 * email) with secrets from *Env, `for:` becoming `accepts`, and a missing variable or a bad URL
 * giving a sink that fails permanently, naming the variable and never a secret. SIEM transports
 * from `audit.siem`: syslog URLs and CA files pass through, the HEC token comes from the variable
 * tokenEnv names, and a missing token fails at setup.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCairnError } from '../errors/index.js';
import type { AlertSink as PolicyAlertSink } from '../policy/index.js';
import type { Alert } from './alert.js';
import { EmailSink } from './email-sink.js';
import { alertSinkFromPolicy, alertSinksFromPolicy, siemTransportFromPolicy } from './from-policy.js';
import { HecTransport } from './hec-transport.js';
import { PagerDutySink } from './pagerduty-sink.js';
import { SyslogTransport } from './syslog-transport.js';
import { SlackSink, WebhookSink } from './webhook-sinks.js';

const PD_URL = 'https://events.pagerduty.com/v2/enqueue';
const ALERT: Alert = {
  kind: 'schedule-late',
  category: 'late',
  severity: 'warning',
  summary: 'prod backups are 20 minutes late',
  dedupKey: 'schedule-late:prod',
  time: '2026-11-03T06:20:00.000Z',
};

describe('alertSinkFromPolicy', () => {
  const ENV = {
    HOOK_URL: 'https://hooks.acme.example/cairn?token=hooksecret',
    HOOK_KEY: 'hmac-secret',
    SLACK_WEBHOOK: 'https://hooks.slack.com/services/T0/B0/slacksecret',
    PD_ROUTING_KEY: 'R0ut1ngKeyR0ut1ngKeyR0ut1ngKey32',
    SMTP_USER: 'cairn',
    SMTP_PASSWORD: 'smtp-pa55word',
  };
  const POLICY: PolicyAlertSink[] = [
    { kind: 'webhook', urlEnv: 'HOOK_URL', secretEnv: 'HOOK_KEY' },
    { kind: 'slack', webhookEnv: 'SLACK_WEBHOOK', for: ['failure', 'drill'] },
    { kind: 'pagerduty', routingKeyEnv: 'PD_ROUTING_KEY', url: PD_URL, for: ['late', 'escalation'] },
    {
      kind: 'email',
      smtp: 'smtp://mail.internal:587',
      to: ['sre@acme.example'],
      from: 'cairn@acme.example',
      userEnv: 'SMTP_USER',
      passwordEnv: 'SMTP_PASSWORD',
      for: ['drill'],
    },
  ];

  it('builds all four kinds, named without secrets, each taking the categories its `for:` lists', () => {
    const sinks = alertSinksFromPolicy(POLICY, { env: ENV });
    assert.ok(sinks[0] instanceof WebhookSink);
    assert.ok(sinks[1] instanceof SlackSink);
    assert.ok(sinks[2] instanceof PagerDutySink);
    assert.ok(sinks[3] instanceof EmailSink);
    assert.deepEqual(
      sinks.map((s) => s.name),
      [
        'webhook https://hooks.acme.example/…',
        'slack https://hooks.slack.com/…',
        'pagerduty https://events.pagerduty.com/…',
        'email smtp://mail.internal:587',
      ],
    );
    assert.doesNotMatch(JSON.stringify(sinks.map((s) => s.name)), /secret|R0ut1ng|pa55word|cairn@/);
    const takes = (alert: Alert) => sinks.map((s) => (s.accepts ? s.accepts(alert) : true));
    assert.deepEqual(takes(ALERT), [true, false, true, false]);
    assert.deepEqual(takes({ ...ALERT, kind: 'drill-failed', category: 'drill' }), [true, true, false, true]);
    assert.deepEqual(takes({ ...ALERT, kind: 'drill-failed', category: 'drill', event: 'escalate' }), [
      true,
      true,
      true,
      true,
    ]);
    assert.deepEqual(takes({ ...ALERT, kind: 'bulk-delete', category: undefined }), [true, false, false, false]);
    assert.equal(sinks[0]!.accepts, undefined, 'no `for:` means every alert');
  });

  it('takes the PagerDuty default endpoint when the url is empty, and an inline Slack url', () => {
    const sink = alertSinkFromPolicy({ kind: 'pagerduty', routingKeyEnv: 'PD_ROUTING_KEY', url: '' }, { env: ENV });
    assert.equal(sink.name, 'pagerduty https://events.pagerduty.com/…');
    const inline = alertSinkFromPolicy({ kind: 'slack', url: 'https://chat.example/hook/abc' }, { env: {} });
    assert.equal(inline.name, 'slack https://chat.example/…');
  });

  it('gives a sink that fails permanently, naming the variable, for each missing one, and keeps its `for:`', async () => {
    const cases: Array<[PolicyAlertSink, string, RegExp]> = [
      [{ kind: 'webhook', urlEnv: 'NO_HOOK_URL' }, 'webhook', /set NO_HOOK_URL: it holds the webhook URL/],
      [
        { kind: 'webhook', url: 'https://h.example/x', secretEnv: 'NO_HOOK_KEY' },
        'webhook',
        /set NO_HOOK_KEY: it holds the webhook signing key/,
      ],
      [{ kind: 'slack', webhookEnv: 'NO_SLACK' }, 'slack', /set NO_SLACK: it holds the slack URL/],
      [
        { kind: 'pagerduty', routingKeyEnv: 'NO_PD_KEY', url: PD_URL, for: ['late'] },
        'pagerduty',
        /set NO_PD_KEY: it holds the PagerDuty routing key/,
      ],
      [
        {
          kind: 'email',
          smtp: 'smtp://mail.internal:587',
          to: ['a@acme.example'],
          from: 'c@acme.example',
          userEnv: 'NO_SMTP_USER',
          passwordEnv: 'SMTP_PASSWORD',
        },
        'email smtp://mail.internal:587',
        /set NO_SMTP_USER: it holds the SMTP user name/,
      ],
      [
        {
          kind: 'email',
          smtp: 'smtp://mail.internal:587',
          to: ['a@acme.example'],
          from: 'c@acme.example',
          userEnv: 'SMTP_USER',
          passwordEnv: 'NO_SMTP_PASSWORD',
        },
        'email smtp://mail.internal:587',
        /set NO_SMTP_PASSWORD: it holds the SMTP password/,
      ],
    ];
    for (const [policy, name, message] of cases) {
      const sink = alertSinkFromPolicy(policy, { env: { SMTP_USER: 'u', SMTP_PASSWORD: 'smtp-pa55word' } });
      assert.equal(sink.name, name);
      await assert.rejects(sink.deliver(ALERT), (e) => {
        assert.ok(isCairnError(e, 'CAIRN_E_NO_SECRET'), String(e));
        assert.match(e.message, message);
        assert.equal(e.details?.transient, false);
        assert.doesNotMatch(JSON.stringify(e.toJSON()), /pa55word/);
        return true;
      });
    }
    const pd = alertSinkFromPolicy(cases[3]![0], { env: {} });
    assert.equal(pd.accepts?.({ ...ALERT, category: 'drift' }), false);
    assert.equal(pd.accepts?.(ALERT), true);
  });

  it('gives a failing sink for a bad URL, without echoing it', async () => {
    const bad: Array<[PolicyAlertSink, RegExp]> = [
      [{ kind: 'webhook', url: 'ftp://h.example/secret-path' }, /webhook URL must be an absolute http/],
      [{ kind: 'slack' }, /a slack alert sink needs a url or an environment variable/],
      [
        { kind: 'pagerduty', routingKeyEnv: 'PD_ROUTING_KEY', url: 'events.pagerduty.com/v2/enqueue' },
        /PagerDuty events URL must be an absolute http/,
      ],
      [
        { kind: 'email', smtp: 'http://mail.internal/secret-path', to: ['a@acme.example'], from: 'c@acme.example' },
        /must start smtp:\/\/ or smtps:\/\//,
      ],
      [
        { kind: 'email', smtp: 'smtp://bob:hunter2@mail.internal', to: ['a@acme.example'], from: 'c@acme.example' },
        /no credentials in the e-mail sink/,
      ],
    ];
    for (const [policy, message] of bad) {
      const sink = alertSinkFromPolicy(policy, { env: ENV });
      assert.doesNotMatch(sink.name, /secret-path|hunter2|bob/);
      await assert.rejects(sink.deliver(ALERT), (e) => {
        assert.ok(isCairnError(e));
        assert.match(e.message, message);
        assert.doesNotMatch(e.message, /secret-path|hunter2/);
        return true;
      });
    }
  });
});

describe('siemTransportFromPolicy', () => {
  it('makes a SyslogTransport for syslog sinks and a HecTransport with the token from tokenEnv for http sinks', () => {
    const syslog = siemTransportFromPolicy({ kind: 'syslog', url: 'tcp+tls://siem.example:6514', format: 'rfc5424' });
    assert.ok(syslog instanceof SyslogTransport);
    assert.equal(syslog.endpoint, 'tcp+tls://siem.example:6514');
    const hec = siemTransportFromPolicy(
      { kind: 'http', url: 'https://splunk.example:8088/services/collector', tokenEnv: 'HEC_TOKEN' },
      { env: { HEC_TOKEN: 't0ken' } },
    );
    assert.ok(hec instanceof HecTransport);
    assert.equal(hec.endpoint, 'https://splunk.example:8088/…');
  });

  it('fails at setup, naming the variable, when the HEC token is missing', () => {
    assert.throws(
      () =>
        siemTransportFromPolicy(
          { kind: 'http', url: 'https://s:8088/services/collector', tokenEnv: 'HEC_TOKEN' },
          { env: {} },
        ),
      (e) => isCairnError(e, 'CAIRN_E_NO_SECRET') && /set HEC_TOKEN/.test(e.message),
    );
    assert.throws(
      () => siemTransportFromPolicy({ kind: 'http', url: 'https://s:8088/services/collector' }, { env: {} }),
      (e) => isCairnError(e, 'CAIRN_E_NO_SECRET') && /tokenEnv/.test(e.message),
    );
  });
});
