import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { CairnError } from '../../errors/index.js';
import { buildServer } from '../build-server.js';
import { alertRecord, drillRecord, monitoringMetrics } from '../test-fixtures-monitoring.js';
import { fakeDeps, tokenFor } from '../test-support.js';

const as = (role: string) => ({ authorization: `Bearer ${tokenFor(role)}` });

describe('drill routes', () => {
  const deps = fakeDeps();
  let app: FastifyInstance;
  before(async () => {
    app = await buildServer(deps, { logger: false });
  });
  after(() => app.close());

  it('runs a drill as a write: allowed before, ok after, with the drill in the event', async () => {
    const before = deps.audit.events.length;
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/drills/run',
      headers: as('restorer'),
      payload: { plan: 'quarterly-prod' },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), JSON.parse(JSON.stringify(drillRecord)));
    const events = deps.audit.events.slice(before);
    assert.deepEqual(
      events.map((e) => [e.action, e.result, e.target]),
      [
        ['drills.run', 'allowed', 'quarterly-prod'],
        ['drills.run', 'ok', 'quarterly-prod'],
      ],
    );
    assert.deepEqual(events[1]!.details.drill, drillRecord.id);
  });

  it('refuses bad input with 400 naming the field, before the backend is called', async () => {
    const calls = deps.backend.calls.length;
    const cases: Array<[string, string, object | undefined, string]> = [
      ['POST', '/api/v1/drills/run', {}, 'body.plan'],
      ['POST', '/api/v1/drills/run', { plan: 'x', extra: 1 }, 'body.extra'],
      ['POST', '/api/v1/drills/run', { plan: '' }, 'body.plan'],
      ['POST', '/api/v1/drills/dr-1/signoff', { team: 'operations' }, 'body.code'],
      ['POST', '/api/v1/drills/dr-1/signoff', { team: 'operations', code: '12ab56' }, 'body.code'],
      ['POST', '/api/v1/drills/dr-1/signoff', { code: '123456' }, 'body.team'],
      ['POST', '/api/v1/drills/dr%20x/signoff', { team: 'ops', code: '123456' }, 'params.id'],
      ['GET', '/api/v1/drills?status=green', undefined, 'querystring.status'],
      ['GET', '/api/v1/drills?limit=0', undefined, 'querystring.limit'],
      ['GET', '/api/v1/drills?limit=many', undefined, 'querystring.limit'],
      ['GET', '/api/v1/gaps?all=perhaps', undefined, 'querystring.all'],
      ['GET', '/api/v1/gaps?owner=me', undefined, 'querystring.owner'],
    ];
    for (const [method, url, payload, field] of cases) {
      const res = await app.inject({
        method: method as 'GET',
        url,
        headers: as('admin'),
        ...(payload ? { payload } : {}),
      });
      assert.equal(res.statusCode, 400, `${method} ${url}: ${res.body}`);
      assert.equal(res.json().error.code, 'CAIRN_E_USAGE');
      assert.equal(res.json().error.details.field, field, `${method} ${url}`);
    }
    assert.equal(deps.backend.calls.length, calls);
  });

  it('lets an auditor sign off but not run, and a viewer only read', async () => {
    const signoff = (role: string) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/drills/dr-0123456789/signoff',
        headers: as(role),
        payload: { team: 'security', code: '123456' },
      });
    assert.equal((await signoff('auditor')).statusCode, 200);
    assert.equal((await signoff('viewer')).statusCode, 403);
    const run = await app.inject({
      method: 'POST',
      url: '/api/v1/drills/run',
      headers: as('auditor'),
      payload: { plan: 'quarterly-prod' },
    });
    assert.equal(run.statusCode, 403);
    assert.equal((await app.inject({ url: '/api/v1/gaps', headers: as('viewer') })).statusCode, 200);
  });
});

describe('drill and alert refusals through the error mapping', () => {
  const deps = fakeDeps();
  let app: FastifyInstance;
  before(async () => {
    deps.backend.signOffDrill = async () => {
      throw new CairnError('CAIRN_E_MFA', 'that TOTP code of token:alice has been used already', { reason: 'reused' });
    };
    deps.backend.showDrill = async (id) => {
      throw new CairnError('CAIRN_E_NOT_FOUND', `no drill ${id}`);
    };
    deps.backend.runDrill = async () => {
      throw new CairnError('CAIRN_E_REPO_LOCKED', 'drill plan quarterly-prod is running already (drill dr-1)');
    };
    deps.backend.ackAlert = async () => {
      throw new CairnError('CAIRN_E_EXISTS', 'alert al-1 is already acknowledged');
    };
    app = await buildServer(deps, { logger: false });
  });
  after(() => app.close());

  it('answers 403 for a refused code and records the sign-off as failed', async () => {
    const before = deps.audit.events.length;
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/drills/dr-0123456789/signoff',
      headers: as('approver'),
      payload: { team: 'security', code: '123456' },
    });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'CAIRN_E_MFA');
    const results = deps.audit.events.slice(before).map((e) => [e.action, e.result]);
    assert.deepEqual(results[0], ['drills.signoff', 'allowed']);
    assert.notEqual(results.at(-1)![1], 'ok');
  });

  it('answers 404 for an unknown drill, 423 for a running plan and 409 for an acked alert', async () => {
    assert.equal((await app.inject({ url: '/api/v1/drills/dr-nope00', headers: as('viewer') })).statusCode, 404);
    const run = await app.inject({
      method: 'POST',
      url: '/api/v1/drills/run',
      headers: as('operator'),
      payload: { plan: 'quarterly-prod' },
    });
    assert.equal(run.statusCode, 423);
    const ack = await app.inject({
      method: 'POST',
      url: `/api/v1/alerts/${alertRecord.id}/ack`,
      headers: as('operator'),
    });
    assert.equal(ack.statusCode, 409);
  });
});

