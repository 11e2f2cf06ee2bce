import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { type Kysely, sql } from 'kysely';
import {
  AuditLog,
  checkpointName,
  eventHash,
  GENESIS_HASH,
  parseCheckpoint,
  publicKeyText,
  signatureValid,
  verifyAudit,
} from '../audit/index.js';
import { insertRow, setHead } from '../audit/test-support.js';
import { openCatalog } from '../catalog/index.js';
import { catalogTargets } from '../catalog/test-support.js';
import { isCairnError } from '../errors/index.js';
import { openSealedObject, Repository, sealObject } from '../repo/index.js';
import { LocalStorage, MemStorage, type Storage } from '../storage/index.js';
import { PUBLIC_KEY_OBJECT, RepositoryCheckpointStore, SIGNING_KEY_OBJECT } from './audit-checkpoints.js';

const pw = { kind: 'password', value: 'correct horse' } as const;
const year = 365.25 * 24 * 3_600_000;

async function repository(storage: Storage = new MemStorage()): Promise<Repository> {
  return Repository.init(storage, pw);
}

describe('RepositoryCheckpointStore', () => {
  it('creates the signing key once, sealed, with its public half in the clear; reopening finds the same', async () => {
    const repo = await repository();
    const store = new RepositoryCheckpointStore(repo);
    assert.equal(await store.publicKey(), undefined);
    const [a, b] = await Promise.all([store.signingKey(), new RepositoryCheckpointStore(repo).signingKey()]);
    assert.ok(a.publicKey.equals(b.publicKey), 'two stores racing agree on one key');
    const sealed = await repo.storage.get(SIGNING_KEY_OBJECT);
    const der = a.privateKey.export({ type: 'pkcs8', format: 'der' });
    assert.ok(!sealed.includes(der.subarray(-32)), 'the private key is not stored in the clear');
    assert.match((await repo.storage.get(PUBLIC_KEY_OBJECT)).toString(), /^-----BEGIN PUBLIC KEY-----/);
    const again = new RepositoryCheckpointStore(await Repository.open(repo.storage, pw));
    assert.ok((await again.signingKey()).privateKey.equals(a.privateKey));
    assert.ok((await again.publicKey())?.equals(a.publicKey));
    await assert.rejects(repo.storage.put(SIGNING_KEY_OBJECT, Buffer.from('x')), (err) =>
      isCairnError(err, 'CAIRN_E_EXISTS'),
    );
  });

  it('recovers from a crash between the private and the public key, and refuses a mismatched pair', async () => {
    const repo = await repository();
    const { privateKey } = generateKeyPairSync('ed25519');
    const der = privateKey.export({ type: 'pkcs8', format: 'der' });
    await repo.storage.put(SIGNING_KEY_OBJECT, sealObject(repo, der, 'audit-signing-key'));
    const pair = await new RepositoryCheckpointStore(repo).signingKey();
    assert.ok(pair.privateKey.equals(privateKey));
    assert.ok((await new RepositoryCheckpointStore(repo).publicKey())?.equals(pair.publicKey));

    const other = await repository();
    const otherPublic = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' });
    await other.storage.put(PUBLIC_KEY_OBJECT, Buffer.from(otherPublic));
    await assert.rejects(new RepositoryCheckpointStore(other).signingKey(), (err) =>
      isCairnError(err, 'CAIRN_E_INTEGRITY'),
    );
  });

  it('writes checkpoints once, retained, and lists only checkpoints, in order', async () => {
    const repo = await repository();
    const store = new RepositoryCheckpointStore(repo);
    await store.signingKey();
    const retainUntil = new Date(Date.now() + 20 * year);
    const second = checkpointName(20, new Date('2026-11-02T10:00:00Z'));
    const first = checkpointName(3, new Date('2026-11-02T11:00:00Z'));
    await store.put(second, Buffer.from('b'), retainUntil);
    await store.put(first, Buffer.from('a'), retainUntil);
    assert.deepEqual(await store.list(), [first, second]);
    assert.deepEqual(Buffer.from(await store.get(first)).toString(), 'a');
    await assert.rejects(store.put(first, Buffer.from('c'), retainUntil), (err) => isCairnError(err, 'CAIRN_E_EXISTS'));
    await assert.rejects(store.put('audit/other', Buffer.from('c'), retainUntil), (err) =>
      isCairnError(err, 'CAIRN_E_USAGE'),
    );
    assert.equal((await repo.storage.stat(first))?.retainUntil?.getTime(), retainUntil.getTime());
    // The key outlives every checkpoint it signed.
    assert.equal((await repo.storage.stat(SIGNING_KEY_OBJECT))?.retainUntil?.getTime(), retainUntil.getTime());
    await assert.rejects(repo.storage.delete(first), (err) => isCairnError(err, 'CAIRN_E_RETAINED'));
  });

  it('seals event payloads with the repository key, for that purpose only', async () => {
    const repo = await repository();
    const store = new RepositoryCheckpointStore(repo);
    const sealed = await store.sealEvents(Buffer.from('{"identity":"oidc:alice@acme"}'));
    assert.ok(!Buffer.from(sealed).toString('latin1').includes('alice'));
    assert.equal(Buffer.from(await store.openEvents(sealed)).toString(), '{"identity":"oidc:alice@acme"}');
    assert.throws(
      () => openSealedObject(repo, sealed, 'audit-signing-key', 'x'),
      (err) => isCairnError(err, 'CAIRN_E_INTEGRITY'),
    );
    const stranger = new RepositoryCheckpointStore(await repository());
    await assert.rejects(stranger.openEvents(sealed), (err) => isCairnError(err, 'CAIRN_E_INTEGRITY'));
    assert.throws(
      () => sealObject(repo, Buffer.from(''), 'Bad Purpose'),
      (err) => isCairnError(err, 'CAIRN_E_USAGE'),
    );
  });

  it('on local storage, leaves checkpoints read-only with a default retention of ten years', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-audit-repo-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const repo = await repository(new LocalStorage(dir));
    const catalog = await openCatalog({ sqlitePath: join(dir, 'state', 'catalog.sqlite') });
    t.after(() => catalog.close());
    const log = new AuditLog({ store: catalog.audit, checkpoints: new RepositoryCheckpointStore(repo) });
    await log.record({ identity: 'local:root@host', action: 'snapshot.create', result: 'ok' });
    const row = await log.checkpoint();
    assert.ok(row);
    assert.equal((await stat(join(dir, row.objectKey))).mode & 0o777, 0o444);
    const until = (await repo.storage.stat(row.objectKey))?.retainUntil?.getTime() ?? 0;
    assert.ok(Math.abs(until - (Date.parse(row.time) + 3653 * 24 * 3_600_000)) < 1000);
  });
});

