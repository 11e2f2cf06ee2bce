/**
 * The canary service (C8.6) on a real repository and catalog (SQLite and PostgreSQL): a round changes
 * its files, snapshots them as cairn-canary, restores and compares every byte; its rounds are
 * recorded, the audit log hears only of failures and changes, old canary snapshots are forgotten, and
 * canary-failed / canary-slow reach a real webhook receiver and are resolved by the next good round.
 * Faults are real: a storage that fails reads of packs (EIO), and the repository locked exclusively.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuditLog } from '../src/audit/index.js';
import { type CanaryRun, type Catalog, openCatalog } from '../src/catalog/index.js';
import { catalogTargets } from '../src/catalog/test-support.js';
import { isCairnError } from '../src/errors/index.js';
import { CANARY_ITEM, type Policy, parsePolicy } from '../src/policy/index.js';
import type { Repository } from '../src/repo/index.js';
import { type HookReceiver, startHookReceiver } from '../src/services/alerts/test-support.js';
import {
  AlertCenter,
  CANARY_IDENTITY,
  canaryTimeoutMs,
  forgetByPolicy,
  initRepository,
  openRepository,
  runCanary,
  type Session,
} from '../src/services/index.js';
import { FaultStorage, LocalStorage } from '../src/storage/index.js';

const secret = { kind: 'password', value: 'canary passphrase' } as const;
const packs = (key: string) => key.startsWith('packs/');

function policyWith(canary: string, hook: string): Policy {
  const yaml = `version: 1
tiers:
  t: { rpo: 1h, keep: { last: 5 } }
items:
  - name: app
    owner: ops@example.com
    tier: t
    sources: [{ files: { root: src } }]
canary: ${canary}
alerts:
  sinks:
    - webhook: { url: "${hook}", for: [canary] }
`;
  const loaded = parsePolicy(yaml, '/nonexistent/cairn.yaml');
  const errors = loaded.issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) throw new Error(`test policy invalid: ${JSON.stringify(errors)}`);
  return loaded.policy;
}

for (const target of catalogTargets) {
  describe(`the canary (${target.dialect})`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-canary-'));
    const canaryDir = join(dir, 'home', 'canary');
    let storage: FaultStorage;
    let repo: Repository;
    let catalog: Catalog;
    let removeCatalog: () => Promise<void>;
    let log: AuditLog;
    let hook: HookReceiver;
    let policy: Policy;
    let center: AlertCenter;
    let session: Session;
    const round = (o: { alerts?: boolean } = {}) =>
      runCanary(session, policy, log, { dir: canaryDir, ...(o.alerts === false ? {} : { alerts: center }) });
    const events = async () =>
      (await log.query({ action: 'canary.run' })) as Array<{ result: string; identity: string }>;

    before(async () => {
      const repository = join(dir, 'repo');
      await initRepository({ repository, secret });
      storage = new FaultStorage(new LocalStorage(repository));
      repo = await openRepository({ repository, secret, storage });
      const fresh = await target.fresh();
      removeCatalog = fresh.remove;
      catalog = await openCatalog(fresh.options);
      log = new AuditLog({ store: catalog.audit });
      hook = await startHookReceiver();
      policy = policyWith('{ every: 2s, slowAfter: 10m, keep: 2 }', hook.url);
      center = new AlertCenter({ catalog, log, policy: async () => policy });
      session = { repo, catalog, close: async () => {} };
    });
    after(async () => {
      await center.settle();
      await hook.stop();
      await repo.close();
      await catalog.close();
      await removeCatalog();
      rmSync(dir, { recursive: true, force: true });
    });

    it('snapshots, restores and verifies its own item, and records the round', async () => {
      const run = await round();
      assert.equal(run.ok, true, run.error ?? '');
      assert.match(run.id, /^cr-[0-9a-f]{16}$/);
      assert.deepEqual(Object.keys(run.phases).sort(), ['change', 'restore', 'snapshot', 'verify']);
      assert.ok(run.latencyMs >= run.phases.snapshot!);
      const snapshot = await catalog.getSnapshot(run.snapshotId!);
      assert.equal(snapshot?.item, CANARY_ITEM);
      assert.equal(snapshot?.trigger, 'scheduled');
      assert.equal(snapshot?.actor, CANARY_IDENTITY);
      assert.equal(snapshot?.environment, null);
      assert.equal(snapshot?.files, 4);
      assert.deepEqual(await catalog.canary.list(5), [run]);
      assert.equal(readFileSync(join(canaryDir, 'source', 'counter'), 'utf8'), '1\n');
      assert.deepEqual(
        (await events()).map((e) => [e.result, e.identity]),
        [['ok', CANARY_IDENTITY]],
        'the first round is audited',
      );
    });

    it('changes its files each round, audits no unchanged outcome, and keeps only canary.keep snapshots', async () => {
      const ids = [];
      for (let i = 0; i < 3; i++) {
        const run = await round();
        assert.equal(run.ok, true, run.error ?? '');
        ids.push(run.snapshotId);
      }
      assert.equal(new Set(ids).size, 3, 'a new snapshot every round');
      assert.equal(readFileSync(join(canaryDir, 'source', 'counter'), 'utf8'), '4\n');
      assert.equal((await events()).length, 1, 'ok after ok is not audited');
      const kept = await catalog.findSnapshots({ item: [CANARY_ITEM] });
      assert.deepEqual(kept.map((s) => s.id).sort(), ids.slice(-2).sort());
      assert.equal(existsSync(join(dir, 'repo', 'snapshots', ids[0]!)), false, 'the forgotten snapshot object is gone');
      assert.equal((await catalog.canary.list()).length, 4);
      assert.deepEqual(
        (await import('node:fs')).readdirSync(canaryDir).sort(),
        ['source'],
        'no restore folder is left behind',
      );
    });

    it('is not an item of the policy: forget --apply-policy keeps its snapshots', async () => {
      const before = await catalog.findSnapshots({ item: [CANARY_ITEM] });
      const result = await forgetByPolicy(repo, catalog, policy, { dryRun: true });
      const decisions = result.decisions.filter((d) => d.item === CANARY_ITEM);
      assert.equal(decisions.length, before.length);
      assert.ok(decisions.every((d) => d.action === 'keep'));
    });

    it('fails when packs cannot be read back, raising canary-failed to the webhook; the next good round resolves it', async () => {
      storage.failOn('get', packs, 'EIO').failOn('getRange', packs, 'EIO');
      const failed = await round();
      storage.reset();
      assert.equal(failed.ok, false);
      assert.match(failed.error ?? '', /^restore: /);
      assert.ok(failed.snapshotId, 'the snapshot was taken');
      const open = await catalog.alerts.byDedupKey('canary-failed');
      assert.equal(open?.state, 'open');
      assert.equal(open?.severity, 'critical');
      assert.equal(open?.category, 'canary');
      await center.settle();
      const trigger = hook.requests.find((r) => JSON.stringify(r.body).includes('canary-failed'));
      assert.ok(trigger, `the webhook got the alert: ${JSON.stringify(hook.requests.map((r) => r.body))}`);
      assert.deepEqual(
        (await events()).map((e) => e.result),
        ['ok', 'failed'],
      );
      // A second failure is audited again (every failure is), the alert only counted.
      storage.failOn('get', packs, 'EIO').failOn('getRange', packs, 'EIO');
      assert.equal((await round()).ok, false);
      storage.reset();
      assert.equal((await catalog.alerts.byDedupKey('canary-failed'))?.count, 2);

      const good = await round();
      assert.equal(good.ok, true, good.error ?? '');
      assert.equal(await catalog.alerts.byDedupKey('canary-failed'), undefined, 'resolved');
      assert.equal((await catalog.alerts.get(open!.id))?.state, 'resolved');
      assert.deepEqual(
        (await events()).map((e) => e.result),
        ['ok', 'failed', 'failed', 'ok'],
      );
    });

    it('raises canary-slow for a round slower than slowAfter, resolved by a fast one', async () => {
      const normal = policy;
      policy = policyWith('{ every: 2s, slowAfter: 1ms, keep: 2 }', hook.url);
      const slow = await round();
      assert.equal(slow.ok, true);
      const alert = await catalog.alerts.byDedupKey('canary-slow');
      assert.equal(alert?.severity, 'warning');
      assert.equal((alert!.details as { slowAfterMs?: number }).slowAfterMs, 1);
      policy = normal;
      assert.equal((await round()).ok, true);
      assert.equal(await catalog.alerts.byDedupKey('canary-slow'), undefined);
    });

    it('a round that hangs (storage that never answers) is abandoned after its timeout: canary-failed, resolved by the next good round', async () => {
      assert.equal(canaryTimeoutMs(policyWith('{ slowAfter: 1m }', hook.url)), 5 * 60_000, 'at least 5 minutes');
      assert.equal(canaryTimeoutMs(policyWith('{ slowAfter: 10m }', hook.url)), 30 * 60_000, '3 × slowAfter');
      const { get, getRange } = storage;
      const hang = () => new Promise<Buffer>(() => {});
      storage.get = (key: string) => (packs(key) ? hang() : get.call(storage, key));
      storage.getRange = (key: string, offset: number, length: number) =>
        packs(key) ? hang() : getRange.call(storage, key, offset, length);
      let hung: CanaryRun;
      try {
        hung = await runCanary(session, policy, log, { dir: canaryDir, alerts: center, timeoutMs: 300 });
      } finally {
        storage.get = get;
        storage.getRange = getRange;
      }
      assert.equal(hung.ok, false);
      assert.match(hung.error ?? '', /^restore: the round did not finish within 0 s and was abandoned/);
      assert.ok(hung.phases.restore !== undefined, 'the phase it hung in is timed');
      const open = await catalog.alerts.byDedupKey('canary-failed');
      assert.equal(open?.state, 'open');
      assert.match(open?.summary ?? '', /failed in restore: .*abandoned/);
      assert.deepEqual((await catalog.canary.list(1))[0], hung);
      assert.deepEqual(readdirSync(canaryDir), ['source'], 'its restore folder is removed');
      const good = await round();
      assert.equal(good.ok, true, good.error ?? '');
      assert.equal(await catalog.alerts.byDedupKey('canary-failed'), undefined, 'resolved');
    });

    it("keeps its folder to the server's user (0700)", () => {
      assert.equal(statSync(canaryDir).mode & 0o777, 0o700);
    });

    it('does not run while the repository is locked exclusively: no round recorded, no alert', async () => {
      const before = (await catalog.canary.list()).length;
      const lock = await repo.lock(true, 'prune');
      try {
        await assert.rejects(round(), (err) => isCairnError(err, 'CAIRN_E_REPO_LOCKED'));
      } finally {
        await lock.release();
      }
      assert.equal((await catalog.canary.list()).length, before);
      assert.equal(await catalog.alerts.byDedupKey('canary-failed'), undefined);
    });
  });
}
