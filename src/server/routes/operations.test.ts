import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildServer } from '../build-server.js';
import { fakeDeps, tokenFor } from '../test-support.js';

const auth = (role: string) => ({ authorization: `Bearer ${tokenFor(role)}` });

describe('OpenAPI document', () => {
  it('lists every route, with its schemas and the bearer scheme', async () => {
    const app = await buildServer(fakeDeps(), { logger: false, version: '9.9.9' });
    const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json', headers: auth('viewer') });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.info.version, '9.9.9');
    assert.deepEqual(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer' });
    for (const r of app.cairnRoutes) {
      const path = r.url.replace(/:(\w+)/g, '{$1}');
      const op = doc.paths[path]?.[r.method.toLowerCase()];
      assert.ok(op, `${r.method} ${path} is not in the document`);
      assert.ok(op.summary, `${r.method} ${path} has no summary`);
      assert.ok(op.responses['4XX'] ?? op.responses['4xx'], `${r.method} ${path} documents no error answer`);
    }
    assert.deepEqual(doc.paths['/healthz'].get.security, [], 'probes need no token');
    const grant = doc.paths['/api/v1/approvals/{id}/grant'].post;
    assert.deepEqual(grant.requestBody.content['application/json'].schema.required, ['totp']);
    await app.close();
  });
});

/** The exposition format: `# HELP`, `# TYPE`, and `name{labels} value` lines; returns the samples. */
function parseExposition(text: string): Map<string, number> {
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][\w:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][\w:]* .*$/.test(line)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(?:[a-zA-Z_]\w*="(?:[^"\\]|\\.)*",?)*\})? (\S+)$/.exec(line);
    assert.ok(m, `not a metric line: ${line}`);
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    // Prometheus parses floats like Go's ParseFloat: NaN in any case (prom-client writes `Nan`).
    assert.ok(/^nan$/i.test(m[3]!) || !Number.isNaN(value), `not a value: ${line}`);
    const base = m[1]!.replace(/_(bucket|sum|count|total|created)$/, '');
    assert.ok(types.has(m[1]!) || types.has(base), `no TYPE for ${m[1]}`);
    samples.set(`${m[1]}${m[2] ?? ''}`, value);
  }
  return samples;
}

describe('/metrics', () => {
  it('serves Prometheus text with the catalog gauges, request durations and audit counts', async () => {
    const deps = fakeDeps();
    const app = await buildServer(deps, { logger: false });
    await app.inject({ method: 'GET', url: '/api/v1/items', headers: auth('viewer') });
    await app.inject({ method: 'GET', url: '/api/v1/items', headers: { authorization: 'Bearer wrong' } });
    await app.inject({ method: 'POST', url: '/api/v1/snapshots', headers: auth('operator'), payload: {} });
    const res = await app.inject({ method: 'GET', url: '/metrics', headers: auth('admin') });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const m = parseExposition(res.body);
    assert.equal(m.get('cairn_snapshots{item="payments-api-prod",status="complete"}'), 3);
    assert.equal(m.get('cairn_snapshot_bytes{item="payments-api-prod"}'), 34_567);
    assert.equal(
      m.get('cairn_last_success_timestamp_seconds{item="payments-api-prod"}'),
      Date.parse('2026-11-29T08:00:00Z') / 1000,
    );
    assert.equal(
      m.get('cairn_http_request_duration_seconds_count{route="/api/v1/items",method="GET",status="200"}'),
      1,
    );
    assert.equal(
      m.get('cairn_http_request_duration_seconds_count{route="/api/v1/items",method="GET",status="401"}'),
      1,
    );
    assert.equal(m.get('cairn_snapshot_duration_seconds_count{item="payments-api-prod",status="failed"}'), 1);
    assert.equal(m.get('cairn_auth_failures_total'), 1);
    assert.equal(m.get('cairn_audit_events_total{result="ok"}'), 2);
    assert.equal(m.get('cairn_audit_events_total{result="allowed"}'), 1);
    assert.equal(m.get('cairn_audit_events_total{result="denied"}'), 1);
    assert.ok(m.has('process_cpu_user_seconds_total'));
    // The replication gauges, from the status as last worked out (fixture: 2 behind since 2026-11-28T20:00Z).
    assert.equal(m.get('cairn_replication_behind_snapshots{item="payments-api-prod"}'), 2);
    assert.equal(m.get('cairn_replication_behind_snapshots{item="legacy"}'), 0);
    assert.equal(m.get('cairn_replication_lag_seconds{item="legacy"}'), 0);
    const lag = m.get('cairn_replication_lag_seconds{item="payments-api-prod"}')!;
    const expected = (Date.now() - Date.parse('2026-11-28T20:00:00Z')) / 1000;
    assert.ok(Math.abs(lag - expected) < 60, `lag ${lag}, expected about ${expected}`);
    assert.equal(
      m.get('cairn_replication_status_timestamp_seconds{replica="s3://replica-eu/cairn"}'),
      Date.parse('2026-11-29T08:30:00Z') / 1000,
    );
    await app.close();
  });

  it('shows no replication gauges when the backend knows no replication status', async () => {
    const deps = fakeDeps();
    const app = await buildServer(
      { ...deps, backend: { ...deps.backend, replicationMetrics: async () => null } },
      { logger: false },
    );
    const res = await app.inject({ method: 'GET', url: '/metrics', headers: auth('viewer') });
    const m = parseExposition(res.body);
    assert.ok(![...m.keys()].some((k) => k.startsWith('cairn_replication_')), res.body);
    await app.close();
  });

  it('needs a token with metrics.read unless started to serve it anonymously', async () => {
    const closed = await buildServer(fakeDeps(), { logger: false });
    assert.equal((await closed.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
    assert.equal((await closed.inject({ method: 'GET', url: '/metrics', headers: auth('none') })).statusCode, 403);
    await closed.close();
    const deps = fakeDeps();
    const open = await buildServer(deps, { logger: false, metricsAnonymous: true });
    assert.equal((await open.inject({ method: 'GET', url: '/metrics' })).statusCode, 200);
    assert.equal(deps.audit.events.at(-1)?.identity, 'anonymous');
    assert.equal(deps.audit.events.at(-1)?.action, 'metrics.read');
    await open.close();
  });
});

describe('/readyz', () => {
  it('answers 503 naming what is unreachable', async () => {
    const deps = fakeDeps();
    deps.backend.ready = async () => ({
      catalog: { ok: false, message: 'connection refused' },
      repository: { ok: true },
    });
    const app = await buildServer(deps, { logger: false });
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(res.statusCode, 503);
    const { error } = res.json();
    assert.equal(error.code, 'CAIRN_E_CATALOG');
    assert.deepEqual(error.details.failed, ['catalog']);
    assert.equal(error.details.checks.catalog.message, 'connection refused');
    deps.backend.ready = async () => {
      throw new Error('boom');
    };
    const both = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(both.statusCode, 503);
    assert.deepEqual(both.json().error.details.failed, ['catalog', 'repository']);
    assert.equal(deps.audit.events.length, 0, 'probes are not audited');
    await app.close();
  });
});
