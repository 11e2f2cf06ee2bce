import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catalogTargets } from '../../catalog/test-support.js';
import { CANARY_ITEM } from '../../policy/index.js';
import { forgetSnapshots } from '../forget.js';
import { generateReport } from './generate.js';
import { parseReportFile } from './parse-file.js';
import { figureHtml } from './render-html.js';
import { reportWorld } from './test-support.js';
import type { Figure, ReportTable } from './types.js';
import { verifyReportFile } from './verify.js';

const now = new Date('2026-12-05T00:00:00Z');
const sqlite = catalogTargets.find((t) => t.dialect === 'sqlite')!;
const fig = (figures: readonly Figure[], id: string) => figures.find((f) => f.id === id)!;

describe('report: the canary, drills not measured, failed scheduled runs', () => {
  it("leaves the canary's snapshots out, and still verifies once the canary forgot them", async () => {
    const w = await reportWorld(sqlite);
    try {
      const api = await w.snapshot('api', '2026-11-03T06:00:00.000Z');
      const canary = [
        await w.snapshot(CANARY_ITEM, '2026-11-04T06:00:00.000Z'),
        await w.snapshot(CANARY_ITEM, '2026-11-05T06:00:00.000Z'),
      ];
      await w.verification(canary[0]!, CANARY_ITEM, '2026-11-04T07:00:00.000Z');
      w.setClock(now.toISOString());
      const g = await generateReport(w, w.policy, w.log, { month: '2026-11', format: 'json', now });
      const figures = g.signed.report.figures;
      assert.equal(fig(figures, 'coverage.snapshots').value, 1);
      assert.deepEqual(fig(figures, 'coverage.snapshots').evidence.snapshots, [api]);
      for (const f of figures) {
        for (const id of canary) assert.ok(!f.evidence.snapshots.includes(id), `${f.id} names a canary snapshot`);
        if (typeof f.value === 'object' && 'rows' in f.value)
          assert.ok(!JSON.stringify(f.value).includes(CANARY_ITEM), `${f.id} has a canary row`);
      }
      assert.equal((await verifyReportFile(w, w.policy, g.bytes)).ok, true);
      await forgetSnapshots(w.repo, w.catalog, canary, {});
      const r = await verifyReportFile(w, w.policy, g.bytes);
      assert.equal(r.ok, true, JSON.stringify(r.differences));
    } finally {
      await w.close();
    }
  });

  it('a drill whose SLA was not measured is null ("not measured"), counted neither within nor outside', async () => {
    const w = await reportWorld(sqlite);
    try {
      await w.event('2026-11-08T00:00:00.000Z', {
        action: 'drill.finish',
        target: 'dr-1',
        details: { plan: 'q', status: 'passed', rtoMs: 1000, rtoSlaMs: 3_600_000, rpoMs: null, withinSla: true },
      });
      // As services/drill records a drill whose items were never snapshotted: withinSla null, SLAs known.
      await w.event('2026-11-09T00:00:00.000Z', {
        action: 'drill.finish',
        target: 'dr-2',
        result: 'failed',
        details: {
          plan: 'q',
          status: 'failed',
          rtoMs: 5,
          rtoSlaMs: 3_600_000,
          rpoMs: null,
          rpoSlaMs: 86_400_000,
          withinSla: null,
        },
      });
      // An older record without the field: an unmeasured RPO is not a breach.
      await w.event('2026-11-10T00:00:00.000Z', {
        action: 'drill.finish',
        target: 'dr-3',
        details: { plan: 'q', status: 'passed', rpoSlaMs: 86_400_000 },
      });
      w.setClock(now.toISOString());
      const g = await generateReport(w, w.policy, w.log, { month: '2026-11', format: 'html', now });
      const runs = fig(g.signed.report.figures, 'drills.runs');
      const rows = (runs.value as ReportTable).rows;
      assert.deepEqual(
        rows.map((r) => [r[0], r[8]]),
        [
          ['dr-1', true],
          ['dr-2', null],
          ['dr-3', null],
        ],
      );
      const within = fig(g.signed.report.figures, 'drills.within-sla');
      assert.equal(within.value, 1);
      assert.equal(within.note, '1 of 1 measured against an SLA (3 drills; 2 not measured)');
      assert.match(figureHtml(runs), /not measured/);
      assert.equal((await verifyReportFile(w, w.policy, g.bytes)).ok, true);
    } finally {
      await w.close();
    }
  });

  it("failures.backups takes a failed scheduled run's error from its event's details", async () => {
    const w = await reportWorld(sqlite);
    try {
      await w.event('2026-11-08T00:00:00.000Z', {
        action: 'schedule.run',
        target: 'nightly',
        result: 'failed',
        details: { slot: 's1', error: { code: 'CAIRN_E_SOURCE', message: 'source unreachable' } },
      });
      await w.event('2026-11-09T00:00:00.000Z', {
        action: 'schedule.run',
        target: 'nightly',
        result: 'failed',
        details: {
          slot: 's2',
          items: [
            { item: 'api', status: 'created', snapshot: 'a'.repeat(64) },
            { item: 'db', status: 'failed', snapshot: null, error: { code: 'CAIRN_E_SOURCE', message: 'no such dir' } },
          ],
        },
      });
      await w.event('2026-11-10T00:00:00.000Z', { action: 'schedule.run', target: 'nightly', result: 'failed' });
      w.setClock(now.toISOString());
      const g = await generateReport(w, w.policy, w.log, { month: '2026-11', format: 'json', now });
      const rows = (fig(parseReportFile(g.bytes).signed.report.figures, 'failures.backups').value as ReportTable).rows;
      assert.deepEqual(
        rows.map((r) => r[4]),
        // The audit log drops a key named "code" (audit/sanitize.ts): the message is what is recorded.
        ['source unreachable', 'db: no such dir', null],
      );
    } finally {
      await w.close();
    }
  });
});