for (const target of catalogTargets) {
  describe(`audit checkpoints in a repository, catalog on ${target.dialect}`, () => {
    async function setup(t: TestContext) {
      const { options, remove } = await target.fresh();
      t.after(remove);
      const catalog = await openCatalog(options);
      t.after(() => catalog.close());
      const repo = await repository();
      const checkpoints = new RepositoryCheckpointStore(repo);
      const log = new AuditLog({
        store: catalog.audit,
        checkpoints,
        settings: { checkpointEvery: { events: 4, minutes: 60 } },
      });
      for (let i = 0; i < 10; i++) {
        await log.record({
          identity: 'oidc:alice@acme',
          ip: '192.0.2.1',
          action: 'snapshot.create',
          target: `item-${i}`,
          result: 'ok',
        });
      }
      return { catalog, repo, checkpoints, log };
    }

    it('verifies, and signed fields check out with nothing but the public key', async (t) => {
      const { catalog, repo, checkpoints } = await setup(t);
      assert.deepEqual(await verifyAudit({ store: catalog.audit, checkpoints }), {
        ok: true,
        events: 10,
        checkpoints: 2,
        contentsChecked: true,
      });
      const names = await checkpoints.list();
      const publicKey = (await checkpoints.publicKey())!;
      for (const name of names) {
        const bytes = await repo.storage.get(name);
        assert.ok(!bytes.toString().includes('alice'), 'identities are sealed');
        const checkpoint = parseCheckpoint(name, bytes);
        assert.ok(signatureValid(checkpoint, publicKey));
        assert.equal(checkpoint.publicKey, publicKeyText(publicKey));
      }
    });

    it('names an event edited in the catalog after the whole chain was recomputed', async (t) => {
      const { catalog, checkpoints } = await setup(t);
      const db = (catalog.audit as unknown as { db: Kysely<unknown> }).db;
      let prevHash = GENESIS_HASH;
      for (const event of await catalog.audit.range(0, 100)) {
        const body = { ...event, prevHash, ...(event.seq === 6 ? { identity: 'oidc:mallory@acme' } : {}) };
        prevHash = eventHash(body);
        await sql`delete from audit_events where seq = ${event.seq}`.execute(db);
        await insertRow(db, { ...body, hash: prevHash });
      }
      await setHead(db, 10, prevHash);
      assert.equal((await verifyAudit({ store: catalog.audit })).ok, true, 'the chain alone cannot see it');
      const result = await verifyAudit({ store: catalog.audit, checkpoints });
      assert.deepEqual(result.firstBad && [result.firstBad.seq, result.firstBad.problem], [6, 'edited']);
    });
  });
}
