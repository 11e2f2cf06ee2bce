/**
 * `cairn restore --to-target`: the item's policy `restore:` target receives the snapshot — a command's
 * stdin, an HTTP PUT/POST (a node:http server here), a directory in place — and failures are CAIRN_E_TARGET.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertExit, cliAsync, type ItemResult, jsonError } from './e2e.js';
import { type Fixture, fixture } from './helpers.js';

const CM = 'apiVersion: v1\nkind: ConfigMap\ndata:\n  level: info\n';
const FLAGS = '{"flags":{"checkout":true}}';
let server: Server;
let f: Fixture;
const received: Array<{ method: string; url: string; body: string; auth?: string; type?: string }> = [];

function policy(base: string): string {
  const item = (name: string, source: string, restore?: string) =>
    `  - name: ${name}\n    owner: o@example.com\n    tier: 2\n    sources: [${source}]\n${restore ? `    restore: ${restore}\n` : ''}`;
  const cmd = '{ command: { run: "cat data/cm.yaml", file: cm.yaml } }';
  const flags = `{ http: { url: "${base}/export", file: flags.json } }`;
  return `version: 1
governance:
  retentionClasses:
    short: { keep: 0d }
tiers:
  2:
    retentionClass: short
    keep: { last: 5 }
items:
${item('cm-apply', cmd, '{ command: "cat > applied.yaml; echo configmap/app configured", timeout: 10s }')}${item(
  'cm-broken',
  cmd,
  `{ command: "cat >/dev/null; echo 'error: the server refused' >&2; exit 7" }`,
)}${item('flags-put', flags, `{ http: { method: PUT, url: "${base}/import", headersEnv: { Authorization: IMPORT_TOKEN } } }`)}${item(
  'flags-post',
  flags,
  `{ http: { method: POST, url: "${base}/import" } }`,
)}${item('flags-500', flags, `{ http: { url: "${base}/fail" } }`)}${item('cm-none', cmd)}${item(
  'app-dir',
  '{ files: { root: src/prod } }',
  '{ directory: live/app }',
)}${item('mixed', `{ files: { root: src/dev } }, ${cmd}`, '{ command: "cat > mixed.out" }')}`;
}

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/export') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(FLAGS);
        return;
      }
      received.push({
        method: req.method!,
        url: req.url!,
        body: Buffer.concat(chunks).toString(),
        ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
        ...(req.headers['content-type'] ? { type: req.headers['content-type'] } : {}),
      });
      if (req.url === '/fail') res.writeHead(500).end('import failed: schema mismatch');
      else res.writeHead(200).end('{"imported":1}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  f = fixture({ policy: policy(`http://127.0.0.1:${(server.address() as AddressInfo).port}`) });
  f.write('data/cm.yaml', CM);
  const r = await cliAsync(f, ['snapshot', '--json', '--release', '1.0']);
  for (const x of r.json<{ snapshots: ItemResult[] }>().snapshots) assert.equal(x.status, 'created', JSON.stringify(x));
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const toTarget = (item: string, ...extra: string[]) =>
  cliAsync(f, ['restore', '--item', item, '--release', '1.0', '--to-target', '--json', ...extra], {
    IMPORT_TOKEN: 'Bearer imp0rt',
  });

describe('restore --to-target', () => {
  test('a command target gets the snapshot file on stdin', async () => {
    const r = await cliAsync(f, ['snapshots', '--item', 'cm-apply', '--json']);
    const id = r.json<{ snapshots: Array<{ id: string }> }>().snapshots[0]!.id;
    const out = await cliAsync(f, ['restore', id, '--to-target', '--json']);
    assertExit(out, 0);
    const doc = out.json<{ kind: string; file: string; delivery: { output: string } }>();
    assert.equal(doc.kind, 'command');
    assert.equal(doc.file, 'cm.yaml');
    assert.match(doc.delivery.output, /configmap\/app configured/);
    assert.equal(readFileSync(join(f.dir, 'applied.yaml'), 'utf8'), CM);
  });

  test('a failing command is CAIRN_E_TARGET with its exit code and stderr (exit 1)', async () => {
    const r = await toTarget('cm-broken');
    assertExit(r, 1);
    const err = jsonError(r);
    assert.equal(err.code, 'CAIRN_E_TARGET');
    assert.match(err.message, /item cm-broken: restore target command `.*`: exited with code 7/);
    assert.match(err.message, /error: the server refused/);
  });

  test('http PUT with a header from the environment, and POST, carry the file as the body', async () => {
    assertExit(await toTarget('flags-put'), 0);
    assert.deepEqual(received.at(-1), {
      method: 'PUT',
      url: '/import',
      body: FLAGS,
      auth: 'Bearer imp0rt',
      type: 'application/json',
    });
    const post = await toTarget('flags-post');
    assertExit(post, 0);
    assert.equal(post.json<{ delivery: { status: number } }>().delivery.status, 200);
    assert.equal(received.at(-1)!.method, 'POST');
    assert.equal(received.at(-1)!.body, FLAGS);
  });

  test('an HTTP 500 is CAIRN_E_TARGET with the status; a missing header variable names it', async () => {
    const r = await toTarget('flags-500');
    assertExit(r, 1);
    const err = jsonError(r);
    assert.equal(err.code, 'CAIRN_E_TARGET');
    assert.match(err.message, /http PUT http:\/\/127\.0\.0\.1:\d+\/fail: answered HTTP 500: import failed/);
    const before = received.length;
    const noToken = await cliAsync(f, ['restore', '--item', 'flags-put', '--release', '1.0', '--to-target', '--json'], {
      IMPORT_TOKEN: undefined,
    });
    assertExit(noToken, 1);
    assert.match(jsonError(noToken).message, /IMPORT_TOKEN/);
    assert.equal(received.length, before, 'nothing was sent');
  });

  test('--dry-run says what would be sent where and sends nothing', async () => {
    const before = received.length;
    const r = await toTarget('flags-put', '--dry-run');
    assertExit(r, 0);
    const doc = r.json<{ dryRun: boolean; file: string; target: string; bytes: number }>();
    assert.equal(doc.dryRun, true);
    assert.equal(doc.file, 'flags.json');
    assert.match(doc.target, /^http PUT http:\/\/127\.0\.0\.1:\d+\/import$/);
    assert.equal(doc.bytes, FLAGS.length);
    assert.equal(received.length, before);
    const text = await cliAsync(f, ['restore', '--item', 'flags-put', '--release', '1.0', '--to-target', '--dry-run']);
    assertExit(text, 0);
    assert.match(text.stdout, /would send flags\.json \(.*\) of flags-put [0-9a-f]{12} to http PUT/);
  });

  test('a directory target is restored in place', async () => {
    assertExit(await toTarget('app-dir'), 0);
    assert.equal(
      readFileSync(join(f.dir, 'live/app/deployment.yaml'), 'utf8'),
      readFileSync(join(f.src, 'prod/deployment.yaml'), 'utf8'),
    );
    // Again, over what is there now.
    assertExit(await toTarget('app-dir'), 0);
  });

  test('several sources: the file of the one content source is sent', async () => {
    assertExit(await toTarget('mixed'), 0);
    assert.equal(readFileSync(join(f.dir, 'mixed.out'), 'utf8'), CM);
  });

  test('an item without a restore target is a usage error naming it (exit 2); so is no --target/--to-target', async () => {
    const r = await toTarget('cm-none');
    assertExit(r, 2);
    assert.match(jsonError(r).message, /item cm-none \(.*cairn\.yaml:\d+\) has no restore target/);
    const neither = await cliAsync(f, ['restore', '--item', 'cm-none', '--release', '1.0', '--json']);
    assertExit(neither, 2);
    assert.match(jsonError(neither).message, /--target <dir> or --to-target/);
  });
});
