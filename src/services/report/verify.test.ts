import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { catalogTargets } from '../../catalog/test-support.js';
import { isCairnError } from '../../errors/index.js';
import { parsePolicy } from '../../policy/index.js';
import { generateReport } from './generate.js';
import { parseReportFile } from './parse-file.js';
import { REPORT_POLICY, type ReportWorld, reportWorld } from './test-support.js';
import type { ReportFormat, SignedReport } from './types.js';
import { verifyReportFile } from './verify.js';

const now = new Date('2026-12-05T00:00:00Z');
const sqlite = catalogTargets.find((t) => t.dialect === 'sqlite')!;

describe('report files: formats, signature, tampering, empty months', () => {
  let w: ReportWorld;
  let dir: string;
  const files = new Map<ReportFormat, Uint8Array>();
  let signed: SignedReport;
  before(async () => {
    w = await reportWorld(sqlite);
    dir = await mkdtemp(join(tmpdir(), 'cairn-report-files-'));
    for (let d = 1; d <= 30; d += 2) await w.snapshot('api', `2026-11-${String(d).padStart(2, '0')}T06:00:00.000Z`);
    await w.snapshot('db', '2026-11-03T10:00:00.000Z');
    await w.event('2026-11-08T00:00:00.000Z', {
      action: 'drill.finish',
      target: 'dr-1',
      details: {
        plan: 'quarterly',
        status: 'passed',
        rtoMs: 1_800_000,
        rtoSlaMs: 3_600_000,
        rpoMs: 7_200_000,
        rpoSlaMs: 86_400_000,
      },
    });
    await w.event('2026-11-10T00:00:00.000Z', {
      action: 'alert.raised',
      target: 'al-1',
      details: { category: 'failure' },
    });
    w.setClock(now.toISOString());
    for (const format of ['json', 'html', 'csv', 'pdf'] as const) {
      const g = await generateReport(w, w.policy, w.log, { month: '2026-11', format, now });
      files.set(format, g.bytes);
      signed = g.signed;
    }
  });
  after(async () => {
    await w.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const format of ['json', 'html', 'csv', 'pdf'] as const) {
    it(`an honest ${format} file verifies: signature, rendering, every figure`, async () => {
      const r = await verifyReportFile(w, w.policy, files.get(format)!);
      assert.equal(r.ok, true, JSON.stringify(r, null, 2));
      assert.equal(r.file.format, format);
      assert.equal(r.rendering.matches, true);
      assert.deepEqual(
        parseReportFile(files.get(format)!).signed,
        signed,
        'the same signed report travels in every format',
      );
    });
  }

  it('the HTML is self-contained, with inline SVG charts and the signed JSON embedded', () => {
    const html = Buffer.from(files.get('html')!).toString('utf8');
    assert.doesNotMatch(html, /<(link|img)\b|src=|https?:\/\/(?!www\.w3\.org)/, 'no external asset');
    assert.equal((html.match(/<svg class="chart"/g) ?? []).length, 4);
    assert.match(html, /<polyline points=/, 'the coverage line');
    assert.match(html, /class="sla"/, 'an SLA marker on the drill chart');
    assert.match(html, /<script type="application\/json" id="cairn-report">/);
    assert.match(html, /@media print/);
  });

  it('every SVG chart is well-formed XML, and the coverage chart has a point for each day of the month', () => {
    const html = Buffer.from(files.get('html')!).toString('utf8');
    const svgs = [...html.matchAll(/<svg\b[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    assert.equal(svgs.length, 4);
    for (const svg of svgs) assert.equal(xmlProblem(svg), null, svg.slice(0, 200));
    const points = /<polyline points="([^"]*)"/.exec(svgs[0]!)![1]!.trim().split(/\s+/);
    assert.equal(points.length, 30, 'November has 30 days');
    for (const p of points) assert.match(p, /^\d+(\.\d)?,\d+(\.\d)?$/);
    assert.ok(xmlProblem('<svg><g></svg>'), 'the check catches an unclosed element');
    assert.ok(xmlProblem('<svg a=1></svg>'), 'and an unquoted attribute');
  });

  it('the PDF turns into text and non-blank page images (poppler-utils), with the signed report attached', async () => {
    const pdf = join(dir, 'report.pdf');
    await writeFile(pdf, files.get('pdf')!);
    const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
    for (const heading of [
      'Monthly evidence report: 2026-11',
      'Coverage',
      'Retention adherence',
      'Recovery drills',
      'Exceptions',
      'Failures and alerts',
      'Approvals of destructive actions',
      'Audit-chain verification',
      'RTO against the SLA',
    ]) {
      assert.ok(text.includes(heading), `PDF text has "${heading}"`);
    }
    assert.match(text, /Snapshots taken this month\s+\(coverage\.snapshots\)\s+16/);
    execFileSync('pdftoppm', ['-png', '-r', '40', '-f', '1', '-l', '1', pdf, join(dir, 'page')]);
    execFileSync('pdftoppm', ['-gray', '-r', '40', '-f', '1', '-l', '1', pdf, join(dir, 'gray')]);
    const names = await readdir(dir);
    assert.ok(
      names.some((n) => n.startsWith('page') && n.endsWith('.png')),
      names.join(','),
    );
    const pgm = await readFile(join(dir, names.find((n) => n.startsWith('gray') && n.endsWith('.pgm'))!));
    // P5 <width> <height> 255, then one byte per pixel.
    const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(pgm.subarray(0, 40).toString('latin1'));
    assert.ok(header, 'a binary PGM');
    const pixels = pgm.subarray(header[0].length);
    assert.equal(pixels.length, Number(header[1]) * Number(header[2]));
    const dark = pixels.filter((b) => b < 160).length;
    assert.ok(dark > 500, `page 1 is not blank (${dark} dark pixels of ${pixels.length})`);
    const attached = execFileSync('pdfdetach', ['-list', pdf], { encoding: 'utf8' });
    assert.match(attached, /cairn-report\.json/);
  });

  it('an edited JSON figure: the signature fails and verify names the figure', async () => {
    const edited = JSON.parse(Buffer.from(files.get('json')!).toString('utf8')) as SignedReport;
    const f = edited.report.figures.find((x) => x.id === 'coverage.snapshots')!;
    (f as { value: unknown }).value = 99;
    const r = await verifyReportFile(w, w.policy, Buffer.from(JSON.stringify(edited)));
    assert.equal(r.ok, false);
    assert.equal(r.signature.valid, false);
    assert.deepEqual(
      r.differences.map((d) => [d.id, d.problem, d.expected, d.found]),
      [['coverage.snapshots', 'value', '16', '99']],
    );
  });

  it('an edited HTML view (the signed JSON left alone): verify names the figure whose rendering changed', async () => {
    const html = Buffer.from(files.get('html')!).toString('utf8');
    const edited = html.replace(/(data-figure="drills\.failed">[\s\S]*?<p class="big">)0</, '$1' + '3<');
    assert.notEqual(edited, html);
    const r = await verifyReportFile(w, w.policy, Buffer.from(edited));
    assert.equal(r.ok, false);
    assert.equal(r.signature.valid, true);
    assert.deepEqual(r.rendering.figures, ['drills.failed']);
  });

  it('an edited CSV row and an edited embedded body: both named', async () => {
    const csv = Buffer.from(files.get('csv')!).toString('utf8');
    const edited = csv.replace(/^(failures\.alerts-raised,[^\r\n]*,value,)1\r$/m, '$10\r');
    assert.notEqual(edited, csv);
    const r = await verifyReportFile(w, w.policy, Buffer.from(edited));
    assert.deepEqual(r.rendering.figures, ['failures.alerts-raised']);
    assert.equal(r.ok, false);
  });

  it('a file that is not a report is refused as bad input', async () => {
    await assert.rejects(verifyReportFile(w, w.policy, Buffer.from('hello')), (e) => isCairnError(e, 'CAIRN_E_USAGE'));
    await assert.rejects(verifyReportFile(w, w.policy, Buffer.from('%PDF-1.7\n%%EOF')), (e) =>
      isCairnError(e, 'CAIRN_E_USAGE'),
    );
  });

  it('another policy is said to differ, and the figures it changes are named', async () => {
    const text = REPORT_POLICY.replace('rpo: 1d', 'rpo: 3d');
    const file = join(dir, 'other.yaml');
    await writeFile(file, text);
    const other = parsePolicy(text, file, { expiredExceptions: 'warning' }).policy;
    const r = await verifyReportFile(w, other, files.get('json')!);
    assert.equal(r.policy.matches, false);
    assert.ok(r.differences.some((d) => d.id === 'coverage.items-in-rpo'));
  });

  it('a month with no data is an honest empty report, signed, that verifies', async () => {
    const g = await generateReport(w, w.policy, w.log, { month: '2026-09', format: 'html', now });
    const r = g.signed.report;
    assert.equal(r.figures.find((f) => f.id === 'coverage.snapshots')?.value, 0);
    assert.equal(r.figures.find((f) => f.id === 'coverage.snapshots')?.note, 'no snapshots in this month');
    assert.equal(r.figures.find((f) => f.id === 'failures.alerts-raised')?.value, 0);
    assert.deepEqual(r.figures.find((f) => f.id === 'audit.chain')?.value, {
      ok: true,
      events: 0,
      from: null,
      to: null,
      checkpoints: 0,
    });
    const html = Buffer.from(g.bytes).toString('utf8');
    assert.match(html, /no drill finished this month/);
    assert.equal((await verifyReportFile(w, w.policy, g.bytes)).ok, true);
    await assert.rejects(generateReport(w, w.policy, w.log, { month: '2027-01', format: 'json', now }), (e) =>
      isCairnError(e, 'CAIRN_E_USAGE'),
    );
  });
});

describe('report over a tampered catalog', () => {
  it('the report says the chain is broken, and verify, reading the sealed copies, names the figures that differ', async () => {
    const w = await reportWorld(sqlite);
    try {
      const seq = await w.event('2026-11-08T00:00:00.000Z', {
        action: 'drill.finish',
        target: 'dr-1',
        result: 'failed',
        details: { plan: 'quarterly', status: 'failed', rtoMs: 7_200_000, rtoSlaMs: 3_600_000 },
      });
      w.setClock(now.toISOString());
      await w.log.checkpoint();
      // Someone with database access turns the failed drill into a pass, without the key to re-sign.
      const db = (w.catalog.audit as unknown as { db: Kysely<unknown> }).db;
      const details = JSON.stringify({ plan: 'quarterly', status: 'passed', rtoMs: 1_000_000, rtoSlaMs: 3_600_000 });
      await sql`update audit_events set details = ${details}, result = 'ok' where seq = ${seq}`.execute(db);
      const g = await generateReport(w, w.policy, w.log, { month: '2026-11', format: 'json', now });
      const chain = g.signed.report.figures.find((f) => f.id === 'audit.chain')!.value as {
        ok: boolean;
        problem?: string;
      };
      assert.equal(chain.ok, false);
      assert.match(chain.problem ?? '', new RegExp(`event ${seq} was edited in the catalog`));
      const r = await verifyReportFile(w, w.policy, g.bytes);
      assert.equal(r.signature.valid, true, 'signed honestly over what the catalog said');
      assert.equal(r.ok, false);
      const ids = r.differences.map((d) => d.id);
      for (const id of ['drills.runs', 'drills.failed', 'audit.chain'])
        assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
    } finally {
      await w.close();
    }
  });
});

/** A small XML well-formedness check (elements nest and close, attributes quoted, entities known); null when fine. */
function xmlProblem(xml: string): string | null {
  const stack: string[] = [];
  const tag =
    /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<!--[\s\S]*?-->|<|&(?!(?:amp|lt|gt|quot|apos|#\d+);)/g;
  for (const m of xml.matchAll(tag)) {
    if (m[0].startsWith('<!--')) continue;
    if (m[0] === '<' || m[0] === '&') return `stray ${m[0]} at ${m.index}`;
    const [, close, name, , selfClose] = m;
    if (close) {
      if (stack.pop() !== name) return `</${name}> does not close the open element at ${m.index}`;
    } else if (!selfClose) stack.push(name!);
  }
  return stack.length === 0 ? null : `unclosed <${stack.at(-1)}>`;
}
