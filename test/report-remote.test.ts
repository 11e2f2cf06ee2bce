/**
 * `cairn report` and `cairn report verify` through a real `cairn serve` (CAIRN_SERVER): the server
 * makes, signs and records the report (report.generated as the token's identity), the CLI writes the
 * bytes it answered; verify sends a file and prints what local mode prints, exit codes included.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertExit, jsonError } from './e2e.js';
import { type CliResult, type Fixture, fixture } from './helpers.js';
import { call, localToken, type ServeProcess, startServe } from './serve-support.js';

describe('cairn report through cairn serve', () => {
  let f: Fixture;
  let server: ServeProcess;
  const tokens: Record<string, string> = {};
  const month = new Date().toISOString().slice(0, 7);

  const remote = (args: readonly string[], who = 'auditor'): CliResult =>
    f.cli(args, {
      env: {
        CAIRN_SERVER: server.url,
        CAIRN_TOKEN: tokens[who],
        CAIRN_PASSWORD: undefined,
        CAIRN_REPOSITORY: join(f.dir, 'no-repository-here'),
      },
    });
  const local = (args: readonly string[]): CliResult => f.cli(args, { env: { CAIRN_SERVER: undefined } });
  const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

  before(async () => {
    f = fixture();
    assertExit(f.cli(['snapshot', '--item', 'app-prod']), 0);
    tokens.auditor = localToken(f, 'audrey', ['auditor']);
    tokens.viewer = localToken(f, 'victor', ['viewer']);
    server = await startServe(f);
  });
  after(async () => {
    await server?.stop();
    rmSync(f.dir, { recursive: true, force: true });
  });

  it('an auditor downloads the HTML report: written here, made and recorded on the server', () => {
    const out = join(f.dir, 'remote.html');
    const r = remote(['report', '--month', month, '--format', 'html', '--out', out, '--json']);
    assertExit(r, 0);
    const summary = r.json<{
      file: string;
      format: string;
      month: string;
      sha256: string;
      bodySha256: string;
      figures: Array<{ id: string; value: unknown }>;
    }>();
    assert.equal(summary.file, out);
    assert.equal(summary.format, 'html');
    assert.equal(summary.month, month);
    assert.equal(summary.sha256, sha(out));
    assert.match(readFileSync(out, 'utf8'), /^<!doctype html/i);
    assert.equal(summary.figures.find((x) => x.id === 'coverage.snapshots')?.value, 1);
    const events = local(['audit', 'log', '--action', 'report.generated', '--json']).json<{
      events: Array<{ identity: string; target: string; details: { sha256: string; format: string } }>;
    }>().events;
    assert.equal(events.length, 1);
    assert.equal(events[0]!.identity, 'token:audrey');
    assert.equal(events[0]!.target, month);
    assert.deepEqual([events[0]!.details.sha256, events[0]!.details.format], [summary.sha256, 'html']);
    // The same summary as local mode prints, but for the file's own bytes and path.
    const text = remote(['report', '--month', month, '--out', join(f.dir, 'again.html')]);
    assertExit(text, 0);
    assert.match(text.stdout, /^wrote .*again\.html \(html, \d+ bytes\): the \d{4}-\d{2} report/m);
    assert.match(text.stdout, /^ {2}coverage\.snapshots: 1$/m);
  });

  it('an auditor downloads the PDF, and verify through the server says ok, as local verify does', () => {
    const out = join(f.dir, 'remote.pdf');
    assertExit(remote(['report', '--month', month, '--out', out]), 0);
    assert.equal(readFileSync(out).subarray(0, 5).toString(), '%PDF-');
    const v = remote(['report', 'verify', out]);
    assertExit(v, 0);
    assert.match(v.stdout, /signature ok/);
    assert.match(v.stdout, /^ok: remote\.pdf/m);
    const there = remote(['report', 'verify', out, '--json']);
    const here = local(['report', 'verify', out, '--json']);
    assertExit(there, 0);
    const strip = (r: CliResult) => ({ ...r.json<Record<string, unknown>>(), durationMs: 0 });
    assert.deepEqual(strip(there), strip(here));
    const html = remote(['report', 'verify', join(f.dir, 'remote.html')]);
    assertExit(html, 0);
  });

  it('a report edited after signing: exit 1 through the server, the changed figure named', () => {
    const out = join(f.dir, 'edited.json');
    assertExit(remote(['report', '--month', month, '--format', 'json', '--out', out]), 0);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { report: { figures: Array<{ id: string; value: unknown }> } };
    doc.report.figures.find((x) => x.id === 'coverage.snapshots')!.value = 7;
    writeFileSync(out, JSON.stringify(doc, null, 2));
    const v = remote(['report', 'verify', out]);
    assertExit(v, 1);
    assert.match(v.stdout, /SIGNATURE BAD/);
    assert.match(v.stdout, /DIFFERS coverage\.snapshots \(value\): expected 1; found 7/);
    const j = remote(['report', 'verify', out, '--json']);
    assertExit(j, 1);
    assert.deepEqual(
      j.json<{ differences: Array<{ id: string }> }>().differences.map((d) => d.id),
      ['coverage.snapshots'],
    );
  });

  it('a viewer is refused both with 403, and nothing is written', async () => {
    const out = join(f.dir, 'viewer.html');
    const r = remote(['report', '--month', month, '--out', out, '--json'], 'viewer');
    assert.notEqual(r.code, 0);
    assert.equal(jsonError(r).code, 'CAIRN_E_FORBIDDEN');
    assert.match(jsonError(r).message, /reports\.generate/);
    assert.equal(existsSync(out), false);
    const v = remote(['report', 'verify', join(f.dir, 'remote.pdf'), '--json'], 'viewer');
    assert.equal(jsonError(v).code, 'CAIRN_E_FORBIDDEN');
    const http = await call(server.url, 'GET', `/api/v1/reports/${month}?format=csv`, { token: tokens.viewer });
    assert.equal(http.status, 403);
  });

  it('bad input: a month that is not one is 400 naming the field; a file that is no report, exit 2', async () => {
    for (const bad of ['2026-13', 'november']) {
      const http = await call<{ error: { code: string; details: { field: string } } }>(
        server.url,
        'GET',
        `/api/v1/reports/${bad}`,
        { token: tokens.auditor },
      );
      assert.equal(http.status, 400, http.text);
      assert.equal(http.body.error.code, 'CAIRN_E_USAGE');
      assert.equal(http.body.error.details.field, 'params.month');
    }
    const future = remote(['report', '--month', '2999-01']);
    assertExit(future, 2);
    assert.match(future.stderr, /has not begun/);
    const cli = remote(['report', '--month', '2026-13']);
    assertExit(cli, 2);
    assert.match(cli.stderr, /is not a month/);
    const notes = f.write('notes.txt', 'just some notes\n');
    const notReport = remote(['report', 'verify', notes]);
    assertExit(notReport, 2);
    assert.match(notReport.stderr, /notes\.txt is not a Cairn monthly report/);
    const missing = remote(['report', 'verify', join(f.dir, 'nope.pdf')]);
    assertExit(missing, 2);
    assert.match(missing.stderr, /cannot be read \(ENOENT\)/);
  });

  it('verify takes the file as its own content type over plain HTTP too', async () => {
    const res = await fetch(`${server.url}/api/v1/reports/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.auditor}`, 'content-type': 'application/pdf' },
      body: readFileSync(join(f.dir, 'remote.pdf')),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { ok: boolean; file: { format: string } };
    assert.deepEqual([body.ok, body.file.format], [true, 'pdf']);
    const dl = await fetch(`${server.url}/api/v1/reports/${month}?format=csv`, {
      headers: { authorization: `Bearer ${tokens.auditor}` },
    });
    assert.equal(dl.status, 200);
    assert.equal(dl.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.equal(dl.headers.get('content-disposition'), `attachment; filename=cairn-report-${month}.csv`);
    const bytes = Buffer.from(await dl.arrayBuffer());
    assert.equal(dl.headers.get('x-cairn-report-sha256'), createHash('sha256').update(bytes).digest('hex'));
  });
});
