/**
 * Inbound webhooks end to end: `cairn serve` on a real repository receiving GitHub, GitLab and
 * generic deliveries over HTTP, signed as the providers sign them. A deployment with its pre- and
 * post-deploy bundles, idempotency by delivery id, the refusals (unsigned, wrongly signed, replayed,
 * unknown environment), the automatic rollback of a failed deployment, and every delivery in
 * `cairn audit log`.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Fixture, fixture, SMALL_POLICY } from './helpers.js';
import { type ServeProcess, startServe } from './serve-support.js';

const SECRETS = { GH_HOOK_SECRET: 'gh e2e secret', GL_HOOK_TOKEN: 'gl-e2e-token', HOOK_SECRET: 'generic e2e secret' };

const POLICY = SMALL_POLICY.replace('  prod: {}\n', '  prod: { autoRollback: true }\n')
  .replace(
    '      - files: { root: src/prod }\n',
    '      - files: { root: src/prod }\n    restore: { directory: src/prod }\n',
  )
  .concat(`webhooks:
  github: { secretEnv: GH_HOOK_SECRET }
  gitlab: { tokenEnv: GL_HOOK_TOKEN }
  generic: { secretEnv: HOOK_SECRET, replayWindow: 5m }
  environmentMap: { production: prod }
`);

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

describe('webhooks (cairn serve, SQLite)', () => {
  let f: Fixture;
  let server: ServeProcess;

  before(async () => {
    f = fixture({ policy: POLICY });
    server = await startServe(f, [], SECRETS);
  });
  after(async () => {
    await server?.stop();
  });

  async function post(provider: string, raw: string, headers: Record<string, string>): Promise<Reply> {
    const res = await fetch(`${server.url}/api/v1/hooks/${provider}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'e2e-hookshot', ...headers },
      body: raw,
    });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  }
  function github(event: string, payload: unknown, delivery: string, secret = SECRETS.GH_HOOK_SECRET) {
    const raw = JSON.stringify(payload, null, 2);
    const sig = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
    return post('github', raw, { 'x-github-event': event, 'x-github-delivery': delivery, 'x-hub-signature-256': sig });
  }
  function generic(payload: unknown, delivery: string, ts = Math.floor(Date.now() / 1000)) {
    const raw = JSON.stringify(payload);
    const sig = createHmac('sha256', SECRETS.HOOK_SECRET).update(`${ts}.${delivery}.${raw}`).digest('hex');
    return post('generic', raw, {
      'x-cairn-delivery': delivery,
      'x-cairn-timestamp': String(ts),
      'x-cairn-signature': `v1=${sig}`,
    });
  }
  const show = (id: string) => {
    const r = f.cli(['deploy', 'show', id, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return r.json<{
      deployment: { status: string; release: string; commit: string; source: string };
      pre: unknown[];
      post: unknown[];
    }>();
  };
  const deployment = { id: 501, environment: 'production', ref: 'v2.4.1', sha: 'a1b2c3d4', payload: {} };

  it('records a GitHub deployment with its pre- and post-deploy bundles, once however often it is delivered', async () => {
    const started = await github('deployment', { action: 'created', deployment }, 'gh-1');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.equal(started.body.environment, 'prod');
    const id = String(started.body.deployment);
    const again = await github('deployment', { action: 'created', deployment }, 'gh-1');
    assert.equal(again.status, 200);
    assert.equal(again.body.duplicate, true);
    const finished = await github('deployment_status', { deployment, deployment_status: { state: 'success' } }, 'gh-2');
    assert.equal(finished.status, 200, JSON.stringify(finished.body));
    assert.equal(finished.body.status, 'succeeded');
    const view = show(id);
    assert.deepEqual(
      [view.deployment.status, view.deployment.release, view.deployment.commit, view.deployment.source],
      ['succeeded', '2.4.1', 'a1b2c3d4', 'github'],
    );
    assert.ok(view.pre.length >= 1 && view.post.length >= 1, JSON.stringify(view));
    const list = f.cli(['deploy', 'list', '--env', 'prod', '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(JSON.stringify(list.json()).split(id).length - 1, 1, list.stdout);
  });

  it('refuses unsigned, wrongly signed and replayed deliveries (401), and an unknown environment (422)', async () => {
    const raw = JSON.stringify({ deployment: { ...deployment, id: 502 } });
    const unsigned = await post('github', raw, { 'x-github-event': 'deployment', 'x-github-delivery': 'gh-3' });
    assert.deepEqual([unsigned.status, (unsigned.body.error as { code: string }).code], [401, 'CAIRN_E_WEBHOOK']);
    const wrong = await github('deployment', { deployment: { ...deployment, id: 502 } }, 'gh-4', 'not the secret');
    assert.equal(wrong.status, 401);
    const replayed = await generic({ event: 'start', environment: 'prod' }, 'g-1', Math.floor(Date.now() / 1000) - 600);
    assert.equal(replayed.status, 401);
    const unknown = await github('deployment', { deployment: { ...deployment, id: 503, environment: 'moon' } }, 'gh-5');
    assert.equal(unknown.status, 422, JSON.stringify(unknown.body));
    assert.match((unknown.body.error as { message: string }).message, /environment moon is not in the policy/);
    const orphan = await generic({ event: 'finish', environment: 'prod', deployment: 'never-started' }, 'g-2');
    assert.equal(orphan.status, 404);
  });

  it('rolls a failed deployment back where the environment has autoRollback', async () => {
    const file = join(f.dir, 'src/prod/deployment.yaml');
    const original = readFileSync(file, 'utf8');
    const started = await generic(
      { event: 'start', environment: 'prod', release: '2.5.0', deployment: 'build-9' },
      'g-3',
    );
    assert.equal(started.status, 200, JSON.stringify(started.body));
    f.write('src/prod/deployment.yaml', original.replace('replicas: 6', 'replicas: 0'));
    const failed = await generic(
      { event: 'fail', environment: 'prod', deployment: 'build-9', reason: 'smoke tests' },
      'g-4',
    );
    assert.equal(failed.status, 200, JSON.stringify(failed.body));
    const rollback = failed.body.rollback as { status: string } | null;
    assert.ok(rollback, 'a rollback ran');
    assert.equal(rollback.status, 'completed', JSON.stringify(failed.body));
    assert.equal(readFileSync(file, 'utf8'), original);
    assert.match(show(String(started.body.deployment)).deployment.status, /^rolled-back$/);
  });

  it('puts every delivery in the audit log, under the provider identity, with its delivery id', () => {
    const r = f.cli(['audit', 'log', '--action', 'webhook.*', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const events = r.json<{ events: Array<{ identity: string; result: string; details: Record<string, unknown> }> }>()
      .events;
    const final = events.filter((e) => e.result !== 'allowed');
    const seen = final.map((e) => [
      e.identity,
      e.result,
      e.details.deliveryId ?? null,
      e.details.reason ?? e.details.result,
    ]);
    assert.deepEqual(seen, [
      ['webhook:github', 'ok', 'gh-1', 'ok'],
      ['webhook:github', 'ok', 'gh-1', undefined],
      ['webhook:github', 'ok', 'gh-2', 'ok'],
      ['webhook:github', 'failed', 'gh-3', 'missing-signature'],
      ['webhook:github', 'failed', 'gh-4', 'bad-signature'],
      ['webhook:generic', 'failed', 'g-1', 'replayed'],
      ['webhook:github', 'failed', 'gh-5', seen[6]?.[3]],
      ['webhook:generic', 'failed', 'g-2', seen[7]?.[3]],
      ['webhook:generic', 'ok', 'g-3', 'ok'],
      ['webhook:generic', 'ok', 'g-4', 'ok'],
    ]);
    assert.equal(events.find((e) => e.details.deliveryId === 'gh-1' && e.details.duplicate)?.details.firstResult, 'ok');
  });

  it('acts on the redelivery of a finish that arrived before its start (a temporary failure is not final)', async () => {
    const early = await generic({ event: 'finish', environment: 'prod', deployment: 'build-10' }, 'g-5');
    assert.equal(early.status, 404, JSON.stringify(early.body));
    const started = await generic(
      { event: 'start', environment: 'prod', release: '2.6.0', deployment: 'build-10' },
      'g-6',
    );
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const redelivered = await generic({ event: 'finish', environment: 'prod', deployment: 'build-10' }, 'g-5');
    assert.equal(redelivered.status, 200, JSON.stringify(redelivered.body));
    assert.equal(redelivered.body.duplicate, undefined);
    assert.equal(redelivered.body.status, 'succeeded');
    const again = await generic({ event: 'finish', environment: 'prod', deployment: 'build-10' }, 'g-5');
    assert.deepEqual([again.status, again.body.duplicate], [200, true], 'a final outcome is answered, not redone');
  });

  it('fails a deployment after it succeeded (a post-deploy check), rolling it back', async () => {
    const failed = await github('deployment_status', { deployment, deployment_status: { state: 'failure' } }, 'gh-6');
    assert.equal(failed.status, 200, JSON.stringify(failed.body));
    assert.equal(failed.body.already, false);
    assert.ok(failed.body.rollback, JSON.stringify(failed.body));
    assert.match(show(String(failed.body.deployment)).deployment.status, /^(rolled-back|rollback-failed)$/);
  });

  it('never loses a failure sent while the start is still taking its pre-deploy bundle', async () => {
    const start = generic({ event: 'start', environment: 'prod', release: '2.7.0', deployment: 'build-11' }, 'g-7');
    const fail = generic({ event: 'fail', environment: 'prod', deployment: 'build-11', reason: 'canary red' }, 'g-8');
    const [started, failedFirst] = await Promise.all([start, fail]);
    assert.equal(started.status, 200, JSON.stringify(started.body));
    // Either it waited for the capture, or it came before the start's record and its redelivery acts.
    const failed =
      failedFirst.status === 404
        ? await generic({ event: 'fail', environment: 'prod', deployment: 'build-11', reason: 'canary red' }, 'g-8')
        : failedFirst;
    assert.equal(failed.status, 200, JSON.stringify(failed.body));
    assert.equal(failed.body.duplicate, undefined);
    const view = show(String(started.body.deployment));
    assert.match(view.deployment.status, /^(rolled-back|rollback-failed|failed)$/);
    assert.ok(view.pre.length >= 1);
  });
});
