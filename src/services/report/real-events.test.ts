import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditLog } from '../../audit/index.js';
import { catalogTargets } from '../../catalog/test-support.js';
import type { Policy } from '../../policy/index.js';
import { AlertCenter } from '../alerts/alert-center.js';
import { recordBackupOutcome } from '../alerts/backup-outcome.js';
import { RepositoryCheckpointStore } from '../audit-checkpoints.js';
import { runDrill } from '../drill/run-drill.js';
import { signOffDrill } from '../drill/signoff.js';
import { type DrillScene, drillScene } from '../drill/test-fixture.js';
import { type ForgetResult, forgetSnapshots, removalAuditDetails } from '../forget.js';
import { takeSnapshots } from '../snapshot.js';
import { buildMonthlyReport } from './collect.js';
import { isTable } from './figure-kit.js';
import { generateReport } from './generate.js';
import type { Figure, MonthlyReport, ReportTable } from './types.js';
import { verifyReportFile } from './verify.js';

const PLANS = `  - name: two-teams
    items: [app]
    signoff: [ops, security]
  - name: one-team
    items: [db]
    signoff: [ops]
`;

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
const col = (t: ReportTable, row: readonly unknown[], name: string) => row[t.columns.indexOf(name)];

/**
 * The report's figures from the events the real services write (drill run and sign-off, the alert
 * centre, a forget with its removals, a failed scheduled run), with three figures recomputed here by
 * hand from the catalog and compared with their evidence.
 */
