import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Catalog, DeploymentRecord } from '../../catalog/index.js';
import { isCairnError } from '../../errors/index.js';
import { type Policy, parsePolicy } from '../../policy/index.js';
import { initRepository, openSession, type Session } from '../../services/index.js';
import { hooksOps } from './hooks-ops.js';
import type { WireContext } from './wire-context.js';

const POLICY = `version: 1
tiers:
  2: { keep: { last: 5 } }
environments:
  prod: {}
webhooks:
  generic: { secretEnv: HOOK_SECRET }
items:
  - name: app
    owner: team@example.com
    tier: 2
    environment: prod
    sources: [{ files: { root: src/app } }]
`;

/** The webhooks' backend over a real repository and catalog: waiting for a capture, heartbeats. */
describe('hooksOps', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-hooks-ops-'));
  let session: Session;
  let policy: Policy;
  const heartbeats: string[] = [];
  let ctx: WireContext;

  before(async () => {
    const write = (rel: string, text: string) => {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text);
    };
    write('src/app/app.yaml', 'replicas: 3\n');
    write('cairn.yaml', POLICY);
    policy = parsePolicy(POLICY, join(dir, 'cairn.yaml')).policy;
    const repository = join(dir, 'repo');
    const secret = { kind: 'password', value: 'hooks ops tests' } as const;
    await initRepository({ repository, secret });
    session = await openSession({ repository, secret, home: join(dir, 'home') });
    const webhooks = session.catalog.webhooks;
    // The catalog as the server has it, with the heartbeats counted.
    const catalog = new Proxy(session.catalog, {
      get: (t, k) => {
        if (k !== 'webhooks') {
          const v: unknown = Reflect.get(t, k);
          return typeof v === 'function' ? v.bind(t) : v;
        }
        return {
          claim: webhooks.claim.bind(webhooks),
          get: webhooks.get.bind(webhooks),
          complete: webhooks.complete.bind(webhooks),
          list: webhooks.list.bind(webhooks),
          heartbeat: (p: string, id: string, at?: string) => {
            heartbeats.push(id);
            return webhooks.heartbeat(p, id, at);
          },
        } satisfies Catalog['webhooks'];
      },
    });
    ctx = {
      catalog,
      repo: session.repo,
      log: undefined as never,
      alerts: undefined as never,
      version: 'test',
      report: () => {},
      policy: async () => policy,
      access: async () => undefined as never,
      withRepository: (fn) => fn(session.repo),
    };
  });
  after(async () => {
    await session?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const capturing = async (externalId: string): Promise<DeploymentRecord> => {
    const record: DeploymentRecord = {
      id: `D-${externalId}`,
      environment: 'prod',
      release: null,
      commit: null,
      change: null,
      pipeline: null,
      status: 'started',
      source: 'generic',
      externalId,
      actor: 'webhook:generic',
      startedAt: new Date().toISOString(),
      finishedAt: null,
      reason: null,
      ticket: null,
      requirements: [],
    };
    await session.catalog.deployments.create(record);
    await session.catalog.deployments.putBundle([
      {
        deployment: record.id,
        phase: 'pre',
        item: 'app',
        snapshotId: null,
        verificationId: null,
        status: 'pending',
        error: null,
      },
    ]);
    return record;
  };

  it('lets a fail sent during the pre-deploy capture wait for it, then records it', async () => {
    const ops = hooksOps(ctx, {}, { captureWaitMs: 30_000, capturePollMs: 20 });
    const record = await capturing('b-1');
    let done = false;
    const failing = ops
      .applyWebhook('generic', { kind: 'fail', environment: 'prod', externalId: 'b-1', reason: 'canary red' })
      .finally(() => {
        done = true;
      });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(done, false, 'waits while the capture runs');
    assert.equal((await session.catalog.deployments.get(record.id))?.status, 'started');
    await session.catalog.deployments.putBundle([
      {
        deployment: record.id,
        phase: 'pre',
        item: 'app',
        snapshotId: null,
        verificationId: null,
        status: 'unchanged',
        error: null,
      },
    ]);
    const failed = await failing;
    assert.deepEqual([failed.status, failed.already, failed.rollback], ['failed', false, null]);
    assert.equal((await session.catalog.deployments.get(record.id))?.reason, 'canary red');
  });

  it('refuses a finish with a retryable 409 when the capture outlasts the wait', async () => {
    const ops = hooksOps(ctx, {}, { captureWaitMs: 60, capturePollMs: 20 });
    const record = await capturing('b-2');
    await assert.rejects(
      ops.applyWebhook('generic', { kind: 'finish', environment: 'prod', externalId: 'b-2' }),
      (err) => {
        assert.ok(isCairnError(err, 'CAIRN_E_EXISTS'), String(err));
        assert.deepEqual([err.httpStatus, err.details?.retryable], [409, true]);
        return true;
      },
    );
    assert.equal((await session.catalog.deployments.get(record.id))?.status, 'started');
  });

  it('records a failure after success, and answers `already` for a failure of a failed deployment', async () => {
    const ops = hooksOps(ctx, {});
    const started = await ops.applyWebhook('generic', {
      kind: 'start',
      environment: 'prod',
      externalId: 'b-3',
      release: '1.0.0',
      commit: null,
      change: null,
      pipeline: null,
    });
    assert.equal(started.status, 'started');
    const finished = await ops.applyWebhook('generic', { kind: 'finish', environment: 'prod', externalId: 'b-3' });
    assert.equal(finished.status, 'succeeded');
    const cmd = { kind: 'fail', environment: 'prod', externalId: 'b-3', reason: 'errors after release' } as const;
    const failed = await ops.applyWebhook('generic', cmd);
    assert.deepEqual([failed.status, failed.already], ['failed', false]);
    const again = await ops.applyWebhook('generic', cmd);
    assert.deepEqual([again.status, again.already], ['failed', true]);
  });

  it('answers a redelivered start whose capture stopped half-way with the failure, not as started', async () => {
    const ops = hooksOps(ctx, {});
    const cmd = {
      kind: 'start',
      environment: 'prod',
      externalId: 'b-4',
      release: null,
      commit: null,
      change: null,
      pipeline: null,
    } as const;
    const held = await session.repo.lock(true, 'prune');
    try {
      await assert.rejects(ops.applyWebhook('generic', cmd), (err) => isCairnError(err, 'CAIRN_E_REPO_LOCKED'));
    } finally {
      await held.release();
    }
    await assert.rejects(ops.applyWebhook('generic', cmd), (err) => {
      assert.ok(isCairnError(err, 'CAIRN_E_EXISTS'), String(err));
      assert.match(
        err.message,
        /generic deployment b-4 was recorded as D-\S+, which failed: pre-deploy capture failed: CAIRN_E_REPO_LOCKED/,
      );
      return true;
    });
  });

  it('renews the heartbeat of a claimed delivery while it is processed, and stops once its outcome is recorded', async () => {
    const ops = hooksOps(ctx, {}, { heartbeatMs: 10 });
    const claim = {
      provider: 'generic' as const,
      deliveryId: 'hb-1',
      event: 'start',
      receivedAt: new Date().toISOString(),
    };
    assert.equal(await ops.claimWebhookDelivery(claim), null);
    for (let i = 0; i < 200 && heartbeats.filter((h) => h === 'hb-1').length < 3; i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.ok(heartbeats.filter((h) => h === 'hb-1').length >= 3, 'renewed while processing');
    await ops.recordWebhookOutcome('generic', 'hb-1', { result: 'ok', statusCode: 200 });
    const count = heartbeats.length;
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(heartbeats.length, count, 'no renewal after the outcome');
  });
});
