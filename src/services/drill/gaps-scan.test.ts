import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { scanRestored } from './gaps-scan.js';
import { runSchemaValidator } from './validator-schema.js';

const DAY = 24 * 3600_000;

function jwt(payload: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}.c2lnbmF0dXJl`;
}

describe('gap scan of restored files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-gapscan-'));
  const write = (rel: string, text: string | Buffer) => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  let validTo: Date;
  before(() => {
    // A real certificate, valid for 30 days from now, made by openssl.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '30',
        '-subj',
        '/CN=api.example.com',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const pem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    rmSync(join(dir, 'cert.pem'));
    rmSync(join(dir, 'key.pem'));
    write('tls/chain.pem', `# leaf\n${pem}`);
    validTo = new Date(new X509Certificate(pem).validTo);
    write('app.env', `API_URL=https://x\nTOKEN_EXPIRES=2020-01-01\nexport CERT_EXPIRY="2999-01-01T00:00:00Z"\n`);
    write('auth.yaml', `token: ${jwt({ sub: 'ci', exp: Math.floor(Date.parse('2021-06-01') / 1000) })}\n`);
    write('fresh.yaml', `token: ${jwt({ sub: 'ok', exp: 4102444800 })}\n`);
    write('blob.bin', Buffer.from([0, 1, 2, 0x65, 0x79, 0x4a]));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finds expired credentials by JWT exp and by *EXPIR* keys, never keeping the token', async () => {
    const r = await scanRestored('app', dir, new Date());
    const found = r.gaps.map((g) => [g.category, g.key.replace(/jwt [0-9a-f]{12}/, 'jwt <id>')]);
    assert.deepEqual(found.sort(), [
      ['expired-credential', 'app.env: TOKEN_EXPIRES'],
      ['expired-credential', 'auth.yaml: jwt <id>'],
    ]);
    assert.ok(r.gaps.every((g) => !g.message.includes('eyJ') && !g.key.includes('eyJ')));
    assert.match(r.gaps.find((g) => g.key.includes('jwt'))!.message, /sub ci\) expired on 2021-06-01/);
    assert.deepEqual(r.warnings, []);
  });

  it('warns on a certificate that expires within 14 days, and makes an expired one a gap', async () => {
    const soon = await scanRestored('app', dir, new Date(validTo.getTime() - 3 * DAY));
    assert.equal(soon.gaps.filter((g) => g.category === 'expired-certificate').length, 0);
    assert.equal(soon.warnings.length, 1);
    assert.match(soon.warnings[0]!, /app\/tls\/chain.pem: certificate CN=api.example.com expires on/);
    const late = await scanRestored('app', dir, new Date(validTo.getTime() + DAY));
    const certs = late.gaps.filter((g) => g.category === 'expired-certificate');
    assert.deepEqual(
      certs.map((g) => g.key),
      ['tls/chain.pem: CN=api.example.com'],
    );
  });

  it('checks JSON and YAML files against a schema; a file that does not parse fails too', async () => {
    write(
      'schema.json',
      JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', required: ['port'] }),
    );
    write('conf/good.json', '{"port": 1}');
    write('conf/bad.yml', 'name: x\n');
    write('conf/broken.json', '{"port": ');
    const r = await runSchemaValidator({
      schema: join(dir, 'schema.json'),
      files: ['conf/**/*.json', 'conf/**/*.yml'],
      item: 'app',
      dir,
    });
    assert.equal(r.ok, false);
    assert.deepEqual(
      r.gaps.map((g) => [g.category, g.key]),
      [
        ['schema-failure', 'conf/bad.yml'],
        ['schema-failure', 'conf/broken.json'],
      ],
    );
    assert.match(r.gaps[0]!.message, /conf\/bad.yml: \/ must have required property 'port'/);
    assert.match(r.gaps[1]!.message, /not valid JSON/);
    const none = await runSchemaValidator({
      schema: join(dir, 'schema.json'),
      files: ['nothing/*.json'],
      item: 'app',
      dir,
    });
    assert.equal(none.ok, true);
    assert.match(none.output, /nothing checked/);
    write('not-a-schema.json', '{"type": 12}');
    const bad = await runSchemaValidator({
      schema: join(dir, 'not-a-schema.json'),
      files: ['**/*.json'],
      item: 'app',
      dir,
    });
    assert.equal(bad.ok, false);
    assert.match(bad.error!, /cannot be used/);
  });

  it('compiles a schema without $schema as draft 2020-12, as policy check does (prefixItems is enforced)', async () => {
    write('tuple.json', JSON.stringify({ type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }] }));
    write('tuples/good.json', '["web", 3]');
    write('tuples/bad.json', '[3, "web"]');
    const compiled = new Map();
    const r = await runSchemaValidator({
      schema: join(dir, 'tuple.json'),
      files: ['tuples/*.json'],
      item: 'app',
      dir,
      compiled,
    });
    assert.equal(r.ok, false, r.output);
    assert.deepEqual(
      r.gaps.map((g) => [g.category, g.key]),
      [['schema-failure', 'tuples/bad.json']],
    );
    assert.match(r.gaps[0]!.message, /tuples\/bad.json: \/0 must be string; \/1 must be number/);
    // A declared draft-07 keeps draft-07 meaning: prefixItems is an unknown keyword there.
    write(
      'tuple-07.json',
      JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', prefixItems: [{ type: 'string' }] }),
    );
    const old = await runSchemaValidator({
      schema: join(dir, 'tuple-07.json'),
      files: ['tuples/*.json'],
      item: 'app',
      dir,
      compiled,
    });
    assert.equal(old.ok, true, old.output);
    assert.equal(compiled.size, 2, 'one compilation per schema file');
  });
});
