import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { catalogTargets } from '../../catalog/test-support.js';
import { addHold } from '../hold.js';
import { buildMonthlyReport } from './collect.js';
import { isTable } from './figure-kit.js';
import { generateReport } from './generate.js';
import { type ReportWorld, reportWorld } from './test-support.js';
import type { Figure, MonthlyReport, ReportTable } from './types.js';
import { verifyReportFile } from './verify.js';

const DAY = 86_400_000;
const fig = (r: MonthlyReport, id: string): Figure => {
  const f = r.figures.find((x) => x.id === id);
  assert.ok(f, `figure ${id}`);
  return f;
};
const rows = (r: MonthlyReport, id: string): ReportTable => {
  const v = fig(r, id).value;
  assert.ok(isTable(v), `${id} is a table`);
  return v;
};
const cell = (t: ReportTable, row: number, column: string) => t.rows[row]?.[t.columns.indexOf(column)];

/** November 2026 with coverage, deletions, an approval, drills, alerts; October and December around it. */
async function november(w: ReportWorld) {
  const api: string[] = [];
  api.push(await w.snapshot('api', '2026-10-31T06:00:00.000Z'));
  for (let d = 1; d <= 30; d++)
    api.push(await w.snapshot('api', `2026-11-${String(d).padStart(2, '0')}T06:00:00.000Z`));
  await w.snapshot('db', '2026-10-15T10:00:00.000Z');
  const db = await w.snapshot('db', '2026-11-03T10:00:00.000Z');
  const dbVerified = await w.verification(db, 'db', '2026-11-05T10:00:00.000Z');
  const partial = await w.snapshot('db', '2026-11-20T10:00:00.000Z', { status: 'partial' });
  await addHold(w.repo, w.catalog, api[5]!, { actor: 'alice', now: new Date('2026-11-10T00:00:00Z') });
  const gone = 'f'.repeat(64);
  const seq = {
    octFailed: await w.event('2026-10-30T00:00:00.000Z', { action: 'snapshots.create', result: 'failed' }),
    failed: await w.event('2026-11-02T00:00:00.000Z', { action: 'snapshots.create', result: 'failed' }),
    forget: await w.event('2026-11-04T00:00:00.000Z', { action: 'forget', details: { applyPolicy: true } }),
    dryRun: await w.event('2026-11-04T00:01:00.000Z', { action: 'forget', details: { dryRun: true } }),
    requested: await w.event('2026-11-06T09:00:00.000Z', {
      action: 'forget',
      result: 'requested',
      approvalId: 'ap-1',
      target: gone,
      details: { approvalAction: 'snapshot.forget', required: 1 },
    }),
    granted: await w.event('2026-11-06T10:00:00.000Z', {
      action: 'approvals.grant',
      identity: 'oidc:bob@acme',
      approvalId: 'ap-1',
      target: 'ap-1',
    }),
    executed: await w.event('2026-11-06T10:00:01.000Z', {
      action: 'snapshot.forget',
      approvalId: 'ap-1',
      target: gone,
    }),
    drill1: await w.event('2026-11-08T00:00:00.000Z', {
      action: 'drill.finish',
      target: 'dr-1',
      details: {
        plan: 'quarterly',
        status: 'awaiting-signoff',
        rtoMs: 1_800_000,
        rtoSlaMs: 3_600_000,
        rpoMs: 7_200_000,
        rpoSlaMs: DAY,
        snapshots: [api[7]],
      },
    }),
    signoff: await w.event('2026-11-08T01:00:00.000Z', {
      action: 'drill.signoff',
      target: 'dr-1',
      details: { drillId: 'dr-1', team: 'operations', status: 'passed' },
    }),
    drill2: await w.event('2026-11-09T00:00:00.000Z', {
      action: 'drill.finish',
      target: 'dr-2',
      result: 'failed',
      details: { plan: 'quarterly', status: 'failed', rtoMs: 7_200_000, rtoSlaMs: 3_600_000 },
    }),
    alert1: await w.event('2026-11-10T00:00:00.000Z', {
      action: 'alert.raised',
      target: 'al-1',
      details: { alertId: 'al-1', kind: 'backup-failed', category: 'failure' },
    }),
    ack1: await w.event('2026-11-10T00:05:00.000Z', { action: 'alert.acknowledged', target: 'al-1' }),
    alert2: await w.event('2026-11-11T00:00:00.000Z', {
      action: 'alert.raised',
      target: 'al-2',
      details: { kind: 'out-of-rpo' },
    }),
    decFailed: await w.event('2026-12-02T00:00:00.000Z', { action: 'snapshots.create', result: 'failed' }),
  };
  w.setClock('2026-12-05T00:00:00.000Z');
  return { api, db, dbVerified, partial, seq };
}

