import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openCatalog } from '../catalog/index.js';
import { catalogTargets } from '../catalog/test-support.js';
import type { Policy } from '../policy/index.js';
import { failuresInARow, scheduleStatus } from './schedule-status.js';

const policy = {
  tiers: { 2: { name: '2', schedule: { cron: '0 * * * *', timezone: 'UTC', maintenanceWindowsOnly: false } } },
  environments: {},
  items: [{ name: 'app', tier: '2', owner: 'ops', sources: [], requires: [], bundleWith: [] }],
  drills: [],
  alerts: { lateAfterMs: 3_600_000, escalateAfterMs: 3_600_000 },
} as unknown as Policy;

describe('failuresInARow', () => {
  it('counts failed runs newest first up to the first ok, passing over unfinished and skipped slots', () => {
    const runs = (...s: string[]) => s.map((status) => ({ status }) as { status: 'ok' });
    assert.equal(failuresInARow(runs()), 0);
    assert.equal(failuresInARow(runs('ok', 'failed')), 0);
    assert.equal(failuresInARow(runs('failed')), 1);
    assert.equal(failuresInARow(runs('running', 'failed', 'skipped', 'failed', 'ok', 'failed')), 2);
  });
});

for (const target of catalogTargets) {
  describe(`scheduleStatus (${target.dialect})`, () => {
    it('says failed, with the count in a row, when the latest finished run failed; ok once a run succeeds', async (t) => {
      const { options, remove } = await target.fresh();
      const catalog = await openCatalog(options);
      t.after(async () => {
        await catalog.close();
        await remove();
      });
      const finish = async (slot: string, status: 'ok' | 'failed') => {
        await catalog.schedules.claim('tier:2', slot, 'h:1:x', { dueAt: slot, at: new Date(slot) });
        await catalog.schedules.markStarted('tier:2', slot, 'h:1:x', new Date(slot));
        assert.equal(await catalog.schedules.markFinished('tier:2', slot, 'h:1:x', status, {}, new Date(slot)), true);
      };
      const view = async (now: string) => (await scheduleStatus(catalog, policy, new Date(now))).schedules[0]!;

      await finish('2026-01-01T00:00:00.000Z', 'failed');
      let v = await view('2026-01-01T00:30:00.000Z');
      assert.deepEqual([v.key, v.lastSuccess, v.late, v.failures, v.state], ['tier:2', null, false, 1, 'failed']);
      await finish('2026-01-01T01:00:00.000Z', 'failed');
      await finish('2026-01-01T02:00:00.000Z', 'failed');
      v = await view('2026-01-01T02:30:00.000Z');
      assert.deepEqual([v.failures, v.state], [3, 'failed']);
      await finish('2026-01-01T03:00:00.000Z', 'ok');
      v = await view('2026-01-01T03:30:00.000Z');
      assert.deepEqual([v.failures, v.state], [0, 'ok']);
    });
  });
}
