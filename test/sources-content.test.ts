/**
 * Content sources end to end through the CLI: command, http (a node:http server here), dotenv (secrets
 * refused and encrypted), git (a repository made here) and postgres (the local server), each snapshotted,
 * snapshotted again unchanged, and restored.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeGitRepo } from '../src/sources/test-support.js';
import { assertExit, cliAsync, freshPgDatabase, type ItemResult } from './e2e.js';
import { type Fixture, fixture } from './helpers.js';

// Generated, so this file trips no secret scanner: an AWS access key id shape.
const AWS_KEY = `AKIA${'Q7XW3MZP5KD2RVNB'}`;
let server: Server;
let f: Fixture;
let repo: string;
let pg: { url: string; drop(): void };
let flagsBody = '{"flags":{"checkout":true}}';

function policy(base: string): string {
  return `version: 1
governance:
  retentionClasses:
    short: { keep: 0d }
tiers:
  2:
    retentionClass: short
    keep: { last: 5 }
items:
  - { name: cm, owner: o@example.com, tier: 2, sources: [{ command: { run: "cat data/cm.yaml", file: configmaps.yaml } }] }
  - { name: cm-fail, owner: o@example.com, tier: 2, sources: [{ command: { run: "echo 'error: no context' >&2; exit 4" } }] }
  - { name: cm-hang, owner: o@example.com, tier: 2, sources: [{ command: { run: "sleep 60", timeout: 500ms } }] }
  - name: flags
    owner: o@example.com
    tier: 2
    sources: [{ http: { url: "${base}/flags", headersEnv: { Authorization: FLAGS_TOKEN }, file: flags.json } }]
  - { name: flags-500, owner: o@example.com, tier: 2, sources: [{ http: { url: "${base}/500" } }] }
  - { name: flags-bad, owner: o@example.com, tier: 2, sources: [{ http: { url: "${base}/bad" } }] }
  - { name: env-refuse, owner: o@example.com, tier: 2, secrets: refuse, sources: [{ dotenv: { path: data/app.env } }] }
  - { name: env-encrypt, owner: o@example.com, tier: 2, secrets: encrypt, sources: [{ dotenv: { path: data/app.env } }] }
  - { name: iac, owner: o@example.com, tier: 2, sources: [{ git: { path: "${repo}", ref: main, subdir: envs/prod } }] }
  - { name: iac-url, owner: o@example.com, tier: 2, sources: [{ git: { url: "file://${repo}", ref: v1 } }] }
  - { name: db, owner: o@example.com, tier: 2, sources: [{ postgres: { urlEnv: DB_URL } }] }
  - name: mixed
    owner: o@example.com
    tier: 2
    sources:
      - files: { root: src/prod }
      - command: { run: "echo hello", file: hello.txt, format: text }
`;
}

before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/flags') {
      if (req.headers.authorization !== 'Bearer t0ken') {
        res.writeHead(401).end('no');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(flagsBody);
    } else if (req.url === '/500') res.writeHead(500).end('boom');
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"a": ');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  repo = makeGitRepo();
  pg = freshPgDatabase();
  f = fixture({ policy: policy(`http://127.0.0.1:${(server.address() as AddressInfo).port}`) });
  f.write('data/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\ndata:\n  level: info\n');
  f.write('data/app.env', `LOG_LEVEL=info\nAWS_ACCESS_KEY_ID=${AWS_KEY}\n`);
});
after(() => {
  server.closeAllConnections();
  server.close();
  pg?.drop();
});

const env = () => ({ FLAGS_TOKEN: 'Bearer t0ken', DB_URL: pg.url });

async function snapshot(items: string[]): Promise<Map<string, ItemResult>> {
  const r = await cliAsync(f, ['snapshot', '--json', ...items.flatMap((i) => ['--item', i])], env());
  const results = r.json<{ snapshots: ItemResult[] }>().snapshots;
  return new Map(results.map((x) => [x.item, x]));
}

describe('content sources through `cairn snapshot`', () => {
  test('command, http, git, postgres and mixed items are created, then unchanged', async () => {
    const items = ['cm', 'flags', 'iac', 'iac-url', 'db', 'mixed', 'env-encrypt'];
    const first = await snapshot(items);
    for (const i of items) assert.equal(first.get(i)?.status, 'created', `${i}: ${JSON.stringify(first.get(i))}`);
    const second = await snapshot(items);
    for (const i of items) assert.equal(second.get(i)?.status, 'unchanged', `${i}: ${JSON.stringify(second.get(i))}`);

    const ls = await cliAsync(f, ['ls', first.get('mixed')!.id!, '--json'], env());
    assertExit(ls, 0);
    assert.match(ls.stdout, /1-command\/hello\.txt/);
    assert.match(ls.stdout, /0-prod\/deployment\.yaml/);

    flagsBody = '{"flags":{"checkout":false}}';
    const third = await snapshot(['flags']);
    assert.equal(third.get('flags')?.status, 'created');
  });

  test('restore of command, git and dotenv (encrypted) snapshots gives the bytes back', async () => {
    const got = await snapshot(['cm', 'iac', 'env-encrypt']);
    const restore = async (item: string) => {
      const dir = join(f.dir, `restored-${item}`);
      const r = await cliAsync(f, ['restore', got.get(item)!.id!, '--target', dir, '--json'], env());
      assertExit(r, 0);
      return dir;
    };
    assert.equal(
      readFileSync(join(await restore('cm'), 'configmaps.yaml'), 'utf8'),
      readFileSync(join(f.dir, 'data/cm.yaml'), 'utf8'),
    );
    assert.equal(readFileSync(join(await restore('iac'), 'vars.tfvars'), 'utf8'), 'replicas = 6\n');
    assert.match(readFileSync(join(await restore('env-encrypt'), 'app.env'), 'utf8'), new RegExp(AWS_KEY));
  });

  test('failures: each item fails with CAIRN_E_SOURCE / CAIRN_E_SECRET_FOUND and a message that says why', async () => {
    const r = await cliAsync(
      f,
      [
        'snapshot',
        '--json',
        ...['cm-fail', 'cm-hang', 'flags-500', 'flags-bad', 'env-refuse'].flatMap((i) => ['--item', i]),
      ],
      env(),
    );
    assert.notEqual(r.code, 0);
    const got = new Map(r.json<{ snapshots: ItemResult[] }>().snapshots.map((x) => [x.item, x]));
    const failed = (item: string, code: string, re: RegExp) => {
      const x = got.get(item)!;
      assert.equal(x.status, 'failed', item);
      assert.equal(x.error?.code, code, `${item}: ${x.error?.message}`);
      assert.match(x.error!.message, re);
    };
    failed('cm-fail', 'CAIRN_E_SOURCE', /exited with code 4.*\n?.*error: no context/s);
    failed('cm-hang', 'CAIRN_E_SOURCE', /timed out after 500 ms/);
    failed('flags-500', 'CAIRN_E_SOURCE', /answered HTTP 500/);
    failed('flags-bad', 'CAIRN_E_SOURCE', /not valid JSON/);
    failed('env-refuse', 'CAIRN_E_SECRET_FOUND', /app\.env:2:.*aws-access-key-id/);
  });

  test('an http header variable that is not set fails the item naming it', async () => {
    const r = await cliAsync(f, ['snapshot', '--json', '--item', 'flags'], { FLAGS_TOKEN: undefined, DB_URL: pg.url });
    const x = r.json<{ snapshots: ItemResult[] }>().snapshots[0]!;
    assert.equal(x.error?.code, 'CAIRN_E_SOURCE');
    assert.match(x.error!.message, /FLAGS_TOKEN/);
  });
});
