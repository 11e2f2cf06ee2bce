/**
 * FORMAT.md MUST rules `each object is locked as its most demanding tier` and `prune never asks to
 * delete a locked or held pack`, legal holds and check --locks: the WORM scenarios of issue 4 item 2, run in process against any backend (test/locks.test.ts on a
 * local folder, as it lists locks and as S3 does not; test/locks-s3.test.ts on Ceph RGW): tier modes
 * land on objects, a newer compliance snapshot raises an older governance pack, legal holds, forget
 * of a held snapshot refused, prune never asks to delete a locked or held pack, and check --locks
 * finds a lock shortened (or weakened) behind Cairn's back and a hold that went missing.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isCairnError } from '../src/errors/index.js';
import { type Policy, parsePolicy } from '../src/policy/index.js';
import {
  addHold,
  checkLocks,
  forgetSnapshots,
  initRepository,
  openSession,
  prune,
  readHolds,
  removeHold,
  type Session,
  takeSnapshots,
} from '../src/services/index.js';
import { NeededPacks } from '../src/services/worm.js';
import { FaultStorage, type ObjectInfo, type Storage } from '../src/storage/index.js';
import { policyYaml, scratch } from './helpers.js';

const DAY = 86_400_000;
const SECRET = { kind: 'password', value: 'worm passphrase' } as const;

export interface Backend {
  readonly name: string;
  /** An empty storage for one repository. */
  make(): Promise<Storage>;
  /** Shortens an object's retention behind Cairn's back (S3: governance, with BypassGovernanceRetention). */
  shorten(storage: Storage, key: string, until: Date): Promise<void>;
  /** Lowers a compliance lock to governance behind Cairn's back; absent where the server refuses (S3). */
  weaken?(storage: Storage, key: string): Promise<void>;
}

/**
 * The storage under test, recording the keys deleted and statted; with `hideLocks`, list() carries
 * no locks and listsRetention is false, as on S3, so callers must stat for them.
 */
export class Recording extends FaultStorage {
  readonly deleted: string[] = [];
  readonly statted: string[] = [];

  constructor(
    inner: Storage,
    private readonly hideLocks: boolean,
  ) {
    super(inner);
  }

  override get listsRetention(): boolean {
    return this.hideLocks ? false : super.listsRetention;
  }

  override async list(prefix: string): Promise<ObjectInfo[]> {
    const found = await super.list(prefix);
    return this.hideLocks ? found.map(({ key, size }) => ({ key, size })) : found;
  }

  override async delete(key: string): Promise<void> {
    this.deleted.push(key);
    return super.delete(key);
  }

  override async stat(key: string): Promise<ObjectInfo | undefined> {
    this.statted.push(key);
    return super.stat(key);
  }
}

function policyText(src: string): string {
  return policyYaml({
    classes: { none: '0d', week: '7d' },
    tiers: {
      gov: { class: 'week', last: 1 },
      comp: { class: 'none', lock: { mode: 'compliance', for: '1d' }, last: 1 },
      free: { class: 'none', last: 1 },
    },
    items: [
      { name: 'app', tier: 'gov', root: `${src}/app` },
      { name: 'ledger', tier: 'comp', root: `${src}/ledger` },
      { name: 'scratch', owner: 'dev@example.com', tier: 'free', root: `${src}/scratch` },
    ],
  });
}

/** Close to `expected` (servers keep retain-until dates to the second). */
function assertAbout(actual: Date | undefined, expected: number, what: string): void {
  assert.ok(actual, `${what}: no retain-until`);
  assert.ok(
    Math.abs(actual.getTime() - expected) <= 1500,
    `${what}: ${actual.toISOString()}, expected ${new Date(expected).toISOString()}`,
  );
}

