/**
 * Rollback and runbooks through `cairn serve`: POST /api/v1/deployments/:id/rollback (rollback.run:
 * restorer and admin), GET /api/v1/runbooks (every role), and the CLI's --server mode of both.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertExit, cliAsync } from './e2e.js';
import { type Fixture, fixture } from './helpers.js';
import {
  APP_V1,
  APP_V2,
  FLAGS_V1,
  FLAGS_V2,
  FlagService,
  NGINX_V1,
  NGINX_V2,
  rollbackPolicy,
} from './rollback-support.js';
import { client, localToken, type ServeProcess, startServe } from './serve-support.js';

describe('rollback and runbooks through the server', () => {
  const flags = new FlagService(FLAGS_V1);
  let f: Fixture;
  let serve: ServeProcess;
  const tokens: Record<string, string> = {};

  before(async () => {
    await flags.start();
    f = fixture({ policy: rollbackPolicy(flags.url) });
    f.write('state/app.yaml', APP_V1);
    f.write('state/conf/nginx.conf', NGINX_V1);
    f.write('state/legacy/legacy.ini', 'a=1\n');
    assertExit(await cliAsync(f, ['deploy', 'start', '--env', 'prod', '--id', 'D-S1', '--json']), 0);
    writeFileSync(join(f.dir, 'state/app.yaml'), APP_V2);
    writeFileSync(join(f.dir, 'state/conf/nginx.conf'), NGINX_V2);
    flags.flags = JSON.stringify(FLAGS_V2);
    for (const role of ['restorer', 'operator', 'viewer']) tokens[role] = localToken(f, role, [role]);
    serve = await startServe(f);
  });
  after(async () => {
    await serve?.stop();
    await flags.stop();
  });

  it('lets a restorer roll back (dry run first), refuses an operator, and the CLI talks to it', async () => {
    const restorer = client(serve.url, tokens.restorer);
    const path = '/api/v1/deployments/D-S1/rollback';
    const dry = await restorer.ok<{
      dryRun: boolean;
      items: Array<{ item: string; state: string; diff: { drifted: boolean } }>;
    }>(restorer.post(path, { dryRun: true }));
    assert.equal(dry.dryRun, true);
    assert.deepEqual(
      dry.items.map((i) => [i.item, i.state, i.diff.drifted]),
      [
        ['app', 'pending', true],
        ['flags', 'pending', true],
        ['conf', 'pending', true],
      ],
    );
    assert.equal(readFileSync(join(f.dir, 'state/app.yaml'), 'utf8'), APP_V2);

    const operator = client(serve.url, tokens.operator);
    assert.equal((await operator.post(path, { dryRun: true })).status, 403);
    assert.equal((await client(serve.url, tokens.viewer).post(path, {})).status, 403);
    assert.equal((await restorer.post('/api/v1/deployments/D-none/rollback', {})).status, 404);

    const r = await cliAsync(f, ['--server', serve.url, 'rollback', '--deployment', 'D-S1', '--json'], {
      CAIRN_TOKEN: tokens.restorer,
    });
    assertExit(r, 0);
    assert.equal(r.json<{ status: string }>().status, 'completed');
    assert.equal(readFileSync(join(f.dir, 'state/app.yaml'), 'utf8'), APP_V1);
    assert.equal(readFileSync(join(f.dir, 'state/conf/nginx.conf'), 'utf8'), NGINX_V1);
    assert.deepEqual(JSON.parse(flags.flags), FLAGS_V1);
  });

  it('renders runbooks for any role, written by the CLI where it runs', async () => {
    const viewer = client(serve.url, tokens.viewer);
    const books = await viewer.ok<{ environment: string; files: Array<{ name: string; content: string }> }>(
      viewer.get('/api/v1/runbooks?env=prod'),
    );
    assert.deepEqual(
      books.files.map((b) => b.name),
      ['app.md', 'conf.md', 'flags.md', 'README.md'],
    );
    assert.equal((await viewer.get('/api/v1/runbooks?env=nowhere')).status, 400);
    const out = join(f.dir, 'remote-runbooks');
    const r = await cliAsync(f, ['--server', serve.url, 'runbook', '--env', 'prod', '--out', out, '--json'], {
      CAIRN_TOKEN: tokens.viewer,
    });
    assertExit(r, 0);
    assert.equal(r.json<{ files: string[] }>().files.length, 4);
    assert.equal(readFileSync(join(out, 'conf.md'), 'utf8'), books.files[1]!.content);
    assert.match(readFileSync(join(out, 'conf.md'), 'utf8'), /cairn rollback --deployment D-S1 --dry-run/);
  });
});
