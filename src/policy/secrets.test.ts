import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SecretKind } from './secrets.js';
import { findSecrets, isPlaceholder, redactSecrets } from './secrets.js';

// Secret-shaped values are generated, never written literally, so this file trips no secret scanner.
let seed = 42;
function random(n: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    out += alphabet[(seed >>> 16) % alphabet.length]; // the high bits: an LCG's low bits cycle quickly
  }
  return out;
}
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+';
const b64url = (s: string) => Buffer.from(s).toString('base64url');

const kinds = (text: string, path = 'config/app.yaml') => findSecrets(Buffer.from(text), path).map((f) => f.kind);

describe('findSecrets: each kind is found', () => {
  const pemBody = Array.from({ length: 6 }, () => random(64, B64)).join('\n');
  const cases: [string, string, SecretKind[], string?][] = [
    [
      'PEM private key',
      `tls:\n  key: |\n    -----BEGIN RSA PRIVATE KEY-----\n    ${pemBody}\n    -----END RSA PRIVATE KEY-----\n`,
      ['private-key'],
    ],
    [
      'PKCS#8 key in a JSON string',
      `{"key": "-----BEGIN PRIVATE KEY-----\\n${random(80, B64)}\\n-----END PRIVATE KEY-----\\n"}`,
      ['private-key'],
    ],
    [
      'OpenSSH key',
      `-----BEGIN OPENSSH PRIVATE KEY-----\n${pemBody}\n-----END OPENSSH PRIVATE KEY-----\n`,
      ['private-key'],
    ],
    [
      'AWS key id and the secret next to it',
      `[default]\naws_access_key_id = AKIA${random(16, UPPER)}\naws_secret_access_key = ${random(40, B64)}\n`,
      ['aws-access-key-id', 'aws-secret-access-key'],
    ],
    ['AWS temporary key id', `AccessKeyId: ASIA${random(16, UPPER)}\n`, ['aws-access-key-id']],
    ['GitHub classic token', `GITHUB_TOKEN=ghp_${random(36)}\n`, ['github-token'], 'ci/.env'],
    ['GitHub OAuth and app tokens', `a: gho_${random(36)}\nb: ghs_${random(36)}\n`, ['github-token', 'github-token']],
    ['GitHub fine-grained token', `token: github_pat_${random(22)}_${random(59)}\n`, ['github-token']],
    ['GitLab token', `private_token: glpat-${random(20)}\n`, ['gitlab-token']],
    ['Slack token', `slack: xoxb-${random(12, '0123456789')}-${random(24)}\n`, ['slack-token']],
    [
      'Slack webhook',
      `url: https://hooks.slack.com/services/T${random(8, UPPER)}/B${random(8, UPPER)}/${random(24)}\n`,
      ['slack-webhook'],
    ],
    ['Stripe live key', `STRIPE_KEY="sk_live_${random(24)}"\n`, ['stripe-live-key']],
    ['Google API key', `maps: { key: AIza${random(35)} }\n`, ['google-api-key']],
    ['JWT', `auth: Bearer ${b64url('{"alg":"HS256"}')}.${b64url('{"sub":"svc-deploy"}')}.${random(43)}\n`, ['jwt']],
    [
      'password in a URL',
      `DATABASE_URL=postgres://app:${random(14)}@db.internal:5432/app\n`,
      ['url-credentials'],
      '.env',
    ],
    ['password assignment (YAML)', `db:\n  password: ${random(16)}\n`, ['password']],
    ['password assignment (.env, quoted)', `DB_PASSWORD="${random(12)}"\n`, ['password'], 'deploy/.env.production'],
    ['secret assignment (JSON)', `{"clientSecret": "${random(24)}"}`, ['secret']],
    ['token assignment (properties)', `auth.token=${random(32)}\n`, ['token'], 'app.properties'],
    ['api key assignment (HCL, quoted)', `api_key = "${random(32)}"\n`, ['api-key'], 'main.tf'],
    ['passphrase', `passphrase: ${random(20)}\n`, ['password']],
    ['signing key', `SIGNING_KEY=${random(32)}\n`, ['secret'], '.env'],
    ['value in a flow mapping', `db: { user: app, password: ${random(12)}, port: 5432 }\n`, ['password']],
  ];
  for (const [name, text, expected, path] of cases) {
    test(name, () => assert.deepEqual(kinds(text, path), expected));
  }
});

