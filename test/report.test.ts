import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Fixture, fixture } from './helpers.js';

/** `cairn report` and `cairn report verify` through the real binary (docs/REPORTS.md). */
describe('cairn report', () => {
  let f: Fixture;
  const month = new Date().toISOString().slice(0, 7);
  before(() => {
    f = fixture();
    const r = f.cli(['snapshot', '--item', 'app-prod']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => rmSync(f.dir, { recursive: true, force: true }));

  it('writes a signed HTML report, records report.generated with its hash, and verifies it', () => {
    const out = join(f.dir, 'report.html');
    const r = f.cli(['report', '--month', month, '--format', 'html', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const summary = r.json<{ file: string; sha256: string; figures: Array<{ id: string; value: unknown }> }>();
    assert.equal(summary.file, out);
    assert.equal(summary.sha256, createHash('sha256').update(readFileSync(out)).digest('hex'));
    assert.equal(summary.figures.find((x) => x.id === 'coverage.snapshots')?.value, 1);
    const events = f.cli(['audit', 'log', '--action', 'report.generated', '--json']).json<{
      events: Array<{ target: string; details: { sha256: string; format: string } }>;
    }>().events;
    assert.equal(events.length, 1);
    assert.equal(events[0]?.target, month);
    assert.equal(events[0]?.details.sha256, summary.sha256);
    const v = f.cli(['report', 'verify', out]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /signature ok/);
    assert.match(v.stdout, /^ok: report\.html/m);
  });

  it('a PDF report verifies too', () => {
    const out = join(f.dir, 'report.pdf');
    assert.equal(f.cli(['report', '--month', month, '--out', out]).code, 0, 'the format follows --out');
    assert.equal(readFileSync(out).subarray(0, 5).toString(), '%PDF-');
    const v = f.cli(['report', 'verify', out, '--json']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal(v.json<{ ok: boolean }>().ok, true);
  });

  it('a report edited after signing: exit 1, the changed figure named', () => {
    const out = join(f.dir, 'report.json');
    assert.equal(f.cli(['report', '--month', month, '--format', 'json', '--out', out]).code, 0);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { report: { figures: Array<{ id: string; value: unknown }> } };
    doc.report.figures.find((x) => x.id === 'coverage.snapshots')!.value = 7;
    writeFileSync(out, JSON.stringify(doc, null, 2));
    const v = f.cli(['report', 'verify', out]);
    assert.equal(v.code, 1, v.stdout + v.stderr);
    assert.match(v.stdout, /SIGNATURE BAD/);
    assert.match(v.stdout, /DIFFERS coverage\.snapshots \(value\): expected 1; found 7/);
    const j = f.cli(['report', 'verify', out, '--json']).json<{ ok: boolean; differences: Array<{ id: string }> }>();
    assert.equal(j.ok, false);
    assert.deepEqual(
      j.differences.map((d) => d.id),
      ['coverage.snapshots'],
    );
  });

  it('a PDF whose attached report has one byte changed: exit 2, said to be damaged (no zlib message)', () => {
    const out = join(f.dir, 'damaged.pdf');
    assert.equal(f.cli(['report', '--month', month, '--out', out]).code, 0);
    const pdf = readFileSync(out);
    const text = pdf.toString('latin1');
    const at = text.indexOf('stream', text.indexOf('/Type /EmbeddedFile')) + 'stream\n'.length + 20;
    pdf[at] = pdf[at]! ^ 0xff;
    writeFileSync(out, pdf);
    const v = f.cli(['report', 'verify', out]);
    assert.equal(v.code, 2, v.stdout + v.stderr);
    assert.match(v.stderr, /the report attached to .*damaged\.pdf \(a PDF\) is damaged or unreadable/);
    assert.doesNotMatch(v.stderr, /incorrect data check|internal error/);
  });

  it('an HTML view edited after signing: the last line says the rendering changed, and where', () => {
    const out = join(f.dir, 'edited.html');
    assert.equal(f.cli(['report', '--month', month, '--format', 'html', '--out', out]).code, 0);
    const html = readFileSync(out, 'utf8');
    const edited = html.replace(/(data-figure="drills\.failed">[\s\S]*?<p class="big">)0</, '$1' + '3<');
    assert.notEqual(edited, html);
    writeFileSync(out, edited);
    const v = f.cli(['report', 'verify', out]);
    assert.equal(v.code, 1, v.stdout + v.stderr);
    assert.match(v.stdout, /RENDERING CHANGED in drills\.failed/);
    assert.match(
      v.stdout,
      /^edited\.html \(\d{4}-\d\d\) does NOT verify: the rendering of 1 figure was changed \(drills\.failed\) \(checked/m,
    );
    assert.doesNotMatch(v.stdout, /0 figures differ/);
  });

  it('a month before the repository existed: no item is counted out of its RPO', () => {
    const out = join(f.dir, 'before.json');
    assert.equal(f.cli(['report', '--month', '2020-01', '--format', 'json', '--out', out]).code, 0);
    const figures = (
      JSON.parse(readFileSync(out, 'utf8')) as {
        report: { figures: Array<{ id: string; value: unknown; note?: string }> };
      }
    ).report.figures;
    const outOfRpo = figures.find((x) => x.id === 'coverage.items-out-of-rpo')!;
    assert.equal(outOfRpo.value, 0);
    assert.match(outOfRpo.note ?? '', /no data for this month/);
    assert.equal(figures.find((x) => x.id === 'coverage.items-in-rpo')?.value, 0);
    assert.equal(f.cli(['report', 'verify', out]).code, 0);
  });

  it('a month with no data is an honest, signed, empty report', () => {
    const out = join(f.dir, 'empty.csv');
    const r = f.cli(['report', '--month', '2020-01', '--format', 'csv', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const figures = r.json<{ figures: Array<{ id: string; value: unknown }> }>().figures;
    assert.equal(figures.find((x) => x.id === 'coverage.snapshots')?.value, 0);
    assert.equal(figures.find((x) => x.id === 'failures.alerts-raised')?.value, 0);
    const csv = readFileSync(out, 'utf8');
    assert.match(csv, /no snapshots in this month/);
    assert.match(csv, /\r\n# cairn-report-signature [A-Za-z0-9+/=]+\r\n$/);
    assert.equal(f.cli(['report', 'verify', out]).code, 0);
  });

  it('bad input: a month that is not one, a future month, an unreadable file, a file that is no report', () => {
    for (const bad of ['2026-13', 'november', '2026-1', '2026-00']) {
      const r = f.cli(['report', '--month', bad, '--json']);
      assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
      assert.equal(r.json<{ error: { code: string } }>().error.code, 'CAIRN_E_USAGE');
      assert.match(r.stderr, /is not a month: give it as YYYY-MM/);
    }
    const none = f.cli(['report', '--json']);
    assert.equal(none.code, 2);
    assert.match(none.json<{ error: { message: string } }>().error.message, /give the month/);
    const future = f.cli(['report', '--month', '2999-01']);
    assert.equal(future.code, 2);
    assert.match(future.stderr, /has not begun/);
    const missing = f.cli(['report', 'verify', join(f.dir, 'nope.html')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot be read \(ENOENT\)/);
    const text = f.write('notes.txt', 'just some notes\n');
    const notReport = f.cli(['report', 'verify', text]);
    assert.equal(notReport.code, 2);
    assert.match(notReport.stderr, /not a Cairn monthly report/);
  });

  it('a forget records the snapshots it removed with their retention dates; the report reads them (runs last)', () => {
    assert.equal(f.cli(['snapshot', '--item', 'app-prod', '--json']).code, 0);
    const snaps = f.cli(['snapshots', '--item', 'app-prod', '--json']).json<{ snapshots: Array<{ id: string }> }>();
    const victim = snaps.snapshots.at(-1)!.id;
    const forget = f.cli(['forget', victim]);
    assert.equal(forget.code, 0, forget.stderr);
    const [event] = f.cli(['audit', 'log', '--action', 'forget', '--result', 'ok', '--json']).json<{
      events: Array<{ seq: number; details: { removed: Array<Record<string, unknown>>; removedCount: number } }>;
    }>().events;
    assert.equal(event?.details.removedCount, 1);
    assert.deepEqual(Object.keys(event!.details.removed[0]!).sort(), ['id', 'item', 'retainUntil', 'tier', 'time']);
    assert.equal(event!.details.removed[0]!.id, victim);
    const out = join(f.dir, 'after-forget.json');
    assert.equal(f.cli(['report', '--month', month, '--format', 'json', '--out', out]).code, 0);
    const figures = (
      JSON.parse(readFileSync(out, 'utf8')) as {
        report: {
          figures: Array<{
            id: string;
            value: unknown;
            note?: string;
            evidence: { snapshots: string[]; events: number[] };
          }>;
        };
      }
    ).report.figures;
    const deletions = figures.find((x) => x.id === 'retention.deletions')!;
    assert.deepEqual(deletions.evidence.snapshots, [victim]);
    assert.deepEqual(deletions.evidence.events, [event!.seq]);
    const early = figures.find((x) => x.id === 'retention.deleted-before-retention')!;
    assert.equal(early.value, 0);
    assert.match(early.note ?? '', /1 of 1 removed snapshots itemised/);
    assert.equal(f.cli(['report', 'verify', out]).code, 0);
  });
});
