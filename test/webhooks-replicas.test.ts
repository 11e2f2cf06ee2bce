/**
 * The same webhook delivery reaching two `cairn serve` replicas that share a PostgreSQL catalog at
 * the same moment: one of them claims it and starts the deployment, the other answers duplicate.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { freshPgDatabase } from './e2e.js';
import { type Fixture, fixture, SMALL_POLICY } from './helpers.js';
import { type ServeProcess, startServe } from './serve-support.js';

const SECRET = 'replica hook secret';
const POLICY = `${SMALL_POLICY}webhooks:\n  github: { secretEnv: GH_HOOK_SECRET }\n`;

describe('webhooks on two replicas (PostgreSQL catalog)', () => {
  let db: ReturnType<typeof freshPgDatabase> | undefined;
  let f: Fixture;
  const servers: ServeProcess[] = [];

  before(async () => {
    db = freshPgDatabase();
    f = fixture({ policy: POLICY, init: false });
    f.env.CAIRN_CATALOG_URL = db.url;
    assert.equal(f.cli(['init']).code, 0);
    servers.push(await startServe(f, [], { GH_HOOK_SECRET: SECRET }));
    servers.push(await startServe(f, [], { GH_HOOK_SECRET: SECRET }));
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    db?.drop();
  });

  it('acts on a delivery once, whichever replica gets it', async () => {
    const raw = JSON.stringify({
      action: 'created',
      deployment: { id: 77, environment: 'prod', ref: 'v1.0.0', sha: 'abc' },
    });
    const headers = {
      'content-type': 'application/json',
      'x-github-event': 'deployment',
      'x-github-delivery': 'replicated-1',
      'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`,
    };
    const answers = await Promise.all(
      servers.map(async (s) => {
        const res = await fetch(`${s.url}/api/v1/hooks/github`, { method: 'POST', headers, body: raw });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      }),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200],
      JSON.stringify(answers),
    );
    assert.equal(answers.filter((a) => a.body.duplicate === true).length, 1, JSON.stringify(answers));
    const list = f.cli(['deploy', 'list', '--env', 'prod', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const { deployments } = list.json<{ deployments: Array<{ externalId: string | null }> }>();
    assert.deepEqual(
      deployments.map((d) => d.externalId),
      ['77'],
    );
  });
});
