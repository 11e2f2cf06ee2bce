import assert from 'node:assert/strict';
import { chmodSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  assertExit,
  cliAsNobody,
  cliMany,
  countObjects,
  type Hit,
  type ItemResult,
  jsonError,
  nobodyFixture,
  search,
  snap,
  snapOne,
} from './e2e.js';
import { fixture, SMALL_POLICY } from './helpers.js';

const HEX64 = /^[0-9a-f]{64}$/;

// Assembled at run time so this file itself holds no secret-shaped literal.
const AWS_KEY = ['AKIA', 'Z7Q3XW2MPLK4NV8R'].join('');
const GH_TOKEN = ['ghp', '_', 'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5'].join('');
const PEM_BODY = 'MIIEowIBAAKCAQEA1b3c5d7e9f1h3j5l7n9p1r3t5v7x9z1B3D5F7H9J1L3N5P7R';
const PEM = [`-----BEGIN RSA ${'PRIVATE'} KEY-----`, PEM_BODY, PEM_BODY, `-----END RSA ${'PRIVATE'} KEY-----`].join(
  '\n',
);
const CREDS = [
  'service: payments', // 1
  `aws_access_key_id: ${AWS_KEY}`, // 2
  `db_password: \${DB_PASSWORD}`, // 3: a placeholder, not a secret
  `github: ${GH_TOKEN}`, // 4
  'tls_key: |', // 5
  ...PEM.split('\n').map((l) => `  ${l}`), // 6..9
  `api_token: \${API_TOKEN}`, // 10
  '',
].join('\n');

describe('cairn snapshot', () => {
  it('takes one snapshot per item and reports each in --json', () => {
    const f = fixture();
    const { r, results } = snap(f);
    assertExit(r, 0);
    assert.deepEqual(results.map((x) => [x.item, x.status, x.parent]).sort(), [
      ['app-dev', 'created', null],
      ['app-prod', 'created', null],
    ]);
    for (const x of results) {
      assert.match(x.id!, HEX64);
      assert.equal(x.files, 3);
    }
    assert.equal(countObjects(f, 'snapshots'), 2);
    const hits = search(f);
    assert.deepEqual(hits.map((h) => h.id).sort(), results.map((x) => x.id).sort());
  });

  it('--item and --env choose the items', () => {
    const f = fixture();
    assert.deepEqual(
      snap(f, ['--item', 'app-dev']).results.map((x) => x.item),
      ['app-dev'],
    );
    const { r, results } = snap(f, ['--env', 'prod']);
    assertExit(r, 0);
    assert.deepEqual(
      results.map((x) => [x.item, x.status]),
      [['app-prod', 'created']],
    );
    assert.equal(countObjects(f, 'snapshots'), 2);
  });

  it('an unchanged state is verified, not stored; touching mtimes keeps it unchanged; --force and a changed byte store', () => {
    const f = fixture();
    const first = snapOne(f, 'app-prod');
    assert.equal(first.status, 'created');
    assert.equal(countObjects(f, 'snapshots'), 1);

    const again = snapOne(f, 'app-prod');
    assert.equal(again.status, 'unchanged');
    assert.equal(again.id, first.id);
    assert.equal(again.parent, first.id);
    assert.match(again.verification!, HEX64);
    assert.equal(countObjects(f, 'snapshots'), 1, 'no new snapshots/ object');
    assert.equal(countObjects(f, 'verifications'), 1);

    const file = join(f.src, 'prod', 'deployment.yaml');
    const later = new Date(Date.now() + 3_600_000);
    utimesSync(file, later, later);
    const touched = snapOne(f, 'app-prod');
    assert.equal(touched.status, 'unchanged');
    assert.equal(touched.id, first.id);
    assert.equal(countObjects(f, 'snapshots'), 1);

    const forced = snapOne(f, 'app-prod', ['--force']);
    assert.equal(forced.status, 'created');
    assert.notEqual(forced.id, first.id);
    assert.equal(forced.parent, first.id);
    assert.equal(countObjects(f, 'snapshots'), 2);

    const bytes = readFileSync(file);
    bytes[bytes.indexOf('6')] = '7'.charCodeAt(0); // replicas: 6 -> 7, same size
    f.write('src/prod/deployment.yaml', bytes);
    const changed = snapOne(f, 'app-prod');
    assert.equal(changed.status, 'created');
    assert.equal(changed.parent, forced.id);
    assert.equal(countObjects(f, 'snapshots'), 3);
  });
});

