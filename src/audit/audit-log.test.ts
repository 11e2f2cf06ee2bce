import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { catalogTargets } from '../catalog/test-support.js';
import { isCairnError } from '../errors/index.js';
import { parseCheckpoint, publicKeyText, signatureValid } from './checkpoint-format.js';
import { eventLine, GENESIS_HASH, hashMatches } from './event.js';
import { DEFAULT_AUDIT_RETENTION_MS } from './settings.js';
import { auditFixture, input, recordMany } from './test-support.js';

const hour = 3_600_000;
const every = (events: number, minutes = 60) => ({ checkpointEvery: { events, minutes } });

for (const target of catalogTargets) {
  describe(`AuditLog on ${target.dialect}`, () => {
    it('records chained events with every field, defaults filled and secrets removed', async (t) => {
      const f = await auditFixture(t, target);
      const first = await f.log.record(input(1, { details: { reason: 'deploy', token: 'cairn_s3cr3t' } }));
      const second = await f.log.record({ identity: 'local:root@host', action: 'snapshots.search', result: 'allowed' });
      assert.equal(first.seq, 1);
      assert.match(first.id, /^[0-9a-f-]{36}$/);
      assert.equal(first.time, '2026-11-02T09:00:00.000Z');
      assert.equal(first.prevHash, GENESIS_HASH);
      assert.deepEqual(first.details, { reason: 'deploy' });
      assert.ok(hashMatches(first) && hashMatches(second));
      assert.equal(second.prevHash, first.hash);
      assert.deepEqual(
        [second.roles, second.ip, second.userAgent, second.target, second.changeId, second.approvalId],
        [[], null, null, null, null, null],
      );
      assert.deepEqual(await f.log.query({ order: 'newest' }), [second, first]);
      assert.equal(await f.log.count({ identity: 'local:root@host' }), 1);
      assert.deepEqual(await f.log.head(), { seq: 2, hash: second.hash });
    });

    it('fails closed with CAIRN_E_AUDIT, carrying the cause, when the event cannot be written', async (t) => {
      const f = await auditFixture(t, target);
      await f.log.record(input(1));
      const invalid = f.log.record(input(2, { action: 'Snapshot Create' }));
      await assert.rejects(
        invalid,
        (err) => isCairnError(err, 'CAIRN_E_AUDIT') && isCairnError(err.cause, 'CAIRN_E_USAGE'),
      );
      await assert.rejects(
        f.log.record(
          input(2, { details: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'x'.repeat(1000)])) }),
        ),
        /details/,
      );
      assert.equal(await f.log.count({}), 1);
      await f.catalog.close();
      await assert.rejects(f.log.record(input(3)), (err) => {
        assert.ok(isCairnError(err, 'CAIRN_E_AUDIT'));
        assert.match(err.message, /snapshot\.create could not be written, so the action was refused/);
        assert.ok(err.cause instanceof Error);
        assert.equal(err.httpStatus, 503);
        return true;
      });
    });

    it('keeps a long user agent short instead of refusing the action', async (t) => {
      const f = await auditFixture(t, target);
      const event = await f.log.record(input(1, { userAgent: 'x'.repeat(5000) }));
      assert.equal(event.userAgent?.length, 512);
    });

    it('writes a signed checkpoint every N events, sealing the events since the previous one', async (t) => {
      const f = await auditFixture(t, target, { settings: every(3) });
      const events = await recordMany(f, 7);
      const rows = await f.catalog.audit.checkpoints();
      assert.deepEqual(
        rows.map((r) => [r.seq, r.hash]),
        [
          [3, events[2]!.hash],
          [6, events[5]!.hash],
        ],
      );
      const names = await f.checkpoints.list();
      assert.deepEqual(
        names,
        rows.map((r) => r.objectKey),
      );
      assert.match(names[0]!, /^audit\/000000000003-\d{13}$/);
      const { publicKey } = await f.checkpoints.signingKey();
      const [one, two] = await Promise.all(names.map(async (n) => parseCheckpoint(n, await f.checkpoints.get(n))));
      assert.ok(one && two && signatureValid(one, publicKey) && signatureValid(two, publicKey));
      assert.equal(one.publicKey, publicKeyText(publicKey));
      assert.deepEqual([one.firstSeq, one.prevCheckpoint, two.firstSeq, two.prevCheckpoint], [1, null, 4, names[0]]);
      const sealed = Buffer.from(one.events, 'base64');
      assert.ok(!sealed.toString('latin1').includes('ci-bot'), 'identities are not in the clear');
      const opened = Buffer.from(await f.checkpoints.openEvents(sealed)).toString();
      assert.equal(opened, events.slice(0, 3).map(eventLine).join('\n'));
      const retained = f.checkpoints.objects.get(names[0]!)!.retainUntil.getTime();
      assert.equal(retained, Date.parse(one.time) + DEFAULT_AUDIT_RETENTION_MS);
    });

    it('writes one after M minutes when fewer than N events came, and one an hour when idle', async (t) => {
      const f = await auditFixture(t, target, { settings: { ...every(1000, 60), retentionMs: 7 * hour } });
      await recordMany(f, 2);
      assert.equal(await f.log.checkpointIfDue(), undefined);
      f.clock.advance(hour);
      const [third] = await recordMany(f, 1);
      const first = await f.catalog.audit.lastCheckpoint();
      assert.deepEqual([first?.seq, first?.hash], [3, third?.hash]);
      assert.equal(
        f.checkpoints.objects.get(first!.objectKey)!.retainUntil.getTime(),
        Date.parse(first!.time) + 7 * hour,
      );

      f.clock.advance(hour - 1);
      assert.equal(await f.log.checkpointIfDue(), undefined, 'not yet due');
      f.clock.advance(1);
      const idle = await f.log.checkpointIfDue();
      assert.deepEqual([idle?.seq, idle?.hash], [3, third?.hash]);
      assert.notEqual(idle?.objectKey, first?.objectKey);
      const body = parseCheckpoint(idle!.objectKey, await f.checkpoints.get(idle!.objectKey));
      assert.deepEqual([body.firstSeq, body.prevCheckpoint], [4, first?.objectKey]);
      assert.equal(Buffer.from(await f.checkpoints.openEvents(Buffer.from(body.events, 'base64'))).length, 0);
      f.clock.advance(hour);
      await f.log.checkpointIfDue();
      assert.equal((await f.checkpoints.list()).length, 3);
    });

    it('writes the first idle checkpoint an hour after start, even with no events at all', async (t) => {
      const f = await auditFixture(t, target);
      assert.equal(await f.log.checkpointIfDue(), undefined);
      f.clock.advance(hour);
      const row = await f.log.checkpointIfDue();
      assert.deepEqual([row?.seq, row?.hash], [0, GENESIS_HASH]);
    });

    it('keeps recording when a checkpoint cannot be written, and writes it once it can', async (t) => {
      const errors: unknown[] = [];
      const f = await auditFixture(t, target, { settings: every(2), onError: (err) => errors.push(err) });
      const put = f.checkpoints.put.bind(f.checkpoints);
      f.checkpoints.put = async () => {
        throw new Error('repository unreachable');
      };
      await recordMany(f, 3);
      assert.equal(errors.length, 2);
      assert.equal(await f.catalog.audit.lastCheckpoint(), undefined);
      f.checkpoints.put = put;
      await recordMany(f, 1);
      assert.equal((await f.catalog.audit.lastCheckpoint())?.seq, 4);
    });

    it('checks for a due checkpoint on a timer', async (t) => {
      const f = await auditFixture(t, target);
      f.log.startTimer(5);
      f.clock.advance(hour);
      for (let i = 0; i < 200 && (await f.checkpoints.list()).length === 0; i++) await delay(10);
      f.log.stopTimer();
      assert.equal((await f.checkpoints.list()).length, 1);
    });

    it('tells listeners about every recorded event; a failing listener fails nothing', async (t) => {
      const errors: unknown[] = [];
      const f = await auditFixture(t, target, { onError: (err) => errors.push(err) });
      const seen: number[] = [];
      const stop = f.log.onRecord((e) => seen.push(e.seq));
      f.log.onRecord(() => {
        throw new Error('listener bug');
      });
      await recordMany(f, 2);
      stop();
      await recordMany(f, 1);
      assert.deepEqual(seen, [1, 2]);
      assert.equal(errors.length, 3);
    });
  });
}
