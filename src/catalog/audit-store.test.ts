import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { describe, it, type TestContext } from 'node:test';
import { sql } from 'kysely';
import { isCairnError } from '../errors/index.js';
import type { KyselyAuditStore } from './audit-store.js';
import type { AuditEventRecord, AuditHead, Catalog, CatalogOptions } from './index.js';
import { openCatalog } from './index.js';
import { catalogTargets } from './test-support.js';

const zeros = '0'.repeat(64);

/** A stand-in for audit/'s event builder: the catalog only needs seq and prevHash to follow the head. */
function next(head: AuditHead, fields: Partial<AuditEventRecord> = {}): AuditEventRecord {
  const seq = head.seq + 1;
  return {
    seq,
    id: randomUUID(),
    time: new Date(Date.UTC(2026, 10, 1, 10, 0, seq)).toISOString(),
    identity: 'token:ci-bot',
    roles: ['operator'],
    ip: '10.0.0.7',
    userAgent: 'cairn-cli/0.1.0',
    action: 'snapshot.create',
    target: 'nginx',
    result: 'ok',
    changeId: 'CHG-1042',
    approvalId: null,
    details: {},
    prevHash: head.hash,
    hash: createHash('sha256').update(`${head.hash}${seq}`).digest('hex'),
    ...fields,
  };
}

function assertChained(events: readonly AuditEventRecord[], count: number): void {
  assert.deepEqual(
    events.map((e) => e.seq),
    Array.from({ length: count }, (_, i) => i + 1),
  );
  for (const [i, e] of events.entries()) assert.equal(e.prevHash, i === 0 ? zeros : events[i - 1]!.hash);
}