describe('cairn snapshot: exit codes', () => {
  it('exits 2 on an unknown flag, a bad --trigger and an unknown --item, and writes nothing', async () => {
    const f = fixture();
    const cases = [['--bogus'], ['--trigger', 'whenever'], ['--item', 'no-such-item']];
    const results = await cliMany(
      f,
      cases.map((args) => ['snapshot', '--json', ...args]),
    );
    results.forEach((r, i) => {
      const args = cases[i]!;
      assertExit(r, 2);
      const e = jsonError(r);
      assert.equal(e.code, 'CAIRN_E_USAGE', args.join(' '));
      assert.match(`${e.message}\n${r.stderr}`, new RegExp(args[args.length - 1]!));
    });
    assert.equal(countObjects(f, 'snapshots'), 0);
  });

  it('exits 2 on a YAML syntax error and on a schema error, naming file:line:col and the field', () => {
    const f = fixture({ init: false });
    f.write('cairn.yaml', 'version: 1\nitems:\n  - name: app-prod\n    owner: [team@example.com\n    tier: 2\n');
    const syntax = f.cli(['snapshot']);
    assertExit(syntax, 2);
    assert.match(syntax.stderr, /CAIRN_E_POLICY_INVALID/);
    assert.match(syntax.stderr, /cairn\.yaml:\d+:\d+: /);

    const schema = SMALL_POLICY.replace(
      '    owner: team@example.com\n    tier: 2\n    environment: dev',
      '    tier: 2\n    environment: dev',
    ).replace('keep: { last: 2 }', 'keep: { last: two }');
    f.write('cairn.yaml', schema);
    const r = f.cli(['snapshot', '--json']);
    assertExit(r, 2);
    const e = jsonError(r);
    assert.equal(e.code, 'CAIRN_E_POLICY_INVALID');
    const policyFile = join(f.dir, 'cairn.yaml');
    const lines = schema.split('\n');
    const keepLine = lines.findIndex((l) => l.includes('last: two')) + 1;
    const devLine = lines.findIndex((l) => l.includes('- name: app-dev')) + 1;
    assert.match(r.stderr, new RegExp(`${escapeRe(policyFile)}:${keepLine}:\\d+: tiers\\.2\\.keep\\.last`));
    assert.match(r.stderr, new RegExp(`${escapeRe(policyFile)}:${devLine}:\\d+: items\\[1\\]\\.owner`));
  });

  it('exits 1 for a missing source folder, naming the item and the path; other items still snapshot', () => {
    const f = fixture();
    rmSync(join(f.src, 'dev'), { recursive: true });
    const { r, results } = snap(f);
    assertExit(r, 1);
    const dev = results.find((x) => x.item === 'app-dev')!;
    const prod = results.find((x) => x.item === 'app-prod')!;
    assert.equal(prod.status, 'created');
    assert.equal(dev.status, 'failed');
    assert.equal(dev.id, null);
    assert.equal(dev.error?.code, 'CAIRN_E_SOURCE');
    assert.match(dev.error!.message, /app-dev/);
    assert.match(dev.error!.message, new RegExp(escapeRe(join(f.src, 'dev'))));
    assert.deepEqual(
      search(f).map((h) => h.item),
      ['app-prod'],
    );

    const human = f.cli(['snapshot']);
    assertExit(human, 1);
    assert.match(human.stdout + human.stderr, /app-dev: FAILED CAIRN_E_SOURCE: .*src\/dev/);
    assert.match(human.stdout, /app-prod: unchanged/);
  });

  it('exits 3 when a source file is unreadable: listed in the output, partial in the catalog and in show', () => {
    const f = nobodyFixture();
    const secret = join(f.src, 'prod', 'nested', 'locked.yaml');
    f.write('src/prod/nested/locked.yaml', `token: \${TOKEN}\n`);
    chmodSync(secret, 0o000);
    f.write('src/prod/private/values.yaml', 'a: 1\n');
    chmodSync(join(f.src, 'prod', 'private'), 0o000);

    const r = cliAsNobody(f, ['snapshot', '--item', 'app-prod', '--json']);
    assertExit(r, 3);
    const [s] = r.json<{ snapshots: ItemResult[] }>().snapshots;
    assert.equal(s?.status, 'partial');
    assert.match(s.id!, HEX64);
    assert.deepEqual(s.unreadable.map((u) => u.path).sort(), ['nested/locked.yaml', 'private']);
    assert.ok(
      s.unreadable.every((u) => u.reason === 'EACCES'),
      JSON.stringify(s.unreadable),
    );
    assert.equal(countObjects(f, 'snapshots'), 1, 'the snapshot was written');

    const hits = cliAsNobody(f, ['snapshots', '--json']).json<{ snapshots: Hit[] }>().snapshots;
    assert.deepEqual(
      hits.map((h) => [h.id, h.status]),
      [[s.id, 'partial']],
    );
    const shown = cliAsNobody(f, ['show', s.id!, '--json']).json<Hit>();
    assert.equal(shown.status, 'partial');
    assert.deepEqual([...shown.unreadable].sort(), ['nested/locked.yaml', 'private']);
    const shownHuman = cliAsNobody(f, ['show', s.id!]);
    assert.match(shownHuman.stdout, /^status\s+partial$/m);
    assert.match(shownHuman.stdout, /^unreadable\s+nested\/locked\.yaml$/m);

    // Run again, for people: still partial (never "unchanged"), and the output names the files.
    const human = cliAsNobody(f, ['snapshot', '--item', 'app-prod']);
    assertExit(human, 3);
    assert.match(human.stdout, /app-prod: partial /);
    assert.match(human.stdout, /unreadable: nested\/locked\.yaml/);
    assert.match(human.stdout, /unreadable: private\b/);
  });
});

