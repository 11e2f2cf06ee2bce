import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { sql } from 'kysely';
import { catalogTargets } from '../catalog/test-support.js';
import { parseCheckpoint, signCheckpoint } from './checkpoint-format.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { type AuditEvent, eventHash, GENESIS_HASH } from './event.js';
import { type AuditFixture, auditFixture, input, insertRow, recordMany, setHead, setSeq } from './test-support.js';
import { verifyAudit } from './verify.js';
import type { AuditProblem } from './verify-types.js';

for (const target of catalogTargets) {
  describe(`verifyAudit on ${target.dialect}`, () => {
    /** 12 events; checkpoints at 5 and 10. */
    async function trail(t: TestContext): Promise<AuditFixture & { events: AuditEvent[] }> {
      const f = await auditFixture(t, target, { settings: { checkpointEvery: { events: 5, minutes: 60 } } });
      return { ...f, events: await recordMany(f, 12) };
    }

    const withCheckpoints = (f: AuditFixture, checkpoints: CheckpointStore = f.checkpoints) =>
      verifyAudit({ store: f.catalog.audit, checkpoints });
    const chainOnly = (f: AuditFixture) => verifyAudit({ store: f.catalog.audit });

    async function assertBad(
      result: Promise<{ firstBad?: { seq: number; problem: AuditProblem } }>,
      seq: number,
      problem: AuditProblem,
    ) {
      const { firstBad } = await result;
      assert.deepEqual(firstBad && { seq: firstBad.seq, problem: firstBad.problem }, { seq, problem });
    }

    /** The attacker with database access who also recomputes every hash and the head. */
    async function rewriteChain(f: AuditFixture, change: (events: AuditEvent[]) => AuditEvent[]): Promise<void> {
      const events = change(await f.catalog.audit.range(0, 1000));
      await sql`delete from audit_events`.execute(f.db);
      let prevHash = GENESIS_HASH;
      for (const [i, e] of events.entries()) {
        const body = { ...e, seq: i + 1, prevHash };
        prevHash = eventHash(body);
        await insertRow(f.db, { ...body, hash: prevHash });
      }
      await setHead(f.db, events.length, prevHash);
    }

    it('passes an untouched trail, with and without checkpoints', async (t) => {
      const f = await trail(t);
      assert.deepEqual(await withCheckpoints(f), { ok: true, events: 12, checkpoints: 2, contentsChecked: true });
      assert.deepEqual(await chainOnly(f), { ok: true, events: 12, checkpoints: 0, contentsChecked: false });
    });

    it('passes a trail written by concurrent requests', async (t) => {
      const f = await auditFixture(t, target, { settings: { checkpointEvery: { events: 4, minutes: 60 } } });
      await Promise.all(Array.from({ length: 30 }, (_, i) => f.log.record(input(i))));
      const result = await withCheckpoints(f);
      assert.equal(result.ok, true, JSON.stringify(result.firstBad));
      assert.equal(result.events, 30);
    });

    it('names an edited event', async (t) => {
      const f = await trail(t);
      await sql`update audit_events set target = ${'haproxy'} where seq = 7`.execute(f.db);
      await assertBad(chainOnly(f), 7, 'edited');
      await assertBad(withCheckpoints(f), 7, 'edited');
    });

    it('names an edited event whose own hash was recomputed', async (t) => {
      const f = await trail(t);
      const [row] = await f.catalog.audit.range(6, 1);
      const edited = { ...row!, result: 'denied' as const };
      await sql`update audit_events set result = 'denied', hash = ${eventHash(edited)} where seq = 7`.execute(f.db);
      await assertBad(chainOnly(f), 7, 'edited');
    });

    it('names a deleted event, with or without the later ones renumbered', async (t) => {
      const f = await trail(t);
      await sql`delete from audit_events where seq = 7`.execute(f.db);
      await assertBad(chainOnly(f), 7, 'deleted');
      await assertBad(withCheckpoints(f), 7, 'deleted');
      for (let s = 8; s <= 12; s++) await setSeq(f.db, s, s - 1);
      await setHead(f.db, 11, f.events[11]!.hash);
      await assertBad(chainOnly(f), 7, 'deleted');
      await assertBad(withCheckpoints(f), 7, 'deleted');
    });

    it('names an inserted event, even one with a valid hash linked to its predecessor', async (t) => {
      const f = await trail(t);
      for (let s = 12; s >= 7; s--) await setSeq(f.db, s, s + 1);
      const body = { ...f.events[5]!, id: '00000000-0000-4000-8000-000000000000', seq: 7, prevHash: f.events[5]!.hash };
      await insertRow(f.db, { ...body, action: 'token.create', hash: eventHash({ ...body, action: 'token.create' }) });
      await setHead(f.db, 13, f.events[11]!.hash);
      await assertBad(chainOnly(f), 7, 'inserted');
      await assertBad(withCheckpoints(f), 7, 'inserted');
    });

    it('names an event appended behind the log’s back', async (t) => {
      const f = await trail(t);
      const body = {
        ...f.events[11]!,
        id: '00000000-0000-4000-8000-000000000001',
        seq: 13,
        prevHash: f.events[11]!.hash,
      };
      await insertRow(f.db, { ...body, hash: eventHash(body) });
      await assertBad(chainOnly(f), 13, 'inserted');
    });

    it('names two swapped events', async (t) => {
      const f = await trail(t);
      await setSeq(f.db, 7, -1);
      await setSeq(f.db, 8, 7);
      await setSeq(f.db, -1, 8);
      await assertBad(chainOnly(f), 7, 'reordered');
      await assertBad(withCheckpoints(f), 7, 'reordered');
    });

    it('names a truncated tail: from the head row, or from a checkpoint when the head was reset too', async (t) => {
      const f = await trail(t);
      await sql`delete from audit_events where seq > 8`.execute(f.db);
      await assertBad(chainOnly(f), 9, 'truncated');
      await setHead(f.db, 8, f.events[7]!.hash);
      assert.equal((await chainOnly(f)).ok, true, 'the chain alone cannot see it');
      await assertBad(withCheckpoints(f), 9, 'truncated');
    });

    it('catches a whole chain recomputed after an edit or a deletion, by the checkpoints', async (t) => {
      const f = await trail(t);
      await rewriteChain(f, (events) => events.map((e) => (e.seq === 3 ? { ...e, identity: 'oidc:mallory@acme' } : e)));
      assert.equal((await chainOnly(f)).ok, true, 'the chain alone cannot see it');
      await assertBad(withCheckpoints(f), 3, 'edited');
      await rewriteChain(f, (events) => events.filter((e) => e.seq !== 8));
      await assertBad(withCheckpoints(f), 3, 'edited');
      await rewriteChain(f, (events) => events.map((e) => (e.seq === 3 ? f.events[2]! : e)));
      await assertBad(withCheckpoints(f), 8, 'deleted');
    });

    it('without the repository key, still catches a recomputed chain at the checkpoint', async (t) => {
      const f = await trail(t);
      await rewriteChain(f, (events) => events.map((e) => (e.seq === 7 ? { ...e, target: 'x' } : e)));
      // An auditor's view: checkpoints and the pinned key, but nothing that opens their events.
      const readOnly: CheckpointStore = {
        put: (n, b, r) => f.checkpoints.put(n, b, r),
        list: () => f.checkpoints.list(),
        get: (n) => f.checkpoints.get(n),
        signingKey: () => f.checkpoints.signingKey(),
        publicKey: () => f.checkpoints.publicKey(),
        sealEvents: (p) => f.checkpoints.sealEvents(p),
      };
      const result = await withCheckpoints(f, readOnly);
      assert.equal(result.contentsChecked, false);
      await assertBad(Promise.resolve(result), 6, 'checkpoint-mismatch');
    });

    it('refuses a checkpoint not signed by the pinned key, or altered after signing', async (t) => {
      const f = await trail(t);
      const [first, second] = await f.checkpoints.list();
      const original = parseCheckpoint(first!, await f.checkpoints.get(first!));
      const { signature: _, ...body } = original;
      const forged = signCheckpoint(body, generateKeyPairSync('ed25519').privateKey);
      f.checkpoints.objects.set(first!, { bytes: Buffer.from(forged), retainUntil: new Date() });
      await assertBad(withCheckpoints(f), 5, 'bad-signature');
      const altered = JSON.stringify({
        ...parseCheckpoint(second!, await f.checkpoints.get(second!)),
        hash: 'f'.repeat(64),
      });
      f.checkpoints.objects.set(second!, { bytes: Buffer.from(altered), retainUntil: new Date() });
      f.checkpoints.objects.delete(first!);
      await assertBad(withCheckpoints(f), 10, 'bad-signature');
      f.checkpoints.objects.set(first!, { bytes: Buffer.from('not json'), retainUntil: new Date() });
      await assertBad(withCheckpoints(f), 5, 'unreadable-checkpoint');
    });

    it('names a checkpoint whose predecessor is gone, and a head that disagrees', async (t) => {
      const f = await trail(t);
      const [first] = await f.checkpoints.list();
      f.checkpoints.objects.delete(first!);
      await assertBad(withCheckpoints(f), 6, 'checkpoint-missing');
      await setHead(f.db, 12, GENESIS_HASH);
      await assertBad(chainOnly(f), 12, 'head-mismatch');
    });

    it('refuses checkpoints when no public key is pinned', async (t) => {
      const f = await trail(t);
      const unpinned: CheckpointStore = Object.assign(Object.create(f.checkpoints) as CheckpointStore, {
        publicKey: async () => undefined,
      });
      await assertBad(withCheckpoints(f, unpinned), 5, 'bad-signature');
    });
  });
}
