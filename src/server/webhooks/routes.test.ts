import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, beforeEach, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../build-server.js';
import { type FakeHooks, fakeHooks, HOOK_SECRETS } from '../test-fixtures-hooks.js';
import { FakeAudit, fakeBackend, fakeGuard, logCapture, tokenFor } from '../test-support.js';
import { signGeneric } from './verify.js';

/** The webhook routes over the fake backend: signatures, idempotency, answers and audit events. */
describe('POST /api/v1/hooks/*', () => {
  const audit = new FakeAudit();
  const base = fakeBackend();
  let hooks: FakeHooks = fakeHooks(base.calls, base.results);
  const log = logCapture();
  let app: FastifyInstance;
  beforeEach(async () => {
    if (!app) {
      // The backend's hook methods are looked up per request: swap them for fresh ones per test.
      const backend = new Proxy(base, {
        get: (t, k) => (k in hooks ? hooks[k as keyof FakeHooks] : t[k as keyof typeof t]),
      });
      app = await buildServer(
        { guard: fakeGuard(), audit, backend },
        { logger: { level: 'info', stream: log.stream } },
      );
      await app.ready();
    }
    hooks = fakeHooks(base.calls, base.results);
    audit.events.length = 0;
    audit.failing = false;
    base.calls.length = 0;
  });
  after(() => app?.close());

  const body = (o: unknown) => `${JSON.stringify(o, null, 1)}\n`; // not what JSON.stringify would send again
  const ghSig = (b: string, s = HOOK_SECRETS.github) => `sha256=${createHmac('sha256', s).update(b).digest('hex')}`;
  const deployment = { id: 42, environment: 'production', ref: 'v2.4.1', sha: 'a1b2c3', payload: {} };
  function github(event: string, payload: unknown, opts: { delivery?: string; sig?: string | null } = {}) {
    const raw = body(payload);
    return app.inject({
      method: 'POST',
      url: '/api/v1/hooks/github',
      payload: raw,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'GitHub-Hookshot/abc',
        'x-github-event': event,
        'x-github-delivery': opts.delivery ?? 'dlv-1',
        ...(opts.sig === null ? {} : { 'x-hub-signature-256': opts.sig ?? ghSig(raw) }),
      },
    });
  }
  function generic(payload: unknown, ts: number, delivery = 'g-1', secret = HOOK_SECRETS.generic) {
    const raw = body(payload);
    return app.inject({
      method: 'POST',
      url: '/api/v1/hooks/generic',
      payload: raw,
      headers: {
        'content-type': 'application/json',
        'x-cairn-delivery': delivery,
        'x-cairn-timestamp': String(ts),
        'x-cairn-signature': signGeneric(secret, ts, delivery, raw),
      },
    });
  }
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const events = () => audit.events.map((e) => [e.identity, e.action, e.result, e.details.reason ?? e.details.result]);

  it('starts a deployment from a signed GitHub delivery, verified over the raw bytes, audited', async () => {
    const res = await github('deployment', { action: 'created', deployment });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), {
      delivery: 'dlv-1',
      event: 'deployment',
      action: 'start',
      environment: 'prod',
      deployment: 'D-20261129-AAAAA0',
      status: 'started',
      already: false,
      rollback: null,
    });
    assert.deepEqual(events(), [
      ['webhook:github', 'webhook.github', 'allowed', undefined],
      ['webhook:github', 'webhook.github', 'ok', 'ok'],
    ]);
    assert.equal(audit.events[1]!.details.deliveryId, 'dlv-1');
    assert.equal(audit.events[1]!.target, 'D-20261129-AAAAA0');
    assert.equal(audit.events[1]!.userAgent, 'GitHub-Hookshot/abc');
    assert.equal(hooks.deliveries.get('github:dlv-1')?.result, 'ok');
  });

  it('answers a second delivery of the same id with the first outcome and does nothing', async () => {
    await github('deployment', { deployment });
    const again = await github('deployment', { deployment });
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().duplicate, true);
    assert.equal(again.json().delivery.result, 'ok');
    assert.deepEqual(base.calls, ['applyWebhook']);
    assert.deepEqual(audit.events.at(-1)?.details.duplicate, true);
    assert.equal(audit.events.at(-1)?.result, 'ok');
    // Two at once: still one action.
    const both = await Promise.all([1, 2].map(() => github('deployment', { deployment }, { delivery: 'dlv-2' })));
    assert.deepEqual(both.map((r) => r.statusCode).sort(), [200, 200]);
    assert.equal(both.filter((r) => r.json().duplicate).length, 1);
    assert.deepEqual(base.calls, ['applyWebhook', 'applyWebhook']);
  });

  it('refuses unsigned and wrongly signed deliveries with 401, audited, nothing claimed', async () => {
    const unsigned = await github('deployment', { deployment }, { sig: null });
    assert.equal(unsigned.statusCode, 401);
    assert.equal(unsigned.json().error.code, 'CAIRN_E_WEBHOOK');
    const wrong = await github('deployment', { deployment }, { sig: ghSig('{}') });
    assert.equal(wrong.statusCode, 401);
    const otherSecret = await github('deployment', { deployment }, { sig: ghSig(body({ deployment }), 'guess') });
    assert.equal(otherSecret.statusCode, 401);
    // A bearer token is no substitute for the signature.
    const bearer = await app.inject({
      method: 'POST',
      url: '/api/v1/hooks/github',
      payload: body({ deployment }),
      headers: {
        authorization: `Bearer ${tokenFor('admin')}`,
        'content-type': 'application/json',
        'x-github-delivery': 'x',
      },
    });
    assert.equal(bearer.statusCode, 401);
    assert.deepEqual(
      events().map((e) => e.slice(2)),
      [
        ['failed', 'missing-signature'],
        ['failed', 'bad-signature'],
        ['failed', 'bad-signature'],
        ['failed', 'missing-signature'],
      ],
    );
    assert.equal(audit.events[1]!.details.deliveryId, 'dlv-1');
    assert.equal(hooks.deliveries.size, 0);
    assert.deepEqual(base.calls, []);
  });

  it('refuses a generic delivery outside the replay window (old or future), and accepts one inside', async () => {
    const p = { event: 'start', environment: 'prod', release: '1.0.0', deployment: 'b-1' };
    const old = await generic(p, nowSeconds() - 301);
    assert.equal(old.statusCode, 401);
    assert.match(old.json().error.message, /outside the 300s window/);
    assert.equal((await generic(p, nowSeconds() + 400)).statusCode, 401);
    assert.equal((await generic(p, nowSeconds(), 'g-1', 'wrong')).statusCode, 401);
    assert.equal((await generic(p, nowSeconds())).statusCode, 200);
    assert.deepEqual(
      events().map((e) => e.slice(2)),
      [
        ['failed', 'replayed'],
        ['failed', 'from-the-future'],
        ['failed', 'bad-signature'],
        ['allowed', undefined],
        ['ok', 'ok'],
      ],
    );
  });

  it('answers 422 for an unknown environment and 404 for a finish without a start, both recorded', async () => {
    const unknown = await github('deployment', { deployment: { ...deployment, environment: 'qa' } });
    assert.equal(unknown.statusCode, 422, unknown.body);
    assert.match(unknown.json().error.message, /environment qa is not in the policy/);
    assert.equal(hooks.deliveries.get('github:dlv-1')?.result, 'rejected');
    assert.deepEqual([audit.events.at(-1)?.result, audit.events.at(-1)?.details.result], ['failed', 'rejected']);
    assert.match(String(audit.events.at(-1)?.details.reason), /environment qa/);
    const orphan = await github(
      'deployment_status',
      { deployment: { ...deployment, id: 7 }, deployment_status: { state: 'success' } },
      { delivery: 'dlv-2' },
    );
    assert.equal(orphan.statusCode, 404, orphan.body);
    assert.equal(hooks.deliveries.get('github:dlv-2')?.result, 'not-found');
    assert.equal(hooks.deliveries.get('github:dlv-2')?.statusCode, 404);
  });

  it('finishes and fails through deployment_status; queued states are recorded only; ping pongs', async () => {
    await github('deployment', { deployment });
    const queued = await github(
      'deployment_status',
      { deployment, deployment_status: { state: 'queued' } },
      { delivery: 'dlv-2' },
    );
    assert.equal(queued.statusCode, 200);
    assert.match(queued.json().ignored, /queued/);
    assert.equal(hooks.deliveries.get('github:dlv-2')?.result, 'ignored');
    hooks.autoRollback = true;
    const failed = await github(
      'deployment_status',
      { deployment, deployment_status: { state: 'failure' } },
      { delivery: 'dlv-3' },
    );
    assert.equal(failed.statusCode, 200, failed.body);
    assert.deepEqual(
      [failed.json().status, failed.json().rollback],
      ['rolled-back', { id: 'R-1', status: 'completed' }],
    );
    assert.deepEqual(audit.events.at(-1)?.details.rollback, { id: 'R-1', status: 'completed' });
    const ping = await github('ping', { zen: 'Design for failure.' }, { delivery: 'dlv-4' });
    assert.deepEqual([ping.statusCode, ping.json().pong], [200, true]);
  });

  it('accepts a GitLab deployment hook by its token', async () => {
    const raw = body({
      object_kind: 'deployment',
      status: 'running',
      deployment_id: 9,
      environment: 'staging',
      sha: 'ab',
      ref: 'main',
    });
    const send = (token: string) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/hooks/gitlab',
        payload: raw,
        headers: {
          'content-type': 'application/json',
          'x-gitlab-event': 'Deployment Hook',
          'x-gitlab-event-uuid': 'u-1',
          'x-gitlab-token': token,
        },
      });
    assert.equal((await send('nope')).statusCode, 401);
    const ok = await send(HOOK_SECRETS.gitlab);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().environment, 'staging');
  });

  it('answers 404 for a provider the policy does not configure, 503 when its secret is unset (logged, not leaked)', async () => {
    hooks.credentials.github = { kind: 'not-configured' };
    const off = await github('deployment', { deployment });
    assert.equal(off.statusCode, 404);
    assert.match(off.json().error.message, /webhook not configured/);
    hooks.credentials.github = { kind: 'missing-env', env: 'GH_HOOK_SECRET' };
    const unset = await github('deployment', { deployment });
    assert.equal(unset.statusCode, 503);
    assert.ok(!unset.body.includes('GH_HOOK_SECRET'));
    assert.match(log.text(), /environment variable GH_HOOK_SECRET is not set/);
    assert.deepEqual(
      events().map((e) => e.slice(2)),
      [
        ['failed', 'not-configured'],
        ['failed', 'secret-missing'],
      ],
    );
    assert.deepEqual(base.calls, []);
  });

  it('refuses a delivery without an id, or whose body is not JSON; does nothing when the audit log is down', async () => {
    const raw = 'not json';
    const notJson = await app.inject({
      method: 'POST',
      url: '/api/v1/hooks/github',
      payload: raw,
      headers: {
        'content-type': 'text/plain',
        'x-github-event': 'deployment',
        'x-github-delivery': 'd',
        'x-hub-signature-256': ghSig(raw),
      },
    });
    assert.equal(notJson.statusCode, 400);
    const noId = await app.inject({
      method: 'POST',
      url: '/api/v1/hooks/github',
      payload: '{}',
      headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-hub-signature-256': ghSig('{}') },
    });
    assert.equal(noId.statusCode, 400);
    assert.match(noId.json().error.message, /X-GitHub-Delivery/);
    audit.failing = true;
    const down = await github('deployment', { deployment });
    assert.equal(down.statusCode, 503);
    assert.equal(down.json().error.code, 'CAIRN_E_AUDIT');
    assert.deepEqual(base.calls, []);
    // Not claimed: the provider's retry, once the audit log is back, is acted on.
    audit.failing = false;
    const retried = await github('deployment', { deployment });
    assert.deepEqual([retried.statusCode, retried.json().duplicate, base.calls], [200, undefined, ['applyWebhook']]);
  });
});