export function wormSuite(backend: Backend, opts: { hideLocks: boolean }): void {
  describe(`WORM per tier, legal holds, prune and check --locks (${backend.name})`, () => {
    const work = scratch('cairn-locks-');
    const src = join(work, 'src');
    let storage: Recording;
    let session: Session;
    let policy: Policy;
    const ids = new Map<string, string>(); // item -> its first snapshot

    const write = (item: string, name: string, data: string | Buffer) => {
      mkdirSync(join(src, item), { recursive: true });
      writeFileSync(join(src, item, name), data);
    };
    const snap = async (items: string[]) => {
      const results = await takeSnapshots(session, policy, { run: {}, items });
      for (const r of results) assert.notEqual(r.status, 'failed', JSON.stringify(r.error));
      return results;
    };
    /** Pack keys a snapshot needs, from the index. */
    const packsOf = async (id: string): Promise<string[]> => {
      const s = await session.repo.loadSnapshot(id);
      return [...(await new NeededPacks(session.repo).ofTree(s.tree))];
    };

    before(async () => {
      // ledger holds byte-identical copies of app's files: every one of its blobs dedups into app's packs.
      const shared = {
        'deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 3\n',
        'values.json': JSON.stringify({ region: 'eu-west-1', replicas: 3 }),
        'blob.bin': randomBytes(96 * 1024),
      };
      for (const [name, data] of Object.entries(shared)) {
        write('app', name, data);
        write('ledger', name, data);
      }
      write('scratch', 'notes.txt', 'scratch work\n');
      writeFileSync(join(work, 'cairn.yaml'), policyText(src));
      policy = parsePolicy(policyText(src), join(work, 'cairn.yaml')).policy;
      storage = new Recording(await backend.make(), opts.hideLocks);
      await initRepository({ repository: storage.location, secret: SECRET, storage });
      session = await openSession({ repository: storage.location, secret: SECRET, home: join(work, 'home'), storage });
    });
    after(async () => {
      await session?.close();
      rmSync(work, { recursive: true, force: true });
    });

    it("MUST each object is locked as its most demanding tier: its tier's date and mode; a compliance snapshot raises the governance packs it reuses", async () => {
      const t0 = Date.now();
      const [app] = await snap(['app']);
      ids.set('app', app!.id!);
      const appUntil = Date.parse(app!.retainUntil!);
      assert.ok(appUntil >= t0 + 7 * DAY - 5000, app!.retainUntil!);
      const appObject = await storage.stat(`snapshots/${app!.id}`);
      assert.equal(appObject?.mode, 'governance', 'a tier with a retention class and no lock is governance');
      assertAbout(appObject?.retainUntil, appUntil, 'app snapshot object');
      const appPacks = await packsOf(app!.id!);
      assert.ok(appPacks.length > 0);
      for (const key of appPacks) {
        const info = await storage.stat(key);
        assert.equal(info?.mode, 'governance', key);
        assertAbout(info?.retainUntil, appUntil, key);
      }

      const [ledger] = await snap(['ledger']);
      ids.set('ledger', ledger!.id!);
      const ledgerUntil = Date.parse(ledger!.retainUntil!);
      const ledgerObject = await storage.stat(`snapshots/${ledger!.id}`);
      assert.equal(ledgerObject?.mode, 'compliance');
      assertAbout(ledgerObject?.retainUntil, ledgerUntil, 'ledger snapshot object');
      const ledgerPacks = await packsOf(ledger!.id!);
      const reused = ledgerPacks.filter((k) => appPacks.includes(k));
      assert.ok(reused.length > 0, "ledger's files dedup into app's packs");
      for (const key of ledgerPacks) {
        const info = await storage.stat(key);
        assert.equal(info?.mode, 'compliance', `${key} is compliance`);
        // Never shortened: app's packs keep their 7 days, now under compliance.
        assertAbout(info?.retainUntil, reused.includes(key) ? appUntil : ledgerUntil, key);
      }
      // app's packs that ledger does not need stay governance.
      for (const key of appPacks.filter((k) => !ledgerPacks.includes(k)))
        assert.equal((await storage.stat(key))?.mode, 'governance', key);
      // A tier without retention writes unlocked objects.
      const [scratchRun] = await snap(['scratch']);
      ids.set('scratch', scratchRun!.id!);
      const scratchObject = await storage.stat(`snapshots/${scratchRun!.id}`);
      assert.equal(scratchObject?.retainUntil, undefined);

      const report = await checkLocks(session.repo, policy);
      assert.deepEqual(report.findings, [], JSON.stringify(report.findings));
      assert.ok(report.ok);
      assert.ok(report.objects >= appPacks.length + 2, `${report.objects} objects checked`);
    });

    it('check --locks finds a lock shortened behind Cairn’s back, and says what the policy demands', async () => {
      const key = `snapshots/${ids.get('app')}`;
      const before = (await storage.stat(key))!.retainUntil!;
      const short = new Date(Date.now() + 3600_000);
      await backend.shorten(storage.inner, key, short);
      const report = await checkLocks(session.repo, policy);
      assert.equal(report.ok, false);
      assert.deepEqual(
        report.findings.map((f) => [f.object, f.problems]),
        [[key, ['shorter']]],
      );
      const f = report.findings[0]!;
      assert.equal(f.demanded.mode, 'governance');
      assertAbout(new Date(f.demanded.retainUntil!), before.getTime(), 'demanded');
      assertAbout(new Date(f.actual!.retainUntil!), short.getTime(), 'actual');
      assert.match(f.message, /locked until .* the policy demands/);
      assert.deepEqual(f.snapshots, [ids.get('app')]);
      // Put right (extending is always allowed) so later tests start clean.
      await storage.extendRetention(key, before, 'governance');
      assert.ok((await checkLocks(session.repo, policy)).ok);
    });

    if (backend.weaken) {
      it('check --locks finds a compliance lock weakened to governance', async () => {
        const [key] = await packsOf(ids.get('ledger')!);
        await backend.weaken!(storage.inner, key!);
        const report = await checkLocks(session.repo, policy);
        assert.deepEqual(
          report.findings.map((f) => [f.object, f.problems]),
          [[key, ['weaker']]],
        );
        assert.equal(report.findings[0]!.demanded.mode, 'compliance');
        assert.equal(report.findings[0]!.actual!.mode, 'governance');
        await storage.extendRetention(key!, new Date(Date.now() + DAY), 'compliance');
        assert.ok((await checkLocks(session.repo, policy)).ok);
      });
    }

    it('hold add sets a legal hold on every object the snapshot needs; forget is refused naming it; check --locks finds a hold removed', async () => {
      const id = ids.get('scratch')!;
      const r = await addHold(session.repo, session.catalog, id, { reason: 'case 42', actor: 'counsel@example.com' });
      assert.equal(r.alreadyHeld, false);
      const objects = [`snapshots/${id}`, ...(await packsOf(id)), `holds/${id}`];
      assert.equal(r.objects, objects.length);
      for (const key of objects) assert.equal((await storage.stat(key))?.legalHold, true, key);
      assert.equal((await readHolds(session.repo)).get(id)?.reason, 'case 42');

      await assert.rejects(forgetSnapshots(session.repo, session.catalog, [id], {}), (err) => {
        assert.ok(isCairnError(err, 'CAIRN_E_RETAINED'), String(err));
        assert.match(err.message, /legal hold since .* by counsel@example\.com \(case 42\)/);
        assert.match(err.message, /cairn hold remove/);
        return true;
      });
      assert.ok(await storage.stat(`snapshots/${id}`), 'the held snapshot is still there');

      // Lifted behind Cairn's back on one pack: the control finds it.
      const pack = objects[1]!;
      await storage.inner.setLegalHold(pack, false);
      const report = await checkLocks(session.repo, policy);
      assert.deepEqual(
        report.findings.map((f) => [f.object, f.problems]),
        [[pack, ['no-hold']]],
      );
      assert.equal(report.held, 1);
      // hold add again completes it.
      const again = await addHold(session.repo, session.catalog, id, { actor: 'someone-else' });
      assert.equal(again.alreadyHeld, true);
      assert.equal(again.hold.actor, 'counsel@example.com');
      assert.ok((await checkLocks(session.repo, policy)).ok);
    });

    it('hold remove clears the hold except on objects another held snapshot needs; then forget works', async () => {
      const app = ids.get('app')!;
      const ledger = ids.get('ledger')!;
      await addHold(session.repo, session.catalog, app, { actor: 'counsel@example.com' });
      await addHold(session.repo, session.catalog, ledger, { actor: 'counsel@example.com' });
      const ledgerPacks = await packsOf(ledger);
      const appPacks = await packsOf(app);
      const shared = appPacks.filter((k) => ledgerPacks.includes(k));
      const released = await removeHold(session.repo, app);
      assert.equal(released.stillHeld, shared.length, 'the packs ledger needs stay held');
      assert.equal(released.released, appPacks.length - shared.length + 2);
      assert.equal((await storage.stat(`snapshots/${app}`))?.legalHold, false);
      for (const key of appPacks)
        assert.equal((await storage.stat(key))?.legalHold, shared.includes(key), `${key} held iff ledger needs it`);
      assert.equal(await storage.stat(`holds/${app}`), undefined);
      await removeHold(session.repo, ledger);
      for (const key of shared) assert.equal((await storage.stat(key))?.legalHold, false, key);
      await assert.rejects(removeHold(session.repo, ledger), (err) => isCairnError(err, 'CAIRN_E_NOT_FOUND'));

      const scratchId = ids.get('scratch')!;
      await removeHold(session.repo, scratchId);
      assert.deepEqual([...(await readHolds(session.repo)).keys()], []);
      const forgotten = await forgetSnapshots(session.repo, session.catalog, [scratchId], {});
      assert.equal(forgotten.removed, 1);
      assert.equal(await storage.stat(`snapshots/${scratchId}`), undefined);
      assert.ok((await checkLocks(session.repo, policy)).ok);
    });

    it('MUST prune never asks to delete a locked or held pack (unused, orphaned or not), and frees the rest', async () => {
      // Unused locked packs: a compliance run whose snapshot object fails, and one whose index fails
      // (orphans). Unused free packs: the same for the unlocked tier; one of them under a legal hold.
      write('ledger', 'new.bin', randomBytes(64 * 1024));
      storage.failOn('put', (k) => k.startsWith('snapshots/'), 'EIO', 1);
      await takeSnapshots(session, policy, { run: {}, items: ['ledger'] });
      write('ledger', 'orphan.bin', randomBytes(64 * 1024));
      storage.failOn('put', (k) => k.startsWith('index/'), 'EIO', 1);
      await takeSnapshots(session, policy, { run: {}, items: ['ledger'] });
      write('scratch', 'gone.bin', randomBytes(64 * 1024));
      storage.failOn('put', (k) => k.startsWith('snapshots/'), 'EIO', 1);
      await takeSnapshots(session, policy, { run: {}, items: ['scratch'] });
      write('scratch', 'orphan.bin', randomBytes(64 * 1024));
      storage.failOn('put', (k) => k.startsWith('index/'), 'EIO', 1);
      await takeSnapshots(session, policy, { run: {}, items: ['scratch'] });
      storage.reset();

      const used = new Set<string>();
      for (const id of await session.repo.listIds('snapshots')) for (const k of await packsOf(id)) used.add(k);
      const all = await storage.inner.list('packs/');
      const info = new Map<string, ObjectInfo>();
      for (const o of all) info.set(o.key, (await storage.inner.stat(o.key))!);
      const unused = all.map((o) => o.key).filter((k) => !used.has(k));
      const locked = unused.filter((k) => (info.get(k)!.retainUntil?.getTime() ?? 0) > Date.now());
      const free = unused.filter((k) => !locked.includes(k));
      assert.ok(locked.length >= 2, `locked unused packs: ${locked.length}`);
      assert.ok(free.length >= 2, `free unused packs: ${free.length}`);
      const held = free[0]!;
      await storage.inner.setLegalHold(held, true);

      storage.deleted.length = 0;
      storage.statted.length = 0;
      const result = await prune(session.repo, {});
      const protectedKeys = new Set([...locked, held]);
      assert.deepEqual(
        storage.deleted.filter((k) => protectedKeys.has(k)),
        [],
        'prune asked to delete a locked or held pack',
      );
      const reported = new Map(result.retained.map((x) => [`packs/${x.pack.slice(0, 2)}/${x.pack}`, x]));
      for (const k of locked) assert.ok(reported.get(k)?.retainUntil, `${k} reported retained`);
      assert.equal(reported.get(held)?.legalHold, true);
      for (const k of free.slice(1)) assert.ok(storage.deleted.includes(k), `${k} freed`);
      const left = new Set((await storage.inner.list('packs/')).map((o) => o.key));
      for (const k of protectedKeys) assert.ok(left.has(k), `${k} still there`);
      for (const k of used) assert.ok(left.has(k), `${k} (in use) still there`);
      if (opts.hideLocks) {
        // Only the packs it planned to delete were asked for their lock, never one in use.
        const asked = storage.statted.filter((k) => k.startsWith('packs/'));
        assert.deepEqual(
          asked.filter((k) => used.has(k)),
          [],
        );
        assert.deepEqual(new Set(asked), new Set(unused));
      }
      await storage.inner.setLegalHold(held, false);
      assert.ok((await checkLocks(session.repo, policy)).ok);
    });
  });
}