for (const target of catalogTargets) {
  describe(`audit store on ${target.dialect}`, () => {
    async function fresh(
      t: TestContext,
    ): Promise<{ catalog: Catalog; options: CatalogOptions; store: KyselyAuditStore }> {
      const { options, remove } = await target.fresh();
      t.after(remove);
      const catalog = await openCatalog(options);
      t.after(() => catalog.close());
      return { catalog, options, store: catalog.audit as KyselyAuditStore };
    }

    it('starts at seq 0 and the genesis hash, and returns an appended event exactly', async (t) => {
      const { store } = await fresh(t);
      assert.deepEqual(await store.head(), { seq: 0, hash: zeros });
      const details = { reason: 'pre-deploy "quoted" ü', nested: { list: [1, 2.5, null, true] } };
      const written = await store.append((head) => next(head, { details, ip: null, userAgent: null, target: null }));
      assert.deepEqual(await store.range(0, 10), [written]);
      assert.deepEqual(await store.head(), { seq: 1, hash: written.hash });
      assert.equal(await store.lastEventSeq(), 1);
    });

    it('refuses an event that does not follow the head, and a failed build leaves nothing', async (t) => {
      const { store } = await fresh(t);
      await store.append((head) => next(head));
      const head = await store.head();
      await assert.rejects(
        store.append((h) => next(h, { seq: h.seq + 2 })),
        (err) => isCairnError(err, 'CAIRN_E_CATALOG'),
      );
      await assert.rejects(
        store.append((h) => next(h, { prevHash: zeros })),
        (err) => isCairnError(err, 'CAIRN_E_CATALOG'),
      );
      await assert.rejects(
        store.append(() => {
          throw new Error('no');
        }),
        /no/,
      );
      assert.deepEqual(await store.head(), head);
      assert.equal((await store.range(0, 10)).length, 1);
    });

    it('fails when the head row is gone instead of starting a new chain', async (t) => {
      const { store } = await fresh(t);
      await store.db.deleteFrom('audit_head').execute();
      await assert.rejects(
        store.append((head) => next(head)),
        (err) => isCairnError(err, 'CAIRN_E_CATALOG'),
      );
    });

    it('keeps the chain gapless under 40 concurrent appends', async (t) => {
      const { store } = await fresh(t);
      await Promise.all(Array.from({ length: 40 }, () => store.append((head) => next(head))));
      assertChained(await store.range(0, 100), 40);
    });

    it('keeps the chain gapless when two processes append at once', async (t) => {
      const { options, store } = await fresh(t);
      // Each child opens the catalog, says "ready", and appends once told "go" on stdin, pausing a
      // little between appends so that neither can finish before the other has started.
      const child = `
        const { openCatalog } = await import(${JSON.stringify(new URL('./index.ts', import.meta.url).href)});
        const { createHash, randomUUID } = await import('node:crypto');
        const catalog = await openCatalog(JSON.parse(process.env.CATALOG));
        process.stdout.write('ready\\n');
        await new Promise((resolve) => process.stdin.once('data', resolve));
        for (let i = 0; i < 100; i++) {
          await catalog.audit.append((h) => ({ seq: h.seq + 1, id: randomUUID(), time: new Date().toISOString(),
            identity: 'local:root@' + process.pid, roles: [], ip: null, userAgent: null, action: 'snapshot.create',
            target: null, result: 'ok', changeId: null, approvalId: null, details: {}, prevHash: h.hash,
            hash: createHash('sha256').update(h.hash + (h.seq + 1)).digest('hex') }));
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        await catalog.close();
        process.exit(0);`;
      const env = { ...process.env, CATALOG: JSON.stringify(options) };
      const children = [0, 1].map(() =>
        spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], { env }),
      );
      const exits = children.map((c) => new Promise<number | null>((resolve) => c.on('exit', (code) => resolve(code))));
      await Promise.all(children.map((c) => once(c.stdout, 'data')));
      for (const c of children) c.stdin.write('go\n');
      assert.deepEqual(await Promise.all(exits), [0, 0]);
      const events = await store.range(0, 500);
      assertChained(events, 200);
      const turns = events.filter((e, i) => i > 0 && e.identity !== events[i - 1]!.identity).length;
      assert.ok(turns > 1, 'the two processes took turns');
    });

    it('filters by time, identity, action (exact or family), result and target; counts; pages', async (t) => {
      const { store } = await fresh(t);
      const plan: Array<Partial<AuditEventRecord>> = [
        { action: 'snapshot.create', identity: 'token:ci-bot', result: 'ok', target: 'nginx' },
        { action: 'snapshots.search', identity: 'oidc:alice@acme', result: 'allowed', target: null },
        { action: 'snapshot.delete', identity: 'oidc:alice@acme', result: 'denied', target: 'nginx' },
        { action: 'restore.run', identity: 'oidc:bob@acme', result: 'ok', target: 'haproxy' },
        { action: 'auth.fail', identity: 'anonymous', result: 'denied', target: null },
      ];
      for (const fields of plan) await store.append((head) => next(head, fields));
      const seqs = async (filter: Parameters<typeof store.find>[0]) => (await store.find(filter)).map((e) => e.seq);
      assert.deepEqual(await seqs({ identity: 'oidc:alice@acme' }), [2, 3]);
      assert.deepEqual(await seqs({ action: 'snapshot.*' }), [1, 3]);
      assert.deepEqual(await seqs({ action: 'snapshot.create' }), [1]);
      assert.deepEqual(await seqs({ result: 'denied' }), [3, 5]);
      assert.deepEqual(await seqs({ target: 'nginx', order: 'newest' }), [3, 1]);
      assert.deepEqual(await seqs({ since: '2026-11-01T10:00:02.000Z', until: '2026-11-01T11:00:04+01:00' }), [2, 3]);
      assert.deepEqual(await seqs({ afterSeq: 2, limit: 2 }), [3, 4]);
      assert.deepEqual(await seqs({ order: 'newest', limit: 2 }), [5, 4]);
      assert.equal(await store.count({ result: 'denied' }), 2);
      assert.equal(await store.count({}), 5);
      await assert.rejects(store.find({ since: 'yesterday' }), (err) => isCairnError(err, 'CAIRN_E_USAGE'));
    });

    it('keeps cursors, checkpoint rows and alert claims', async (t) => {
      const { store } = await fresh(t);
      assert.equal(await store.getCursor('siem:splunk'), 0);
      await store.setCursor('siem:splunk', 41);
      await store.setCursor('siem:splunk', 42);
      assert.equal(await store.getCursor('siem:splunk'), 42);

      assert.equal(await store.lastCheckpoint(), undefined);
      const a = {
        objectKey: 'audit/000000001000-1767225600000',
        seq: 1000,
        hash: 'a'.repeat(64),
        time: '2026-01-01T00:00:00.000Z',
      };
      const b = {
        objectKey: 'audit/000000001000-1767229200000',
        seq: 1000,
        hash: 'a'.repeat(64),
        time: '2026-01-01T01:00:00.000Z',
      };
      await store.putCheckpoint(b);
      await store.putCheckpoint(a);
      await store.putCheckpoint(a);
      assert.deepEqual(await store.checkpoints(), [a, b]);
      assert.deepEqual(await store.lastCheckpoint(), b);

      assert.equal(await store.claimAlert('bulk-delete:all:17', a.time), true);
      assert.equal(await store.claimAlert('bulk-delete:all:17', b.time), false);
    });

    it('reads a row whose JSON columns were edited into garbage, so verify can name it', async (t) => {
      const { store } = await fresh(t);
      await store.append((head) => next(head));
      await sql`update audit_events set roles = ${'not json'}, details = ${'[1]'} where seq = 1`.execute(store.db);
      const [row] = await store.range(0, 1);
      assert.deepEqual(row?.roles, ['not json']);
      assert.deepEqual(row?.details, { unparseable: '[1]' });
    });
  });
}
