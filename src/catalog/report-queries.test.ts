import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { GENESIS_HASH } from '../audit/index.js';
import type { KyselyAuditStore } from './audit-store.js';
import type { AuditEventRecord } from './audit-types.js';
import { openCatalog } from './index.js';
import { isReportEvent } from './report-queries.js';
import { catalogTargets, hexId, snapshotRecord, verificationRecord } from './test-support.js';
import type { Catalog } from './types.js';

const rawDb = (c: Catalog) => (c.audit as KyselyAuditStore).db;
const since = '2026-11-01T00:00:00.000Z';
const until = '2026-12-01T00:00:00.000Z';

let seq = 0;
let prevHash = GENESIS_HASH;
function event(
  time: string,
  action: string,
  result: AuditEventRecord['result'] = 'ok',
  approvalId: string | null = null,
): (h: { seq: number; hash: string }) => AuditEventRecord {
  return (head) => {
    seq = head.seq + 1;
    prevHash = head.hash;
    return {
      seq,
      id: `ev-${seq}`,
      time,
      identity: 'local:alice@host',
      roles: ['admin'],
      ip: null,
      userAgent: null,
      action,
      target: null,
      result,
      changeId: null,
      approvalId,
      details: { n: seq },
      prevHash,
      hash: hexId(`event ${seq} ${action}`),
    };
  };
}

