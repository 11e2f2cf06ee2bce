import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { catalogTargets } from '../catalog/test-support.js';
import type { AuditEvent } from './event.js';
import { type AuditForwarder, forwardTo } from './forwarder.js';
import { Outbox, retryDelay } from './outbox.js';
import { auditFixture, input, recordMany } from './test-support.js';

/** A SIEM that can be down, and that dedupes by seq as receivers are told to. */
class FakeSiem implements AuditForwarder {
  down = false;
  failures = 0;
  readonly arrivals: number[] = [];
  rewind: (fromSeq: number) => void = () => {};
  duringSend: ((events: readonly AuditEvent[]) => void) | undefined;

  async send(events: readonly AuditEvent[]): Promise<void> {
    await delay(1);
    if (this.down) {
      this.failures += 1;
      throw new Error('connection refused');
    }
    this.arrivals.push(...events.map((e) => e.seq));
    this.duringSend?.(events);
  }

  onLost(rewind: (fromSeq: number) => void): void {
    this.rewind = rewind;
  }

  /** Seqs in order of first arrival. */
  get deduped(): number[] {
    return [...new Set(this.arrivals)];
  }
}

const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await check()) return;
    await delay(10);
  }
  assert.fail(`timed out waiting until ${what}`);
}

describe('retryDelay', () => {
  it('doubles from the initial delay and stops at the cap', () => {
    const backoff = { initialMs: 500, maxMs: 60_000 };
    assert.deepEqual(
      [1, 2, 3, 4, 7, 8, 9, 100].map((n) => retryDelay(n, backoff)),
      [500, 1000, 2000, 4000, 32_000, 60_000, 60_000, 60_000],
    );
  });
});

for (const target of catalogTargets) {
  describe(`Outbox on ${target.dialect}`, () => {
    it('sends every event in seq order, in batches, and moves the cursor after each', async (t) => {
      const f = await auditFixture(t, target);
      await recordMany(f, 7);
      const siem = new FakeSiem();
      const outbox = new Outbox({ store: f.catalog.audit, sinks: { splunk: siem }, batchSize: 3 });
      assert.equal(await outbox.deliverOnce('splunk'), 3);
      assert.equal(await f.catalog.audit.getCursor('siem:splunk'), 3);
      assert.equal(await outbox.drain('splunk'), 4);
      assert.deepEqual(siem.arrivals, upTo(7));
      assert.equal(await outbox.drain('splunk'), 0);
      await assert.rejects(outbox.deliverOnce('nope'), /no audit sink named "nope"/);
    });

    it('loses nothing through an outage while events keep coming, and retries with backoff', async (t) => {
      const f = await auditFixture(t, target);
      const siem = new FakeSiem();
      const attempts: number[] = [];
      const outbox = new Outbox({
        store: f.catalog.audit,
        sinks: { syslog: siem },
        batchSize: 4,
        pollMs: 5,
        backoff: { initialMs: 1, maxMs: 8 },
        onError: (_sink, _err, attempt) => attempts.push(attempt),
      });
      f.log.onRecord(() => outbox.poke());
      outbox.start();
      t.after(() => outbox.stop());
      await recordMany(f, 5);
      await until(() => siem.arrivals.length >= 5, 'the first events arrived');
      siem.down = true;
      for (let i = 6; i <= 30; i++) await f.log.record(input(i));
      await until(() => siem.failures >= 6, 'several sends failed');
      assert.equal(await f.catalog.audit.getCursor('siem:syslog'), 5, 'the cursor waits for the SIEM');
      siem.down = false;
      for (let i = 31; i <= 40; i++) await f.log.record(input(i));
      await until(async () => (await f.catalog.audit.getCursor('siem:syslog')) === 40, 'the SIEM caught up');
      await outbox.stop();
      assert.deepEqual(siem.deduped, upTo(40));
      assert.deepEqual(attempts.slice(0, 3), [1, 2, 3]);
    });

    it('sends again from where a forwarder says its connection dropped, even mid-send', async (t) => {
      const f = await auditFixture(t, target);
      await recordMany(f, 10);
      const siem = new FakeSiem();
      const outbox = new Outbox({ store: f.catalog.audit, sinks: { syslog: siem }, batchSize: 4 });
      await outbox.deliverOnce('syslog');
      siem.rewind(3); // the TCP connection died with 3 and 4 in its buffer
      assert.equal(await outbox.deliverOnce('syslog'), 4);
      assert.deepEqual(siem.arrivals, [1, 2, 3, 4, 3, 4, 5, 6]);
      siem.duringSend = () => {
        siem.duringSend = undefined;
        siem.rewind(6);
      };
      await outbox.drain('syslog');
      assert.deepEqual(siem.arrivals.slice(8), [7, 8, 9, 10, 6, 7, 8, 9, 10]);
      assert.deepEqual(siem.deduped, upTo(10));
      assert.equal(await f.catalog.audit.getCursor('siem:syslog'), 10);
    });

    it('keeps a cursor per sink: one down does not hold the other; a restart resumes', async (t) => {
      const f = await auditFixture(t, target);
      await recordMany(f, 6);
      const up = new FakeSiem();
      const down = new FakeSiem();
      down.down = true;
      const outbox = new Outbox({ store: f.catalog.audit, sinks: { up, down }, batchSize: 10 });
      await outbox.drain('up');
      await assert.rejects(outbox.drain('down'), /connection refused/);
      assert.deepEqual(up.arrivals, upTo(6));
      await recordMany(f, 2);
      const again = new FakeSiem();
      await new Outbox({ store: f.catalog.audit, sinks: { up: again } }).drain('up');
      assert.deepEqual(again.arrivals, [7, 8]);
    });

    it('stops promptly, even in the middle of a long backoff', async (t) => {
      const f = await auditFixture(t, target);
      await recordMany(f, 1);
      const siem = new FakeSiem();
      siem.down = true;
      const outbox = new Outbox({
        store: f.catalog.audit,
        sinks: { s: siem },
        backoff: { initialMs: 60_000, maxMs: 60_000 },
      });
      outbox.start();
      await until(() => siem.failures === 1, 'the first send failed');
      const started = Date.now();
      await outbox.stop();
      assert.ok(Date.now() - started < 1000);
    });
  });
}

describe('forwardTo', () => {
  it('hands a text transport each event formatted, and passes its losses back as rewinds', async () => {
    const sent: Array<{ seq: number; text: string }> = [];
    let lost: (fromSeq: number) => void = () => {};
    const forwarder = forwardTo(
      {
        send: async (messages) => {
          sent.push(...messages);
        },
        onLost: (listener) => {
          lost = listener;
        },
      },
      (e) => `#${e.seq} ${e.action}`,
    );
    const rewinds: number[] = [];
    forwarder.onLost?.((from) => rewinds.push(from));
    await forwarder.send([{ seq: 7, action: 'restore.run' } as AuditEvent]);
    lost(7);
    assert.deepEqual(sent, [{ seq: 7, text: '#7 restore.run' }]);
    assert.deepEqual(rewinds, [7]);
  });
});
