import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { CairnError } from '../../errors/index.js';
import { buildServer } from '../build-server.js';
import { reportFile, reportVerifyResult } from '../test-fixtures-reports.js';
import { fakeDeps, tokenFor } from '../test-support.js';
import { REPORT_VERIFY_BODY_LIMIT } from './reports.js';

const as = (role: string, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${tokenFor(role)}`,
  ...extra,
});
const MiB = 1024 * 1024;

describe('report routes', () => {
  const deps = fakeDeps();
  const inputs: unknown[] = [];
  let app: FastifyInstance;
  before(async () => {
    const { generateReport, verifyReport } = deps.backend;
    deps.backend.generateReport = async (input, caller) => {
      inputs.push({ input, subject: caller.identity.subject });
      return generateReport(input, caller);
    };
    deps.backend.verifyReport = async (input) => {
      inputs.push(input);
      return verifyReport(input);
    };
    app = await buildServer(deps, { logger: false });
  });
  after(() => app.close());

  it('answers the report file as an attachment with its hash, recorded as a write (allowed, then ok)', async () => {
    const before = deps.audit.events.length;
    const res = await app.inject({ method: 'GET', url: '/api/v1/reports/2026-11?format=csv', headers: as('auditor') });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8');
    assert.equal(res.headers['content-disposition'], 'attachment; filename=cairn-report-2026-11.csv');
    assert.equal(res.headers['x-cairn-report-sha256'], reportFile.sha256);
    assert.deepEqual(res.rawPayload, Buffer.from(reportFile.bytes));
    assert.deepEqual(inputs.at(-1), { input: { month: '2026-11', format: 'csv' }, subject: 'auditor-user' });
    const events = deps.audit.events.slice(before);
    assert.deepEqual(
      events.map((e) => [e.action, e.result, e.target]),
      [
        ['report.generate', 'allowed', '2026-11'],
        ['report.generate', 'ok', '2026-11'],
      ],
    );
    const { month, format, sha256, figures } = events[1]!.details;
    assert.deepEqual(
      { month, format, sha256, figures },
      { month: '2026-11', format: 'csv', sha256: reportFile.sha256, figures: 1 },
    );
  });

  it('makes HTML unless a format is asked for', async () => {
    await app.inject({ method: 'GET', url: '/api/v1/reports/2026-10', headers: as('admin') });
    assert.deepEqual(inputs.at(-1), { input: { month: '2026-10', format: 'html' }, subject: 'admin-user' });
  });

  it('refuses a month that is not one, or a format it does not make, with 400 naming the field', async () => {
    const calls = deps.backend.calls.length;
    const cases: Array<[string, string, RegExp]> = [
      ['/api/v1/reports/2026-13', 'params.month', /params\.month "2026-13" is not a month/],
      ['/api/v1/reports/2026-00', 'params.month', /is not a month/],
      ['/api/v1/reports/november', 'params.month', /params\.month/],
      ['/api/v1/reports/2026-1', 'params.month', /params\.month/],
      ['/api/v1/reports/2026-11?format=docx', 'querystring.format', /querystring\.format/],
      ['/api/v1/reports/2026-11?pages=3', 'querystring.pages', /unknown field/],
    ];
    for (const [url, field, message] of cases) {
      const res = await app.inject({ method: 'GET', url, headers: as('auditor') });
      assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
      assert.equal(res.json().error.code, 'CAIRN_E_USAGE');
      assert.equal(res.json().error.details.field, field, url);
      assert.match(res.json().error.message, message, url);
    }
    assert.equal(deps.backend.calls.length, calls);
  });

  it('a service refusal (a month that has not begun) is the error answer, audited as failed', async () => {
    const original = deps.backend.generateReport;
    deps.backend.generateReport = async () => {
      throw new CairnError('CAIRN_E_USAGE', 'the month 2999-01 has not begun', { month: '2999-01' });
    };
    try {
      const before = deps.audit.events.length;
      const res = await app.inject({ method: 'GET', url: '/api/v1/reports/2999-01', headers: as('admin') });
      assert.equal(res.statusCode, 400);
      assert.match(res.json().error.message, /has not begun/);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.equal(res.headers['content-disposition'], undefined);
      assert.deepEqual(
        deps.audit.events.slice(before).map((e) => e.result),
        ['allowed', 'failed'],
      );
    } finally {
      deps.backend.generateReport = original;
    }
  });

  it('verifies the bytes it is sent, as octet-stream or as the format’s own type', async () => {
    for (const type of [
      'application/octet-stream',
      'text/html; charset=utf-8',
      'application/pdf',
      'application/json',
    ]) {
      const bytes = Buffer.from(`<!doctype html><p>${type}</p>`);
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/reports/verify?name=r.html',
        headers: as('auditor', { 'content-type': type }),
        payload: bytes,
      });
      assert.equal(res.statusCode, 200, `${type}: ${res.body}`);
      assert.deepEqual(res.json(), JSON.parse(JSON.stringify(reportVerifyResult)));
      const got = inputs.at(-1) as { bytes: Buffer; name: string };
      assert.ok(Buffer.isBuffer(got.bytes), type);
      assert.deepEqual(got.bytes, bytes, `${type}: the bytes as sent, not parsed`);
      assert.equal(got.name, 'r.html');
    }
    const last = deps.audit.events.at(-1)!;
    assert.deepEqual([last.action, last.result, last.target], ['report.verify', 'ok', 'r.html']);
    assert.equal(last.details.ok, false);
    assert.equal(last.details.differing, 1);
  });

  it('takes a file over the server-wide 1 MiB limit, where other routes answer 413', async () => {
    const big = Buffer.alloc(3 * MiB, 0x41);
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/reports/verify',
      headers: as('auditor', { 'content-type': 'application/pdf' }),
      payload: big,
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal((inputs.at(-1) as { bytes: Buffer }).bytes.length, big.length);
    const other = await app.inject({
      method: 'POST',
      url: '/api/v1/drills/run',
      headers: as('admin', { 'content-type': 'application/json' }),
      payload: JSON.stringify({ plan: 'x'.repeat(2 * MiB) }),
    });
    assert.equal(other.statusCode, 413);
  });

  it('refuses a file over 64 MiB with 413, before the backend is called', async () => {
    const calls = deps.backend.calls.length;
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/reports/verify',
      headers: as('auditor', { 'content-type': 'application/octet-stream' }),
      payload: Buffer.alloc(REPORT_VERIFY_BODY_LIMIT + 1),
    });
    assert.equal(res.statusCode, 413, res.body);
    assert.equal(res.json().error.code, 'CAIRN_E_TOO_LARGE');
    assert.match(res.json().error.message, /67108864 bytes/);
    assert.equal(deps.backend.calls.length, calls);
  });

  it('refuses another content type, no content type, or an empty body with 400 naming the body', async () => {
    const calls = deps.backend.calls.length;
    const cases: Array<[Record<string, string>, string | undefined, RegExp]> = [
      [{ 'content-type': 'text/plain' }, 'some notes', /not "text\/plain"/],
      [{ 'content-type': 'multipart/form-data; boundary=x' }, '--x--', /not "multipart\/form-data"/],
      [{}, 'raw', /without a Content-Type/],
      [{ 'content-type': 'application/octet-stream' }, '', /send the report file itself/],
      [{}, undefined, /send the report file itself/],
    ];
    for (const [headers, payload, message] of cases) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/reports/verify',
        headers: as('admin', headers),
        ...(payload !== undefined ? { payload } : {}),
      });
      assert.equal(res.statusCode, 400, `${JSON.stringify(headers)}: ${res.body}`);
      assert.equal(res.json().error.code, 'CAIRN_E_USAGE');
      assert.equal(res.json().error.details.field, 'body');
      assert.match(res.json().error.message, message);
    }
    const badName = await app.inject({
      method: 'POST',
      url: '/api/v1/reports/verify?name=',
      headers: as('admin', { 'content-type': 'application/octet-stream' }),
      payload: 'x',
    });
    assert.equal(badName.statusCode, 400);
    assert.equal(badName.json().error.details.field, 'querystring.name');
    assert.equal(deps.backend.calls.length, calls);
  });

  it('refuses viewers, operators and approvers both routes (reports.generate: auditor, admin)', async () => {
    const calls = deps.backend.calls.length;
    for (const role of ['viewer', 'operator', 'restorer', 'approver']) {
      const get = await app.inject({ method: 'GET', url: '/api/v1/reports/2026-11', headers: as(role) });
      assert.equal(get.statusCode, 403, role);
      assert.equal(get.json().error.details.permission, 'reports.generate');
      const post = await app.inject({
        method: 'POST',
        url: '/api/v1/reports/verify',
        headers: as(role, { 'content-type': 'application/octet-stream' }),
        payload: 'x',
      });
      assert.equal(post.statusCode, 403, role);
    }
    assert.equal(deps.backend.calls.length, calls);
  });

  it('are in the OpenAPI document, the body and answers as files', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json', headers: as('viewer') });
    const doc = res.json();
    const get = doc.paths['/api/v1/reports/{month}'].get;
    assert.deepEqual(Object.keys(get.responses['200'].content).sort(), [
      'application/json',
      'application/pdf',
      'text/csv',
      'text/html',
    ]);
    const post = doc.paths['/api/v1/reports/verify'].post;
    assert.ok(post.requestBody.content['application/octet-stream'], JSON.stringify(post.requestBody));
  });
});