for (const target of catalogTargets) {
  describe(`monthly report (${target.dialect})`, () => {
    let w: ReportWorld;
    let facts: Awaited<ReturnType<typeof november>>;
    let report: MonthlyReport;
    before(async () => {
      w = await reportWorld(target);
      facts = await november(w);
      report = await buildMonthlyReport(w, w.policy, w.log, {
        month: '2026-11',
        now: new Date('2026-12-05T00:00:00Z'),
      });
    });
    after(() => w.close());

    it('covers the whole month with coverage figures and the captures they came from', () => {
      assert.equal(report.complete, true);
      assert.equal(report.until, '2026-12-01T00:00:00.000Z');
      assert.equal(fig(report, 'coverage.snapshots').value, 32);
      assert.deepEqual(fig(report, 'coverage.partial-snapshots').evidence.snapshots, [facts.partial]);
      assert.equal(fig(report, 'coverage.items-in-rpo').value, 1);
      assert.deepEqual(fig(report, 'coverage.items-in-rpo').evidence.snapshots, [facts.api.at(-1)]);
      assert.equal(fig(report, 'coverage.items-out-of-rpo').value, 1);
      assert.deepEqual(fig(report, 'coverage.items-out-of-rpo').evidence.verifications, [facts.dbVerified]);
      const byItem = rows(report, 'coverage.by-item');
      assert.deepEqual(
        byItem.rows.map((r) => [r[1], r[7], r[8]]),
        [
          ['legacy', 'exception-expired', null],
          ['api', 'ok', 100],
          ['db', 'out-of-rpo', 6.7], // Nov 3 10:00 + 1 d and Nov 5 10:00 + 1 d: 2 of 30 days
        ],
      );
      const daily = rows(report, 'coverage.daily');
      assert.equal(daily.rows.length, 30);
      assert.deepEqual(daily.rows[0], ['2026-11-01', 1, 2, 50]);
      assert.deepEqual(daily.rows[29], ['2026-11-30', 1, 2, 50]);
      assert.ok(fig(report, 'coverage.by-item').evidence.snapshots.includes(facts.db));
    });

    it('retention: deletions, none early, snapshots kept past retention without a hold, holds', () => {
      const deletions = rows(report, 'retention.deletions');
      assert.deepEqual(
        deletions.rows.map((r) => [r[0], r[4]]),
        [
          [facts.seq.forget, 'keep rules'],
          [facts.seq.executed, 'approved'],
        ],
      );
      assert.deepEqual(fig(report, 'retention.deletions').evidence.snapshots, ['f'.repeat(64)]);
      assert.equal(fig(report, 'retention.deleted-before-retention').value, 0);
      // api: 31 snapshots, the last 3 kept, the other 28 past their 2 days, one of them held: 27 overdue.
      const overdue = fig(report, 'retention.kept-past-retention');
      assert.equal((overdue.value as ReportTable).rows.length, 27);
      assert.ok(!overdue.evidence.snapshots.includes(facts.api[5]!), 'the held snapshot is not overdue');
      assert.equal(fig(report, 'retention.legal-holds').value, 1);
    });

    it('drills with RTO/RPO against the SLA, exceptions, failures, alerts, approvals', () => {
      const runs = rows(report, 'drills.runs');
      assert.deepEqual(
        runs.rows.map((r) => [r[0], r[3], r[8], r[9]]),
        [
          ['dr-1', 'passed', true, 'operations: local:alice@host'],
          ['dr-2', 'failed', false, null],
        ],
      );
      assert.deepEqual(fig(report, 'drills.runs').evidence.events, [
        facts.seq.drill1,
        facts.seq.signoff,
        facts.seq.drill2,
      ]);
      assert.deepEqual(fig(report, 'drills.runs').evidence.snapshots, [facts.api[7]].sort());
      assert.equal(fig(report, 'drills.within-sla').value, 1);
      assert.equal(fig(report, 'drills.failed').value, 1);
      assert.equal(fig(report, 'exceptions.active').value, 0);
      assert.equal(fig(report, 'exceptions.expired').value, 1);
      assert.equal(cell(rows(report, 'exceptions.list'), 0, 'state'), 'expired this month');
      assert.equal(fig(report, 'failures.failed-actions').value, 2, 'the failed snapshot and the failed drill');
      assert.deepEqual(fig(report, 'failures.failed-actions').evidence.events, [facts.seq.failed, facts.seq.drill2]);
      assert.equal(fig(report, 'failures.alerts-raised').value, 2);
      assert.deepEqual(rows(report, 'failures.alerts-by-category').rows, [
        ['coverage', 1, 0, 0, 0],
        ['failure', 1, 1, 0, 0],
      ]);
      const approvals = rows(report, 'approvals.requests');
      assert.deepEqual(approvals.rows, [
        [
          'ap-1',
          'snapshot.forget',
          'f'.repeat(64),
          'local:alice@host',
          '2026-11-06T09:00:00.000Z',
          'oidc:bob@acme',
          null,
          'executed',
        ],
      ]);
      assert.deepEqual(fig(report, 'approvals.requests').evidence.events, [
        facts.seq.requested,
        facts.seq.granted,
        facts.seq.executed,
      ]);
    });

    it('the audit chain over the month verifies against the signed checkpoints', () => {
      const chain = fig(report, 'audit.chain');
      assert.equal((chain.value as { ok: boolean }).ok, true, JSON.stringify(chain.value));
      assert.deepEqual(chain.evidence.eventRange, { from: facts.seq.failed, to: facts.seq.alert2 });
      assert.ok((chain.evidence.checkpoints ?? []).length >= 1);
    });

    it('verify recomputes every figure from the repository and the checkpoints: ok for an honest file', async () => {
      const g = await generateReport(w, w.policy, w.log, {
        month: '2026-11',
        format: 'json',
        now: new Date('2026-12-05T00:00:00Z'),
      });
      const result = await verifyReportFile(w, w.policy, g.bytes);
      assert.equal(result.ok, true, JSON.stringify(result, null, 2));
      assert.equal(result.signature.valid, true);
      assert.equal(result.policy.matches, true);
    });
  });
}
