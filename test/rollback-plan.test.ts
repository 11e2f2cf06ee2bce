/**
 * What a rollback restores and in which order (services/rollback-plan.ts), on a real catalog: the
 * pre-deploy bundle plus the bundleWith closure within the environment, bundle members adjacent, each
 * item's pre-deploy snapshot (bundle entry, its verification, or the newest before the start), how it
 * is verified, and the problems that fail an item up front.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openCatalog } from '../src/catalog/index.js';
import { catalogTargets, hexId, snapshotRecord, verificationRecord } from '../src/catalog/test-support.js';
import { isCairnError } from '../src/errors/index.js';
import { parsePolicy } from '../src/policy/index.js';
import { rollbackDeployment, type Session } from '../src/services/index.js';
import { bundleClosure, planRollback, targetLabel, verifyMode } from '../src/services/rollback-plan.js';

const POLICY = `version: 1
tiers:
  1: { keep: { last: 3 } }
environments:
  prod: {}
  staging: {}
items:
  - name: api
    owner: a@example.com
    tier: 1
    environment: prod
    sources: [ { files: { root: /srv/api } } ]
    restore: { directory: /srv/api }
    bundleWith: [flags]
  - name: db
    owner: a@example.com
    tier: 1
    environment: prod
    sources: [ { files: { root: /srv/db } } ]
  - name: ui
    owner: a@example.com
    tier: 1
    environment: prod
    sources: [ { files: { root: /srv/ui } } ]
    restore: { directory: /restore/ui }
    bundleWith: [ui-flags]
  - name: flags
    owner: a@example.com
    tier: 1
    environment: prod
    sources: [ { command: { run: "flagctl export", file: flags.json, format: json } } ]
    restore: { http: { method: PUT, url: "https://user:secret@flags.example.com/import" } }
  - name: extra
    owner: a@example.com
    tier: 1
    environment: prod
    sources: [ { files: { root: /srv/extra } } ]
    restore: { command: "extra-apply" }
    bundleWith: [db]
  - name: ui-flags
    owner: a@example.com
    tier: 1
    environment: staging
    sources: [ { files: { root: /srv/ui-flags } } ]
    restore: { directory: /srv/ui-flags }
`;

const START = '2026-11-02T10:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(START) + minutes * 60_000).toISOString();

describe('rollback plan', () => {
  const { policy } = parsePolicy(POLICY, '/etc/cairn/cairn.yaml');

  it('closes over bundleWith both ways, within the environment only', () => {
    assert.deepEqual(bundleClosure(policy, 'prod', ['api', 'db', 'ui']).sort(), ['api', 'db', 'extra', 'flags', 'ui']);
    assert.deepEqual(bundleClosure(policy, 'prod', ['flags']).sort(), ['api', 'flags']);
    assert.deepEqual(bundleClosure(policy, 'staging', ['ui-flags']), ['ui-flags']);
  });

  it('verifies by reading the source back only where the source reads the target', () => {
    const byName = new Map(policy.items.map((i) => [i.name, i]));
    assert.equal(verifyMode(byName.get('api')!), 'live'); // the directory is the files source's root
    assert.equal(verifyMode(byName.get('ui')!), 'target'); // restored elsewhere than its source
    assert.equal(verifyMode(byName.get('flags')!), 'live'); // a content source with a command/http target
    assert.equal(verifyMode(byName.get('extra')!), 'target'); // a files source into a command
    assert.equal(verifyMode(byName.get('db')!), 'target'); // no target at all
    assert.equal(targetLabel(byName.get('flags')!.restore!), 'http PUT https://***:***@flags.example.com/import');
  });

  for (const target of catalogTargets) {
    it(`plans the bundle, the closure and each snapshot on ${target.dialect}`, async () => {
      const { options, remove } = await target.fresh();
      const catalog = await openCatalog(options);
      const session = { catalog, repo: undefined as never, close: async () => {} } satisfies Session;
      try {
        const snap = (item: string, minutes: number) =>
          snapshotRecord({ id: hexId(`${item} ${minutes}`), item, time: at(minutes), deployment: null });
        const api = snap('api', 1);
        const db = snap('db', -600);
        const ui = snap('ui', -30);
        const flagsBefore = snap('flags', -60);
        const flagsAfter = snap('flags', 5);
        for (const s of [api, db, ui, flagsBefore, flagsAfter]) await catalog.putSnapshot(s);
        const dbVerified = verificationRecord(db, { time: at(1), deployment: 'D-1' });
        await catalog.putVerification(dbVerified);
        await catalog.deployments.create({
          id: 'D-1',
          environment: 'prod',
          release: '2.0.0',
          commit: null,
          change: null,
          pipeline: null,
          status: 'failed',
          source: 'cli',
          externalId: null,
          actor: 'ci',
          startedAt: START,
          finishedAt: null,
          reason: 'smoke tests failed',
          ticket: null,
          requirements: [],
        });
        const entry = (item: string, snapshotId: string | null, verificationId: string | null, status: string) => ({
          deployment: 'D-1',
          phase: 'pre' as const,
          item,
          snapshotId,
          verificationId,
          status,
          error: null,
        });
        await catalog.deployments.putBundle([
          entry('api', api.id, null, 'created'),
          entry('db', null, dbVerified.id, 'unchanged'),
          entry('ui', null, null, 'failed'),
          entry('gone', hexId('gone'), null, 'created'),
        ]);

        const plan = await planRollback(session, policy, (await catalog.deployments.get('D-1'))!);
        // Policy order, bundle members adjacent: api+flags, db+extra, ui; an item no longer in the policy last.
        assert.deepEqual(
          plan.map((p) => [p.name, p.from, p.snapshot?.id.slice(0, 8) ?? null, p.verify, p.problem?.code ?? null]),
          [
            ['api', 'bundle', api.id.slice(0, 8), 'live', null],
            ['flags', 'before-start', flagsBefore.id.slice(0, 8), 'live', null],
            ['db', 'bundle', db.id.slice(0, 8), 'target', 'CAIRN_E_USAGE'],
            ['extra', 'none', null, 'target', 'CAIRN_E_NOT_FOUND'],
            ['ui', 'before-start', ui.id.slice(0, 8), 'target', null],
            ['gone', 'none', null, 'target', 'CAIRN_E_USAGE'],
          ],
        );
        const problem = (name: string) => plan.find((p) => p.name === name)!.problem!.message;
        assert.match(
          problem('db'),
          /^item db has no restore target: add restore: to the policy \(\/etc\/cairn\/cairn\.yaml:\d+\)/,
        );
        assert.match(problem('extra'), /item extra has no pre-deploy snapshot in deployment D-1 and none taken before/);
        assert.match(problem('gone'), /item gone of deployment D-1 is not in \/etc\/cairn\/cairn\.yaml any more/);

        await assert.rejects(
          rollbackDeployment(session, policy, { deployment: 'D-404' }),
          (e) => isCairnError(e, 'CAIRN_E_NOT_FOUND') && /no deployment D-404/.test(e.message),
        );
      } finally {
        await catalog.close();
        await remove();
      }
    });
  }
});