/** `${NAME}`, built so that the literal is not mistaken for a template string by the linter. */
const ref = (name: string) => `$\{${name}}`;

describe('findSecrets: not secrets', () => {
  const cases: [string, string, string?][] = [
    ['env reference', `password: ${ref('DB_PASSWORD')}\n`],
    ['shell reference', 'DB_PASSWORD=$DB_PASSWORD\nAPI_KEY=$(cat /run/secrets/key)\n', '.env'],
    ['angle placeholder', 'password: <changeme>\n'],
    ['empty values', 'password:\npassword: ""\nDB_PASSWORD=\n'],
    ['REDACTED', 'token: REDACTED\nsecret: "[REDACTED]"\npassword: "********"\n'],
    ['template', 'password: "{{ .Values.db.password }}"\ntoken: {{ vault_token }}\n'],
    ['sops ciphertext', `password: ENC[AES256_GCM,data:${random(24)},iv:${random(16)},tag:${random(22)},type:str]\n`],
    ['secret-store references', 'password: vault:secret/data/db#password\ntoken: ref+awsssm://app/token\n'],
    ['environment variable name', 'password: DB_PASSWORD_FROM_ENV\n'],
    ['HCL expression', 'password = var.db_password\ntoken = random_password.api.result\n', 'main.tf'],
    ['dotted reference', 'password: .Values.db.password\n'],
    ['path to a secret file', 'password: /run/secrets/db_password\n'],
    [
      'names that mention secrets',
      'secretName: payments-tls\ntoken_url: https://auth/token\ntokenEnv: SPLUNK_TOKEN\nkey: password\n',
    ],
    ['existing secret reference (Helm)', 'existingSecret: payments-db-credentials\n'],
    ['short and prose values', 'password: hunter2\ntoken: "use the one in the vault"\n'],
    ['booleans and words', 'token: true\npassword: changeme\nsecret: example-secret-value\n'],
    [
      'AWS documentation example keys',
      `aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n`,
    ],
    [
      'URL with a referenced password',
      `DATABASE_URL=postgres://app:${ref('DB_PASSWORD')}@db:5432/x\nREDIS=redis://cache:6379\n`,
      '.env',
    ],
    ['email addresses', 'owner: team-payments@acme.example\n'],
    ['PEM public key and certificate', `-----BEGIN PUBLIC KEY-----\n${random(64, B64)}\n-----END PUBLIC KEY-----\n`],
    [
      'PEM private key header without key material',
      '-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n',
    ],
    ['prose about keys', 'Rotate the PRIVATE KEY yearly; the password policy is in the wiki.\n'],
    ['git commit hashes', `commit: ${random(40, '0123456789abcdef')}\n`],
  ];
  for (const [name, text, path] of cases) test(name, () => assert.deepEqual(kinds(text, path), []));

  test('binary content (NUL in the first 8 KiB) is not scanned', () => {
    const buf = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00]), Buffer.from(`password: ${random(16)}\n`)]);
    assert.deepEqual(findSecrets(buf, 'logo.png'), []);
  });

  test('isPlaceholder', () => {
    for (const v of ['', ref('X'), '<changeme>', 'REDACTED', 'xxxxxxxx', '{{ x }}', 'CHANGE_ME', 'your-token-here']) {
      assert.equal(isPlaceholder(v), true, v);
    }
    for (const v of [random(16), 'S3cure!Passw0rd']) assert.equal(isPlaceholder(v), false, v);
  });
});

