import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import type { WebhookOutcome } from '../../catalog/index.js';
import { CairnError } from '../../errors/index.js';
import { buildServer } from '../build-server.js';
import { HOOK_SECRETS } from '../test-fixtures-hooks.js';
import { FakeAudit, fakeBackend, fakeGuard, logCapture } from '../test-support.js';

/** The webhook routes' audit gaps and flood limits, each over a server of its own (its own limiter). */
describe('webhook routes: audit of every outcome, refusals limited per IP', () => {
  async function server(t: TestContext) {
    const audit = new FakeAudit();
    const backend = fakeBackend();
    const log = logCapture();
    const app = await buildServer(
      { guard: fakeGuard(), audit, backend },
      { logger: { level: 'info', stream: log.stream } },
    );
    await app.ready();
    t.after(() => app.close());
    const raw = `${JSON.stringify({ deployment: { id: 42, environment: 'production', sha: 'a1', ref: 'main' } })}\n`;
    const send = (opts: { sig?: string | null; delivery?: string; ip?: string } = {}) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/hooks/github',
        payload: raw,
        remoteAddress: opts.ip ?? '203.0.113.9',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'deployment',
          'x-github-delivery': opts.delivery ?? 'dlv-1',
          ...(opts.sig === null
            ? {}
            : {
                'x-hub-signature-256':
                  opts.sig ?? `sha256=${createHmac('sha256', HOOK_SECRETS.github).update(raw).digest('hex')}`,
              }),
        },
      });
    const events = () => audit.events.map((e) => [e.action, e.result, e.details.reason ?? e.details.result]);
    return { app, audit, backend, log, send, events };
  }

  it('audits a credential look-up that throws (503, nothing claimed)', async (t) => {
    const s = await server(t);
    s.backend.webhookCredential = async () => {
      throw new CairnError('CAIRN_E_POLICY_INVALID', 'cairn.yaml line 3: webhooks.github.secretEnv must be a string');
    };
    const res = await s.send();
    assert.equal(res.statusCode, 503, res.body);
    assert.match(res.json().error.message, /settings could not be read \(CAIRN_E_POLICY_INVALID\)/);
    assert.deepEqual(s.events(), [['webhook.github', 'failed', 'credential-error']]);
    assert.match(s.log.text(), /webhook settings could not be read/);
    assert.deepEqual(s.backend.calls, []);
  });

  it('writes a failed event when the claim or the outcome record fails after allowed', async (t) => {
    const s = await server(t);
    s.backend.claimWebhookDelivery = async () => {
      throw new CairnError('CAIRN_E_CATALOG', 'catalog unreachable');
    };
    const claim = await s.send();
    assert.equal(claim.statusCode, 503, claim.body);
    assert.equal(claim.json().error.code, 'CAIRN_E_CATALOG');
    assert.deepEqual(s.events(), [
      ['webhook.github', 'allowed', undefined],
      ['webhook.github', 'failed', 'internal'],
    ]);
    assert.equal(s.audit.events[1]?.details.code, 'CAIRN_E_CATALOG');
    assert.equal(s.audit.events[1]?.identity, 'webhook:github');
    s.audit.events.length = 0;
    s.backend.claimWebhookDelivery = async () => null;
    s.backend.recordWebhookOutcome = async () => {
      throw new Error('connection reset');
    };
    const outcome = await s.send({ delivery: 'dlv-2' });
    assert.equal(outcome.statusCode, 500, outcome.body);
    assert.deepEqual(s.events(), [
      ['webhook.github', 'allowed', undefined],
      ['webhook.github', 'failed', 'internal'],
    ]);
  });

  it('marks temporary failures retryable on the delivery, final ones not', async (t) => {
    const s = await server(t);
    const outcomes: WebhookOutcome[] = [];
    s.backend.claimWebhookDelivery = async () => null;
    s.backend.recordWebhookOutcome = async (_p, _d, o) => {
      outcomes.push(o);
    };
    const cases: Array<[CairnError, number, boolean]> = [
      [new CairnError('CAIRN_E_REPO_LOCKED', 'repository is locked by prune'), 423, true],
      [new CairnError('CAIRN_E_EXISTS', 'still capturing', { capture: 'running', retryable: true }), 409, true],
      [new CairnError('CAIRN_E_STORAGE', 'bucket unreachable'), 503, true],
      [new CairnError('CAIRN_E_NOT_FOUND', 'never started'), 404, true],
      [new CairnError('CAIRN_E_EXISTS', 'deployment D-1 is failed', { status: 'failed' }), 409, false],
      [new CairnError('CAIRN_E_CHANGE_TICKET', 'ticket refused'), 412, false],
    ];
    for (const [i, [error, status]] of cases.entries()) {
      s.backend.applyWebhook = async () => {
        throw error;
      };
      assert.equal((await s.send({ delivery: `d-${i}` })).statusCode, status, error.message);
    }
    assert.deepEqual(
      outcomes.map((o) => [o.statusCode, o.retryable]),
      cases.map(([, status, retryable]) => [status, retryable]),
    );
  });

  it('answers 429 past 20 refusals a minute from one IP, audits one summary with the count, still takes signed ones', async (t) => {
    const s = await server(t);
    const answers: number[] = [];
    for (let i = 0; i < 26; i++) answers.push((await s.send({ sig: i % 2 ? null : 'sha256=00' })).statusCode);
    assert.deepEqual(answers, [...Array(20).fill(401), ...Array(6).fill(429)]);
    const limited = await s.send({ sig: null });
    assert.equal(limited.json().error.code, 'CAIRN_E_RATE_LIMITED');
    assert.ok(Number(limited.headers['retry-after']) >= 1 && Number(limited.headers['retry-after']) <= 60);
    // Each refusal up to the limit is audited; past it, none one by one.
    assert.equal(s.audit.events.length, 20);
    assert.ok(s.audit.events.every((e) => e.result === 'failed' && e.ip === '203.0.113.9'));
    // Another address is not limited; a correctly signed delivery from the flooding one is acted on.
    assert.equal((await s.send({ sig: null, ip: '198.51.100.7' })).statusCode, 401);
    const signed = await s.send({ delivery: 'real-1' });
    assert.equal(signed.statusCode, 200, signed.body);
    assert.deepEqual(s.backend.calls, ['applyWebhook']);
    // The window's summary: one event, with the count of refusals not audited one by one.
    await s.app.close();
    const summaries = s.audit.events.filter((e) => e.action === 'webhook.rate-limited');
    assert.equal(summaries.length, 1);
    assert.deepEqual(
      [summaries[0]?.identity, summaries[0]?.result, summaries[0]?.ip, summaries[0]?.details.suppressed],
      ['webhook:github', 'denied', '203.0.113.9', 7],
    );
  });
});
