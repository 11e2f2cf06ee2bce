/**
 * `cairn gate` and `cairn drift` end to end: exit codes 0/1/2, --json documents, and both through
 * `cairn serve` (GET /api/v1/gate, POST and GET /api/v1/drift, CAIRN_SERVER).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DriftReport, GateReport } from '../src/services/index.js';
import { assertExit, jsonError } from './e2e.js';
import { type Fixture, fixture } from './helpers.js';
import { call, localToken, type ServeProcess, startServe } from './serve-support.js';

describe('cairn gate and cairn drift', () => {
  let f: Fixture;
  before(() => {
    f = fixture();
  });

  it('drift before any snapshot: exit 1, the items never captured', () => {
    const r = f.cli(['drift', '--env', 'prod', '--json']);
    assertExit(r, 1);
    const doc = r.json<DriftReport>();
    assert.equal(doc.drifted, true);
    assert.match(doc.items[0]!.error!.message, /never captured/);
  });

  it('gate: a release never captured fails with exit 1 and a sentence per item', () => {
    const r = f.cli(['gate', '--env', 'prod', '--release', '1.0.0', '--json']);
    assertExit(r, 1);
    assert.deepEqual(r.json<GateReport>().failed, ['app-prod: no pre-deploy snapshot for release 1.0.0 in prod']);
    const human = f.cli(['gate', '--env', 'prod', '--release', '1.0.0']);
    assertExit(human, 1);
    assert.match(human.stdout, /gate FAILED: release 1\.0\.0 in prod/);
    assert.match(human.stdout, /- app-prod: no pre-deploy snapshot for release 1\.0\.0 in prod/);
  });

  it('gate and drift pass after a pre-deploy capture: exit 0', () => {
    assertExit(f.cli(['snapshot', '--env', 'prod', '--trigger', 'pre-deploy', '--release', '1.0.0']), 0);
    const g = f.cli(['gate', '--env', 'prod', '--release', '1.0.0', '--json']);
    assertExit(g, 0);
    assert.equal(g.json<GateReport>().passed, true);
    const d = f.cli(['drift', '--env', 'prod', '--json']);
    assertExit(d, 0);
    assert.equal(d.json<DriftReport>().items[0]!.readFiles, 0);
  });

  it('usage errors exit 2: unknown environment, missing --env or --release', () => {
    const unknown = f.cli(['gate', '--env', 'nope', '--release', '1.0.0', '--json']);
    assertExit(unknown, 2);
    assert.equal(jsonError(unknown).code, 'CAIRN_E_USAGE');
    assert.match(jsonError(unknown).message, /no environment nope/);
    assertExit(f.cli(['gate', '--env', 'prod']), 2);
    assertExit(f.cli(['drift']), 2);
    assertExit(f.cli(['drift', '--env', 'nope']), 2);
    assertExit(f.cli(['drift', '--env', 'prod', '--item', 'ghost']), 2);
  });

  it('an edit after the capture: drift exit 1 naming the file and key, gate exit 1', () => {
    f.write('src/prod/deployment.yaml', 'apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 9\n');
    const d = f.cli(['drift', '--env', 'prod']);
    assertExit(d, 1);
    assert.match(d.stdout, /app-prod \(snapshot [0-9a-f]{12}\): 1 file changed/);
    assert.match(d.stdout, /~ deployment\.yaml\n\s+~ spec\.replicas/);
    const g = f.cli(['gate', '--env', 'prod', '--release', '1.0.0', '--json']);
    assertExit(g, 1);
    assert.match(
      g.json<GateReport>().failed[0]!,
      /^app-prod: live state differs from snapshot [0-9a-f]{12} in 1 file \(deployment\.yaml\)$/,
    );
  });

  describe('through cairn serve', () => {
    let server: ServeProcess;
    let viewer: string;
    let operator: string;
    before(async () => {
      viewer = localToken(f, 'viewer', ['viewer']);
      operator = localToken(f, 'operator', ['operator']);
      mkdirSync(join(f.dir, 'restores'));
      server = await startServe(f, ['--restore-root', join(f.dir, 'restores')]);
    });
    after(() => server.stop());

    it('GET /api/v1/gate: 200 with passed false for a failed gate, to a viewer', async () => {
      const r = await call<GateReport>(server.url, 'GET', '/api/v1/gate?env=prod&release=1.0.0', { token: viewer });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.passed, false);
      assert.match(r.body.failed[0]!, /live state differs/);
      const never = await call<GateReport>(server.url, 'GET', '/api/v1/gate?env=prod&release=7.0.0', { token: viewer });
      assert.equal(never.status, 200, never.text);
      assert.deepEqual(never.body.failed, ['app-prod: no pre-deploy snapshot for release 7.0.0 in prod']);
      const unknown = await call(server.url, 'GET', '/api/v1/gate?env=nope&release=1', { token: viewer });
      assert.equal(unknown.status, 400, unknown.text);
      const missing = await call(server.url, 'GET', '/api/v1/gate?env=prod', { token: viewer });
      assert.equal(missing.status, 400, missing.text);
    });

    it('POST /api/v1/drift needs drift.run; GET /api/v1/drift shows the latest checks', async () => {
      const denied = await call(server.url, 'POST', '/api/v1/drift', { token: viewer, body: { environment: 'prod' } });
      assert.equal(denied.status, 403, denied.text);
      const run = await call<DriftReport>(server.url, 'POST', '/api/v1/drift', {
        token: operator,
        body: { environment: 'prod' },
      });
      assert.equal(run.status, 200, run.text);
      assert.equal(run.body.drifted, true);
      const latest = await call<{ items: Array<{ item: string; checkedAt: string; drifted: boolean }> }>(
        server.url,
        'GET',
        '/api/v1/drift?env=prod',
        { token: viewer },
      );
      assert.equal(latest.status, 200, latest.text);
      assert.deepEqual(
        latest.body.items.map((i) => [i.item, i.checkedAt, i.drifted]),
        [['app-prod', run.body.checkedAt, true]],
      );
    });

    it('the CLI with CAIRN_SERVER: same exit codes and documents', () => {
      const env = { CAIRN_SERVER: server.url, CAIRN_PASSWORD: undefined };
      const g = f.cli(['gate', '--env', 'prod', '--release', '1.0.0', '--json'], {
        env: { ...env, CAIRN_TOKEN: viewer },
      });
      assertExit(g, 1);
      assert.match(g.json<GateReport>().failed[0]!, /live state differs/);
      const d = f.cli(['drift', '--env', 'prod', '--json'], { env: { ...env, CAIRN_TOKEN: operator } });
      assertExit(d, 1);
      assert.equal(d.json<DriftReport>().items[0]!.changes[0]!.path, 'deployment.yaml');
      assertExit(f.cli(['gate', '--env', 'nope', '--release', '1'], { env: { ...env, CAIRN_TOKEN: viewer } }), 2);
    });
  });
});