describe('findSecrets: positions, excerpts and redaction', () => {
  test('line, column, offset and a redacted excerpt', () => {
    const value = random(20);
    const text = `# app\nservice: api\ndb:\n  password: "${value}" # rotated monthly\n`;
    const [finding, ...rest] = findSecrets(Buffer.from(text), 'app.yaml');
    assert.equal(rest.length, 0);
    assert.equal(finding!.kind, 'password');
    assert.equal(finding!.line, 4);
    assert.equal(finding!.column, 14);
    assert.equal(text.slice(finding!.offset, finding!.offset + finding!.length), value);
    assert.equal(finding!.excerpt, 'password: "[REDACTED:password]" # rotated monthly');
    assert.ok(!finding!.excerpt.includes(value));
  });

  test('every secret on a line is hidden in each excerpt', () => {
    const id = `AKIA${random(16, UPPER)}`;
    const secret = random(40, B64);
    const [a, b] = findSecrets(Buffer.from(`creds: ${id} ${secret}\n`), 'x.yaml');
    for (const f of [a!, b!]) {
      assert.ok(!f.excerpt.includes(id) && !f.excerpt.includes(secret), f.excerpt);
    }
  });

  test('CRLF files', () => {
    const value = random(16);
    const [f] = findSecrets(Buffer.from(`a: 1\r\nDB_PASSWORD=${value}\r\nb: 2\r\n`), '.env');
    assert.equal(f!.line, 2);
    assert.equal(f!.length, value.length);
  });

  test('line numbers are exact deep into a large buffer at an unaligned offset', () => {
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++)
      lines.push(i % 4999 === 17 ? `token: ${random(30)}` : `k${i}: ${'v'.repeat(i % 13)}`);
    const backing = Buffer.from(`x${lines.join('\n')}\n`);
    const buf = backing.subarray(1); // byteOffset not a multiple of 4
    const found = findSecrets(buf, 'big.yaml');
    assert.deepEqual(
      found.map((f) => f.line),
      lines.flatMap((l, i) => (l.startsWith('token:') ? [i + 1] : [])),
    );
  });

  test('a minified one-line file: found near the end, without quadratic work', () => {
    const parts = Array.from({ length: 50_000 }, (_, i) => `"k${i}":"value-${i}"`);
    parts.push(`"apiKey":"${random(32)}"`);
    const found = findSecrets(Buffer.from(`{${parts.join(',')}}`), 'bundle.json');
    assert.deepEqual(
      found.map((f) => [f.kind, f.line]),
      [['api-key', 1]],
    );
  });

  test('redactSecrets replaces each value with [REDACTED:<kind>]', () => {
    const pw = random(16);
    const gh = `ghp_${random(36)}`;
    const text = `db:\n  password: ${pw}\nci:\n  token: ${gh}\nplain: value\n`;
    const buf = Buffer.from(text);
    const out = redactSecrets(buf, findSecrets(buf, 'x.yaml')).toString();
    assert.equal(out, 'db:\n  password: [REDACTED:password]\nci:\n  token: [REDACTED:github-token]\nplain: value\n');
    assert.equal(redactSecrets(buf, []), buf);
  });

  test('a redacted private key leaves the surrounding file intact', () => {
    const text = `before: 1\nkey: |\n  -----BEGIN EC PRIVATE KEY-----\n  ${random(64, B64)}\n  -----END EC PRIVATE KEY-----\nafter: 2\n`;
    const buf = Buffer.from(text);
    const out = redactSecrets(buf, findSecrets(buf, 'x.yaml')).toString();
    assert.equal(out, 'before: 1\nkey: |\n  [REDACTED:private-key]\nafter: 2\n');
  });
});

describe('findSecrets on a large config corpus', () => {
  /** Config-like text: manifests, Terraform, .env references, JSON; a real-looking secret every ~200 KB. */
  function corpus(bytes: number): Buffer {
    const docs = [
      () =>
        `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc-${random(6)}\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: registry.acme.example/svc:1.${random(2, '0123456789')}\n          env:\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef: { name: db, key: password }\n      volumes:\n        - name: tls\n          secret:\n            secretName: svc-tls\n---\n`,
      () =>
        `resource "aws_db_instance" "db_${random(4)}" {\n  engine   = "postgres"\n  username = "app"\n  password = var.db_password\n}\n`,
      () =>
        `APP_ENV=production\nDATABASE_URL=postgres://app:\${DB_PASSWORD}@db.internal:5432/app\nAPI_TOKEN=\${API_TOKEN}\n`,
      () =>
        `{"service": "checkout-${random(5)}", "retries": 3, "auth": {"clientSecretRef": "vault:secret/checkout"}}\n`,
    ];
    const parts: string[] = [];
    let size = 0;
    let next = 200_000;
    for (let i = 0; size < bytes; i++) {
      let s: string;
      if (size > next) {
        s = `db_password: "${random(18)}"\n`;
        next += 200_000;
      } else s = docs[i % docs.length]!();
      parts.push(s);
      size += s.length;
    }
    return Buffer.from(parts.join(''));
  }

  // Speed is measured by `node --import tsx bench/secrets-scan.ts` (BENCHMARKS.md), not asserted here.
  test('finds the secrets planted every ~200 KB in 8 MB of config text', () => {
    const findings = findSecrets(corpus(8 << 20), 'all.yaml');
    assert.ok(findings.length >= 35 && findings.length <= 45, `${findings.length} findings`);
  });
});