for (const target of catalogTargets) {
  describe(`monthly report from real service events (${target.dialect})`, () => {
    let s: DrillScene;
    let policy: Policy;
    let log: AuditLog;
    let report: MonthlyReport;
    let month: string;
    const ids: Record<string, string> = {};
    before(async () => {
      s = await drillScene(target);
      policy = s.policy(PLANS);
      const { repo, catalog } = s.session;
      log = new AuditLog({ store: catalog.audit, checkpoints: new RepositoryCheckpointStore(repo) });
      month = new Date().toISOString().slice(0, 7);
      const signed = await runDrill(s.session, policy, log, { plan: 'two-teams', actor: 'tester' });
      assert.equal(signed.status, 'awaiting-signoff', JSON.stringify(signed.result?.error));
      ids.signed = signed.id;
      for (const [team, who] of [
        ['ops', 'bob'],
        ['security', 'carol'],
      ] as const) {
        await signOffDrill(catalog, log, policy, {
          drillId: signed.id,
          team,
          subject: who,
          verifyCode: async () => {},
        });
      }
      const waiting = await runDrill(s.session, policy, log, { plan: 'one-team', actor: 'tester' });
      assert.equal(waiting.status, 'awaiting-signoff');
      ids.waiting = waiting.id;

      const center = new AlertCenter({ catalog, log, policy: async () => policy, sinks: () => [] });
      for (let i = 0; i < policy.alerts.consecutiveFailures; i++)
        await recordBackupOutcome(center, catalog, policy, {
          item: 'db',
          environment: 'prod',
          ok: false,
          error: 'boom',
        });
      const rpo = await center.raise({
        kind: 'out-of-rpo',
        category: 'coverage',
        severity: 'warning',
        summary: 'app is out of its RPO',
        dedupKey: 'out-of-rpo:app@prod',
      });
      await center.ack(rpo.id, 'alice');
      await recordBackupOutcome(center, catalog, policy, { item: 'db', environment: 'prod', ok: true });
      await center.settle();
      // The scheduler's record of a failed run (server/wire/scheduler.ts).
      await log.record({
        identity: 'system:scheduler',
        action: 'schedule.run',
        result: 'failed',
        target: 'snapshot:db',
        details: { slot: '2026-11-01T00:00:00.000Z', replica: 'r1', error: 'source unreachable' },
      });
      // A forget as `cairn forget ID` records it (cli/commands/retention.ts): the removals in its event.
      const [fresh] = await takeSnapshots(s.session, policy, { items: ['db'], run: { release: '2.0' } });
      ids.forgotten = fresh!.id!;
      const forgot = await forgetSnapshots(repo, catalog, [ids.forgotten], {});
      await log.record({
        identity: 'local:tester@host',
        action: 'forget',
        result: 'ok',
        target: ids.forgotten,
        details: removalAuditDetails(forgot),
      });
      report = await buildMonthlyReport(s.session, policy, log, { month });
    });
    after(() => s?.close());

    it('drills: passed after both sign-offs, awaiting sign-off is not passed; evidence from drill.finish and drill.signoff', async () => {
      const runs = rows(report, 'drills.runs');
      const byId = new Map(runs.rows.map((r) => [String(r[0]), r]));
      assert.deepEqual([...byId.keys()].sort(), [ids.signed, ids.waiting].sort(), 'one row per drill, by its id');
      const signedRow = byId.get(ids.signed!)!;
      assert.equal(col(runs, signedRow, 'status'), 'passed');
      assert.equal(col(runs, signedRow, 'plan'), 'two-teams');
      assert.equal(col(runs, signedRow, 'signedBy'), 'ops: bob; security: carol');
      assert.equal(col(runs, byId.get(ids.waiting!)!, 'status'), 'awaiting-signoff');
      assert.equal(fig(report, 'drills.passed').value, 1);
      assert.match(fig(report, 'drills.passed').note ?? '', /1 awaiting sign-off/);
      // By hand: the drill.finish and drill.signoff events, and the snapshots the drills restored.
      const events = await log.query({ action: 'drill.*', limit: 100 });
      assert.deepEqual(
        fig(report, 'drills.runs').evidence.events,
        events.filter((e) => e.action === 'drill.finish' || e.action === 'drill.signoff').map((e) => e.seq),
      );
      const restored = await Promise.all(
        [ids.signed!, ids.waiting!].map(async (id) => (await s.session.catalog.drills.get(id))!.result!.items),
      );
      assert.deepEqual(
        fig(report, 'drills.runs').evidence.snapshots,
        [...new Set(restored.flat().map((i) => i.snapshotId!))].sort(),
      );
      assert.deepEqual(fig(report, 'drills.passed').evidence.snapshots, restored[0]!.map((i) => i.snapshotId!).sort());
    });

    it('failures and alerts: backup-failed alerts and the failed scheduled run, alerts per category', async () => {
      const backups = rows(report, 'failures.backups');
      assert.deepEqual(backups.rows.map((r) => col(backups, r, 'source')).sort(), [
        'backup-failed alert',
        'scheduled run',
      ]);
      assert.ok(backups.rows.some((r) => col(backups, r, 'error') === 'source unreachable'));
      const cats = rows(report, 'failures.alerts-by-category');
      assert.deepEqual(cats.rows, [
        ['coverage', 1, 1, 0, 0],
        ['failure', 1, 0, 0, 1],
      ]);
      // By hand: every event of the month that failed.
      const failed = (await log.query({ result: 'failed', limit: 1000 })).filter((e) => e.time.startsWith(month));
      assert.deepEqual(
        fig(report, 'failures.failed-actions').evidence.events,
        failed.map((e) => e.seq).sort((a, b) => a - b),
      );
      assert.equal(fig(report, 'failures.failed-actions').value, failed.length);
      const raised = await log.query({ action: 'alert.raised', limit: 100 });
      assert.deepEqual(
        fig(report, 'failures.alerts-raised').evidence.events,
        raised.map((e) => e.seq),
      );
    });

    it("coverage.snapshots: exactly the month's snapshots in the catalog (by hand)", async () => {
      const all = await s.session.catalog.findSnapshots({});
      const inMonth = all
        .filter((x) => x.time.startsWith(month))
        .map((x) => x.id)
        .sort();
      assert.deepEqual(fig(report, 'coverage.snapshots').evidence.snapshots, inMonth);
      assert.equal(fig(report, 'coverage.snapshots').value, inMonth.length);
    });

    it('retention: a forget records what it removed with its retention date, and the figure reads it', async () => {
      const [event] = await log.query({ action: 'forget', limit: 10 });
      const removed = (event!.details.removed as Array<Record<string, unknown>>)[0]!;
      assert.deepEqual(Object.keys(removed).sort(), ['id', 'item', 'retainUntil', 'tier', 'time']);
      assert.equal(removed.id, ids.forgotten);
      assert.equal(removed.item, 'db');
      assert.equal(removed.tier, '1');
      const deletions = rows(report, 'retention.deletions');
      assert.equal(deletions.rows.length, 1);
      assert.equal(col(deletions, deletions.rows[0]!, 'snapshots'), 1);
      assert.deepEqual(fig(report, 'retention.deletions').evidence.snapshots, [ids.forgotten]);
      assert.deepEqual(fig(report, 'retention.deletions').evidence.events, [event!.seq]);
      const early = fig(report, 'retention.deleted-before-retention');
      assert.equal(early.value, 0);
      assert.match(early.note ?? '', /1 of 1 removed snapshots itemised/);
    });

    it('verify recomputes the same figures from the repository and the checkpoints', async () => {
      const g = await generateReport(s.session, policy, log, { month, format: 'json' });
      const v = await verifyReportFile(s.session, policy, g.bytes);
      assert.equal(v.ok, true, JSON.stringify(v.differences, null, 2));
    });
  });
}

describe('removalAuditDetails', () => {
  const decision = (n: number) => ({
    id: n.toString(16).padStart(64, '0'),
    item: 'payments-api-config',
    time: '2026-11-01T00:00:00.000Z',
    action: 'remove' as const,
    reasons: ['x'],
    retainUntil: '2026-11-02T00:00:00.000Z',
    tier: 'gold',
  });
  const result = (n: number, dryRun = false): ForgetResult => ({
    dryRun,
    decisions: Array.from({ length: n }, (_, i) => decision(i)),
    removed: n,
    retained: 0,
  });

  it('itemises what fits in about 5 KB and counts the rest; nothing for a dry run or an empty forget', () => {
    const few = removalAuditDetails(result(3));
    assert.equal((few.removed as unknown[]).length, 3);
    assert.equal(few.removedCount, 3);
    assert.equal(few.removedOmitted, undefined);
    const many = removalAuditDetails(result(5000));
    const listed = (many.removed as unknown[]).length;
    assert.ok(listed > 10 && listed < 5000);
    assert.equal(many.removedCount, 5000);
    assert.equal(many.removedOmitted, 5000 - listed);
    assert.ok(Buffer.byteLength(JSON.stringify(many)) < 6000);
    assert.deepEqual(removalAuditDetails(result(3, true)), {});
    assert.deepEqual(removalAuditDetails(result(0)), {});
  });
});