for (const target of catalogTargets) {
  describe(`report queries (${target.dialect})`, () => {
    it("reads the month's snapshots, captures and events, filtered and counted by the database", async () => {
      const { options, remove } = await target.fresh();
      const catalog = await openCatalog(options);
      try {
        const before = snapshotRecord({ item: 'api', time: '2026-10-20T00:00:00.000Z' });
        const inMonth = snapshotRecord({
          item: 'api',
          time: '2026-11-02T00:00:00.000Z',
          retainUntil: '2026-11-09T00:00:00.000Z',
        });
        const after = snapshotRecord({ item: 'api', time: '2026-12-01T00:00:00.000Z' });
        for (const s of [before, inMonth, after]) await catalog.putSnapshot(s);
        const vOld = verificationRecord(before, { time: '2026-10-21T00:00:00.000Z' });
        const vOlder = verificationRecord(before, { time: '2026-10-20T12:00:00.000Z' });
        const vOtherEnv = verificationRecord(before, { time: '2026-10-19T00:00:00.000Z', environment: 'dev' });
        const vIn = verificationRecord(inMonth, { time: '2026-11-03T00:00:00.000Z' });
        const vAfter = verificationRecord(inMonth, { time: '2026-12-02T00:00:00.000Z' });
        for (const v of [vOld, vOlder, vOtherEnv, vIn, vAfter]) await catalog.putVerification(v);

        const snaps = await catalog.reports.snapshots(until);
        assert.deepEqual(
          snaps.map((s) => s.id),
          [before.id, inMonth.id],
        );
        assert.deepEqual(snaps[1], {
          id: inMonth.id,
          item: 'api',
          environment: 'prod',
          tier: 'gold',
          time: inMonth.time,
          status: 'complete',
          retainUntil: '2026-11-09T00:00:00.000Z',
        });
        const vs = await catalog.reports.verifications(since, until);
        assert.deepEqual(
          vs.map((v) => v.id),
          [vOtherEnv.id, vOld.id, vIn.id],
          'the newest before the month per (item, environment), then the month’s',
        );
        assert.deepEqual(
          (await catalog.reports.latestVerifications(until)).sort((a, b) => (a.snapshotId < b.snapshotId ? -1 : 1)),
          [
            { snapshotId: before.id, time: vOld.time },
            { snapshotId: inMonth.id, time: vIn.time },
          ].sort((a, b) => (a.snapshotId < b.snapshotId ? -1 : 1)),
        );

        const appended: AuditEventRecord[] = [];
        for (const [time, action, result, approval] of [
          ['2026-10-31T23:59:59.999Z', 'snapshots.create', 'failed', null],
          ['2026-11-01T00:00:00.000Z', 'snapshots.create', 'ok', null],
          ['2026-11-02T00:00:00.000Z', 'snapshots.create', 'failed', null],
          ['2026-11-03T00:00:00.000Z', 'alert.raised', 'ok', null],
          ['2026-11-04T00:00:00.000Z', 'alerts', 'ok', null], // not the alert. family
          ['2026-11-05T00:00:00.000Z', 'drill.finish', 'ok', null],
          ['2026-11-06T00:00:00.000Z', 'snapshots.search', 'ok', 'ap-1'],
          ['2026-11-07T00:00:00.000Z', 'forget', 'ok', null],
          ['2026-11-08T00:00:00.000Z', 'snapshots.search', 'denied', null],
          ['2026-11-30T23:59:59.999Z', 'forget', 'requested', 'ap-2'],
          ['2026-12-01T00:00:00.000Z', 'forget', 'ok', null],
        ] as const) {
          appended.push(await catalog.audit.append(event(time, action, result, approval)));
        }
        const events = await catalog.reports.events(since, until);
        const expected = appended.filter((e) => e.time >= since && e.time < until && isReportEvent(e));
        assert.deepEqual(
          events.map((e) => e.action),
          [
            'snapshots.create',
            'alert.raised',
            'drill.finish',
            'snapshots.search',
            'forget',
            'snapshots.search',
            'forget',
          ],
        );
        assert.deepEqual(
          events.map((e) => e.seq),
          expected.map((e) => e.seq),
          'the database filters as isReportEvent does',
        );
        assert.deepEqual(events[0]?.details, { n: appended[2]!.seq });
        const at = (i: number) => appended[i]!.seq;
        const of = (action: string, result: string) =>
          appended.find((e) => e.action === action && e.result === result && e.time >= since && e.time < until)!.seq;
        assert.deepEqual(await catalog.reports.eventCounts(since, until), [
          {
            action: 'alert.raised',
            result: 'ok',
            count: 1,
            first: of('alert.raised', 'ok'),
            last: of('alert.raised', 'ok'),
          },
          { action: 'alerts', result: 'ok', count: 1, first: of('alerts', 'ok'), last: of('alerts', 'ok') },
          {
            action: 'drill.finish',
            result: 'ok',
            count: 1,
            first: of('drill.finish', 'ok'),
            last: of('drill.finish', 'ok'),
          },
          { action: 'forget', result: 'ok', count: 1, first: of('forget', 'ok'), last: of('forget', 'ok') },
          {
            action: 'forget',
            result: 'requested',
            count: 1,
            first: of('forget', 'requested'),
            last: of('forget', 'requested'),
          },
          {
            action: 'snapshots.create',
            result: 'failed',
            count: 1,
            first: of('snapshots.create', 'failed'),
            last: of('snapshots.create', 'failed'),
          },
          {
            action: 'snapshots.create',
            result: 'ok',
            count: 1,
            first: of('snapshots.create', 'ok'),
            last: of('snapshots.create', 'ok'),
          },
          {
            action: 'snapshots.search',
            result: 'denied',
            count: 1,
            first: of('snapshots.search', 'denied'),
            last: of('snapshots.search', 'denied'),
          },
          {
            action: 'snapshots.search',
            result: 'ok',
            count: 1,
            first: of('snapshots.search', 'ok'),
            last: of('snapshots.search', 'ok'),
          },
        ]);
        // The chain's links checked by the database: whole, then a link broken, then a seq missing.
        const last = appended.at(-1)!;
        const whole = await catalog.reports.chainBreak({ seq: 0, hash: GENESIS_HASH }, last.seq, [at(4)]);
        assert.deepEqual(whole, { hashes: new Map([[at(4), appended[4]!.hash]]) });
        const wrongAnchor = await catalog.reports.chainBreak({ seq: 0, hash: 'f'.repeat(64) }, last.seq, []);
        assert.deepEqual(wrongAnchor.broken, { seq: 1, missing: false });
        await sql`UPDATE audit_events SET prev_hash = ${'e'.repeat(64)} WHERE seq = ${at(6)}`.execute(rawDb(catalog));
        assert.deepEqual((await catalog.reports.chainBreak({ seq: 0, hash: GENESIS_HASH }, last.seq, [])).broken, {
          seq: at(6),
          missing: false,
        });
        await sql`DELETE FROM audit_events WHERE seq = ${at(3)}`.execute(rawDb(catalog));
        assert.deepEqual((await catalog.reports.chainBreak({ seq: 0, hash: GENESIS_HASH }, last.seq, [])).broken, {
          seq: at(3),
          missing: true,
        });
        await sql`DELETE FROM audit_events WHERE seq = ${last.seq}`.execute(rawDb(catalog));
        assert.deepEqual(
          (await catalog.reports.chainBreak({ seq: at(5), hash: appended[5]!.hash }, last.seq, [])).broken,
          {
            seq: at(6),
            missing: false,
          },
        );
        assert.deepEqual(
          (await catalog.reports.chainBreak({ seq: at(6), hash: appended[6]!.hash }, last.seq, [])).broken,
          {
            seq: last.seq,
            missing: true,
          },
        );
        assert.deepEqual(await catalog.reports.events('2026-09-01T00:00:00.000Z', '2026-10-01T00:00:00.000Z'), []);
        assert.deepEqual(await catalog.reports.snapshots('2026-10-01T00:00:00.000Z'), []);
      } finally {
        await catalog.close();
        await remove();
      }
    });
  });
}
