/**
 * The e-mail sink against a real SMTP server (aiosmtpd, test/smtp-server.py): what arrives (subject,
 * headers, envelope, body with details), each event's subject, a server that refuses with 451
 * (retried, then delivered), 550 (permanent, one attempt), a server that is down (transient), and
 * AUTH with credentials read from the environment (a wrong password is permanent and never quoted).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startSmtpServer } from '../../test/smtp-support.js';
import { isCairnError } from '../errors/index.js';
import type { Alert } from './alert.js';
import { EmailSink, parseSmtpUrl } from './email-sink.js';
import { alertSinkFromPolicy } from './from-policy.js';
import { Notifier } from './notifier.js';
import { freePort } from './test-support.js';

const ALERT: Alert = {
  kind: 'backup-failed',
  category: 'failure',
  severity: 'critical',
  summary: 'payments-api-config failed 2 backups in a row',
  details: { item: 'payments-api-config', environment: 'prod', error: 'source unreachable', streak: 2 },
  dedupKey: 'backup-failed:payments-api-config@prod',
  time: '2026-11-03T06:00:00.000Z',
  id: 'al-0123456789abcdef',
  url: 'https://cairn.acme.example/alerts/al-0123456789abcdef',
};
const TO = ['sre@acme.example', 'ops@acme.example'];

describe('EmailSink', () => {
  it('delivers one message to a real SMTP server: subject, from, to, headers and a body with the details', async () => {
    const smtp = await startSmtpServer();
    try {
      const sink = new EmailSink({ smtp: smtp.url, to: TO, from: 'cairn@acme.example' });
      assert.equal(sink.name, `email smtp://127.0.0.1:${smtp.port}`);
      await sink.deliver(ALERT);
      await sink.deliver({ ...ALERT, event: 'acknowledge' });
      await sink.deliver({ ...ALERT, event: 'resolve' });
      await sink.deliver({ ...ALERT, event: 'escalate' });
      const [mail, ack, resolved, escalated] = await smtp.messages();
      assert.ok(mail && ack && resolved && escalated);
      assert.equal(mail.subject, '[Cairn] CRITICAL backup-failed: payments-api-config failed 2 backups in a row');
      assert.equal(mail.from, 'cairn@acme.example');
      assert.equal(mail.to, 'sre@acme.example, ops@acme.example');
      assert.deepEqual(mail.envelope, { from: 'cairn@acme.example', to: TO });
      assert.equal(mail.headers['x-cairn-event'], 'trigger');
      assert.equal(mail.headers['x-cairn-alert-id'], 'al-0123456789abcdef');
      assert.equal(mail.headers['x-cairn-dedup-key'], 'backup-failed:payments-api-config@prod');
      assert.match(mail.text, /^payments-api-config failed 2 backups in a row\n/);
      assert.match(mail.text, /\nSeverity: {2}critical\n/);
      assert.match(mail.text, /\nLink: {6}https:\/\/cairn\.acme\.example\/alerts\/al-0123456789abcdef\n/);
      assert.match(
        mail.text,
        /\nDetails:\n {2}item: payments-api-config\n {2}environment: prod\n {2}error: source unreachable\n {2}streak: 2\n/,
      );
      assert.match(mail.text, /cairn alerts ack al-0123456789abcdef/);
      assert.equal(ack.subject, `ACK: ${mail.subject}`);
      assert.equal(resolved.subject, `RESOLVED: ${mail.subject}`);
      assert.equal(escalated.subject, `ESCALATED: ${mail.subject}`);
      assert.equal(resolved.headers['x-cairn-event'], 'resolve');
      assert.doesNotMatch(resolved.text, /cairn alerts ack/);
      // One incident, one thread.
      assert.ok(mail.headers.references);
      assert.equal(resolved.headers.references, mail.headers.references);
    } finally {
      await smtp.stop();
    }
  });

  it('retries a message refused with 451 (temporary) and delivers it on a later attempt', async () => {
    const atRcpt = await startSmtpServer({ refuseFirst: 1, code: 451 });
    const atData = await startSmtpServer({ refuseFirst: 2, code: 451, refuseAt: 'data' });
    try {
      const sinks = [atRcpt, atData].map((s) => new EmailSink({ smtp: s.url, to: TO, from: 'cairn@acme.example' }));
      const [first, second] = await new Notifier({ sinks, backoffMs: 1 }).notify(ALERT);
      assert.deepEqual([first!.ok, first!.attempts], [true, 2]);
      assert.deepEqual([second!.ok, second!.attempts], [true, 3]);
      assert.equal((await atRcpt.messages()).length, 1);
      assert.equal((await atData.messages()).length, 1);
      // One attempt alone says why, and that it is worth another.
      const again = await startSmtpServer({ refuseFirst: 1, code: 451 });
      try {
        await assert.rejects(new EmailSink({ smtp: again.url, to: TO }).deliver(ALERT), (e) => {
          assert.ok(isCairnError(e, 'CAIRN_E_SERVER'));
          assert.equal(e.details?.transient, true);
          assert.equal(e.details?.status, 451);
          assert.match(
            e.message,
            /^email smtp:\/\/127\.0\.0\.1:\d+ did not take the message: 451 4\.3\.0 Mailbox temporarily unavailable/,
          );
          return true;
        });
      } finally {
        await again.stop();
      }
    } finally {
      await atRcpt.stop();
      await atData.stop();
    }
  });

  it('does not retry a message refused with 550 (permanent)', async () => {
    const smtp = await startSmtpServer({ refuseFirst: 5, code: 550 });
    try {
      const [result] = await new Notifier({
        sinks: [new EmailSink({ smtp: smtp.url, to: TO })],
        backoffMs: 1,
      }).notify(ALERT);
      assert.equal(result!.ok, false);
      assert.equal(result!.attempts, 1);
      assert.equal(result!.error!.details?.transient, false);
      assert.equal(result!.error!.details?.status, 550);
      assert.match(result!.error!.message, /after 1 attempt: .*550 5\.7\.1 Delivery not authorized/);
      assert.equal((await smtp.messages()).length, 0);
    } finally {
      await smtp.stop();
    }
  });

  it('treats a server that is down as transient: every attempt is made, then it says connection refused', async () => {
    const port = await freePort();
    const sink = new EmailSink({ smtp: `smtp://127.0.0.1:${port}`, to: TO, timeoutMs: 2000 });
    const [result] = await new Notifier({ sinks: [sink], backoffMs: 1 }).notify(ALERT);
    assert.equal(result!.ok, false);
    assert.equal(result!.attempts, 3);
    assert.ok(isCairnError(result!.error, 'CAIRN_E_SERVER'));
    assert.equal(result!.error.details?.transient, true);
    assert.match(result!.error.message, /email smtp:\/\/127\.0\.0\.1:\d+ did not take the message: connection refused/);
  });

  it('logs in with the user and password from the environment; a wrong password is permanent and never quoted', async () => {
    const smtp = await startSmtpServer({ user: 'cairn-alerts', password: 's3cret-Pa55word' });
    try {
      const policySink = {
        kind: 'email' as const,
        smtp: smtp.url,
        to: ['sre@acme.example'],
        from: 'cairn@acme.example',
        userEnv: 'SMTP_USER',
        passwordEnv: 'SMTP_PASSWORD',
      };
      const good = alertSinkFromPolicy(policySink, {
        env: { SMTP_USER: 'cairn-alerts', SMTP_PASSWORD: 's3cret-Pa55word' },
      });
      assert.equal(good.name, `email smtp://127.0.0.1:${smtp.port}`);
      await good.deliver(ALERT);
      const [mail] = await smtp.messages();
      assert.equal(mail!.authUser, 'cairn-alerts');

      const wrong = alertSinkFromPolicy(policySink, {
        env: { SMTP_USER: 'cairn-alerts', SMTP_PASSWORD: 'not-the-password' },
      });
      const [result] = await new Notifier({ sinks: [wrong], backoffMs: 1 }).notify(ALERT);
      assert.equal(result!.ok, false);
      assert.equal(result!.attempts, 1);
      assert.equal(result!.error!.details?.transient, false);
      assert.match(result!.error!.message, /login refused: 535/);
      const shown = JSON.stringify({ message: result!.error!.message, details: result!.error!.details });
      assert.doesNotMatch(shown, /not-the-password|s3cret/);
      assert.doesNotMatch(shown, new RegExp(Buffer.from('not-the-password').toString('base64')));

      // No credentials at all: the server wants AUTH first (530), which another try will not change.
      const anonymous = new EmailSink({ smtp: smtp.url, to: TO });
      await assert.rejects(anonymous.deliver(ALERT), (e) => isCairnError(e) && e.details?.transient === false);
      assert.equal((await smtp.messages()).length, 1);
    } finally {
      await smtp.stop();
    }
  });

  it('refuses an smtp URL that is not smtp:// or smtps://, carries credentials, or has no host', () => {
    assert.deepEqual(parseSmtpUrl('smtp://mail.internal'), { host: 'mail.internal', port: 587, secure: false });
    assert.deepEqual(parseSmtpUrl('smtps://mail.internal'), { host: 'mail.internal', port: 465, secure: true });
    assert.deepEqual(parseSmtpUrl('smtp://mail.internal:2525'), { host: 'mail.internal', port: 2525, secure: false });
    const usage = (re: RegExp) => (e: unknown) => isCairnError(e, 'CAIRN_E_USAGE') && re.test(e.message);
    assert.throws(() => parseSmtpUrl('https://mail.internal'), usage(/must start smtp:\/\/ or smtps:\/\/, not https:/));
    assert.throws(() => parseSmtpUrl('mail.internal:25'), usage(/must start smtp/));
    assert.throws(() => parseSmtpUrl('not a url'), usage(/must be a URL/));
    assert.throws(
      () => parseSmtpUrl('smtp://u:hunter2@mail.internal'),
      (e) => {
        assert.ok(isCairnError(e, 'CAIRN_E_USAGE'));
        assert.match(e.message, /use userEnv and passwordEnv/);
        assert.doesNotMatch(e.message, /hunter2/);
        return true;
      },
    );
    assert.throws(() => new EmailSink({ smtp: 'smtp://mail.internal', to: [] }), usage(/at least one `to`/));
  });
});