describe('alert, coverage and canary routes', () => {
  const deps = fakeDeps();
  let app: FastifyInstance;
  before(async () => {
    app = await buildServer(deps, { logger: false });
  });
  after(() => app.close());

  it('acknowledges an alert as the caller, audited with the alert id', async () => {
    const before = deps.audit.events.length;
    const res = await app.inject({ method: 'POST', url: '/api/v1/alerts/al-0123/ack', headers: as('operator') });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().state, 'acknowledged');
    assert.deepEqual(
      deps.audit.events.slice(before).map((e) => [e.action, e.result, e.target]),
      [
        ['alerts.ack', 'allowed', 'al-0123'],
        ['alerts.ack', 'ok', alertRecord.id],
      ],
    );
  });

  it('resolves with a reason for the audit log, refusing an empty one or an unknown field', async () => {
    const post = (payload: object) =>
      app.inject({ method: 'POST', url: '/api/v1/alerts/al-0123/resolve', headers: as('restorer'), payload });
    assert.equal((await post({ reason: 'fixed by INC-7' })).json().state, 'resolved');
    assert.equal((await post({})).statusCode, 200);
    for (const [payload, field] of [
      [{ reason: '' }, 'body.reason'],
      [{ reason: 'x', force: true }, 'body.force'],
    ] as const) {
      const res = await post(payload);
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().error.details.field, field);
    }
  });

  it('refuses an approver acking or resolving, and bad filters', async () => {
    for (const verb of ['ack', 'resolve']) {
      const res = await app.inject({ method: 'POST', url: `/api/v1/alerts/al-1/${verb}`, headers: as('approver') });
      assert.equal(res.statusCode, 403, verb);
    }
    for (const url of [
      '/api/v1/alerts?state=closed',
      '/api/v1/canary?limit=0',
      '/api/v1/canary?limit=1001',
      '/api/v1/coverage?env=',
    ]) {
      const res = await app.inject({ url, headers: as('viewer') });
      assert.equal(res.statusCode, 400, url);
    }
  });

  it('serves the monitoring gauges from the backend, and none when it gives none', async () => {
    const plain = await app.inject({ url: '/metrics', headers: as('viewer') });
    assert.equal(plain.statusCode, 200);
    assert.doesNotMatch(plain.body, /^cairn_canary_ok /m, 'no canary gauge without a round');
    assert.doesNotMatch(plain.body, /^cairn_items_out_of_rpo /m);

    const base = deps.backend.metrics;
    deps.backend.metrics = async () => ({ ...(await base()), monitoring: monitoringMetrics });
    const res = await app.inject({ url: '/metrics', headers: as('viewer') });
    deps.backend.metrics = base;
    const lines = res.body.split('\n');
    for (const expected of [
      'cairn_backup_age_seconds{item="payments-api-prod",environment="prod"} 3600',
      'cairn_coverage_status{item="payments-api-prod",environment="prod",status="ok"} 1',
      'cairn_items_out_of_rpo 0',
      'cairn_alerts_open{category="canary"} 1',
      'cairn_drill_last_status{plan="quarterly-prod",status="awaiting-signoff"} 1',
      'cairn_drill_last_rto_seconds{plan="quarterly-prod"} 240',
      'cairn_canary_ok 1',
      'cairn_canary_latency_seconds 1.5',
      `cairn_canary_last_run_timestamp_seconds ${Date.parse('2026-11-29T10:00:01.500Z') / 1000}`,
    ]) {
      assert.ok(lines.includes(expected), `missing: ${expected}`);
    }
  });

  it('shows a failed canary as 0 and an item never captured without an age', async () => {
    const base = deps.backend.metrics;
    deps.backend.metrics = async () => ({
      ...(await base()),
      monitoring: {
        ...monitoringMetrics,
        coverage: [{ item: 'flags', environment: null, status: 'never', ageMs: null }],
        outOfRpo: 1,
        canary: { ok: false, latencyMs: 20, finishedAt: '2026-11-29T10:00:00.000Z' },
      },
    });
    const res = await app.inject({ url: '/metrics', headers: as('viewer') });
    deps.backend.metrics = base;
    const lines = res.body.split('\n');
    assert.ok(lines.includes('cairn_canary_ok 0'));
    assert.ok(lines.includes('cairn_items_out_of_rpo 1'));
    assert.ok(lines.includes('cairn_coverage_status{item="flags",environment="",status="never"} 1'));
    assert.ok(!lines.some((l) => l.startsWith('cairn_backup_age_seconds{item="flags"')));
  });

  it('shows the drill status in the show answer with its sign-offs', async () => {
    const res = await app.inject({ url: `/api/v1/drills/${drillRecord.id}`, headers: as('viewer') });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(
      res.json().signoffs.map((s: { team: string }) => s.team),
      ['operations'],
    );
  });
});