describe('cairn snapshot: secrets and exclusions', () => {
  it('refuses an item with secret-shaped values (default `secrets: refuse`), naming file:line, and records nothing for it', () => {
    const f = fixture();
    f.write('src/prod/creds.yaml', CREDS);
    f.write(
      'src/dev/creds.yaml',
      `db_password: \${DB_PASSWORD}\napi_token: \${API_TOKEN}\nurl: postgres://app:\${PW}@db/app\n`,
    );
    const { r, results } = snap(f);
    assertExit(r, 1);
    const prod = results.find((x) => x.item === 'app-prod')!;
    assert.equal(prod.status, 'failed');
    assert.equal(prod.id, null);
    assert.equal(prod.error?.code, 'CAIRN_E_SECRET_FOUND');
    assert.match(prod.error!.message, /creds\.yaml:2\b/);
    assert.match(prod.error!.message, /creds\.yaml:4\b/);
    assert.match(prod.error!.message, /creds\.yaml:(5|6)\b/);
    assert.doesNotMatch(prod.error!.message, /creds\.yaml:(3|10)\b/, 'placeholders are not secrets');
    assert.ok(!prod.error!.message.includes(AWS_KEY), 'the message does not repeat the secret');
    assert.equal(results.find((x) => x.item === 'app-dev')?.status, 'created', 'placeholders pass');
    assert.deepEqual(search(f, ['--item', 'app-prod']), []);
    assert.equal(countObjects(f, 'snapshots'), 1);
  });

  it('with `secrets: redact` stores the item with each value replaced by [REDACTED:…]', () => {
    const policy = SMALL_POLICY.replace('    component: app\n', '    component: app\n    secrets: redact\n');
    const f = fixture({ policy });
    f.write('src/prod/creds.yaml', CREDS);
    const s = snapOne(f, 'app-prod');
    assert.equal(s.status, 'created');
    const target = join(f.dir, 'restored');
    assertExit(f.cli(['restore', s.id!, '--target', target]), 0);
    const restored = readFileSync(join(target, 'creds.yaml'), 'utf8');
    for (const value of [AWS_KEY, GH_TOKEN, PEM_BODY]) assert.ok(!restored.includes(value), `${value} redacted`);
    assert.match(restored, /aws_access_key_id: \[REDACTED:[a-z-]+\]/);
    assert.match(restored, /github: \[REDACTED:[a-z-]+\]/);
    assert.match(restored, /\[REDACTED:private-key\]/);
    assert.match(restored, /db_password: \$\{DB_PASSWORD\}/);
    assert.match(restored, /api_token: \$\{API_TOKEN\}/);
    assert.equal(
      readFileSync(join(target, 'deployment.yaml'), 'utf8'),
      readFileSync(join(f.src, 'prod', 'deployment.yaml'), 'utf8'),
    );
  });

  it('leaves out .terraform/, node_modules/ and *.tmp, but keeps terraform.tfstate', () => {
    const f = fixture();
    f.write('src/prod/infra/.terraform/providers/registry/aws/provider.bin', 'binary');
    f.write('src/prod/infra/.terraform/terraform.tfstate', '{"backend":"s3"}');
    f.write('src/prod/node_modules/left-pad/index.js', 'module.exports = 1;');
    f.write('src/prod/web/node_modules/x/package.json', '{}');
    f.write('src/prod/scratch.tmp', 'temporary');
    f.write('src/prod/nested/render.tmp', 'temporary');
    f.write('src/prod/infra/terraform.tfstate', '{"version":4,"resources":[]}');
    f.write('src/prod/infra/main.tf', 'resource "null_resource" "x" {}');
    const s = snapOne(f, 'app-prod');
    const r = f.cli(['ls', s.id!, '--json']);
    assertExit(r, 0);
    const paths = r.json<{ entries: Array<{ path: string; type: string }> }>().entries.map((e) => e.path);
    assert.ok(paths.includes('infra/terraform.tfstate'), paths.join(', '));
    assert.ok(paths.includes('infra/main.tf'));
    assert.ok(paths.includes('deployment.yaml'));
    for (const p of paths) {
      assert.doesNotMatch(p, /(^|\/)\.terraform(\/|$)/);
      assert.doesNotMatch(p, /(^|\/)node_modules(\/|$)/);
      assert.doesNotMatch(p, /\.tmp$/);
    }
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
