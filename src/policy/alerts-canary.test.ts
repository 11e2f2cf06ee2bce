import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { isCairnError } from '../errors/index.js';
import { loadPolicy, parsePolicy } from './parse.js';
import { policySchema } from './schema-zod.js';
import type { PolicyIssue } from './types.js';

const FILE = '/srv/repo/cairn.yaml';
const NOW = new Date('2026-11-29T10:00:00Z');
const BASE = `version: 1
tiers:
  0: { keep: { last: 3 } }
items:
  - { name: app, owner: o, tier: 0, sources: [{ files: { root: app } }] }
`;
const sinks = (entries: string) => `${BASE}alerts:\n  sinks:\n${entries}`;

function errorAt(text: string, field: string, message: RegExp): PolicyIssue {
  let issues: PolicyIssue[] = [];
  try {
    parsePolicy(text, FILE, { now: NOW });
  } catch (err) {
    assert.ok(isCairnError(err, 'CAIRN_E_POLICY_INVALID'), String(err));
    issues = err.details?.issues as PolicyIssue[];
  }
  const errors = issues.filter((i) => i.severity === 'error');
  const show = errors.map((i) => `${i.line}:${i.column} ${i.field}: ${i.message}`).join('\n');
  assert.equal(errors.length, 1, show || 'no error');
  assert.equal(errors[0]!.field, field, show);
  assert.match(errors[0]!.message, message);
  return errors[0]!;
}

describe('alert sinks', () => {
  test('all four kinds, defaults and for: lists', () => {
    const { policy } = parsePolicy(
      sinks(`    - webhook: { url: "https://hooks.internal/cairn", secretEnv: HOOK_KEY, for: [drift, drift] }
    - slack: { webhookEnv: SLACK_WEBHOOK, for: [late] }
    - pagerduty: { routingKeyEnv: PD_ROUTING_KEY, for: [late, failure, escalation] }
    - pagerduty: { routingKeyEnv: PD_KEY, url: "http://127.0.0.1:9/v2/enqueue" }
    - email: { smtp: "smtp://mail.internal:587", to: [sre@acme.example], for: [drill, canary, coverage, anomaly] }
    - email: { smtp: "smtps://mail.internal", to: [a@b.example, a@b.example], from: cairn@acme.example, userEnv: SMTP_USER, passwordEnv: SMTP_PASSWORD }
`),
      FILE,
      { now: NOW },
    );
    assert.deepEqual(policy.alertSinks, [
      { kind: 'webhook', url: 'https://hooks.internal/cairn', secretEnv: 'HOOK_KEY', for: ['drift'] },
      { kind: 'slack', webhookEnv: 'SLACK_WEBHOOK', for: ['late'] },
      {
        kind: 'pagerduty',
        routingKeyEnv: 'PD_ROUTING_KEY',
        url: 'https://events.pagerduty.com/v2/enqueue',
        for: ['late', 'failure', 'escalation'],
      },
      { kind: 'pagerduty', routingKeyEnv: 'PD_KEY', url: 'http://127.0.0.1:9/v2/enqueue' },
      {
        kind: 'email',
        smtp: 'smtp://mail.internal:587',
        to: ['sre@acme.example'],
        from: `cairn@${hostname()}`,
        for: ['drill', 'canary', 'coverage', 'anomaly'],
      },
      {
        kind: 'email',
        smtp: 'smtps://mail.internal',
        to: ['a@b.example'],
        from: 'cairn@acme.example',
        userEnv: 'SMTP_USER',
        passwordEnv: 'SMTP_PASSWORD',
      },
    ]);
  });

  test('an unknown for: category, with a suggestion', () => {
    errorAt(
      sinks('    - slack: { webhookEnv: S, for: [late, falure] }\n'),
      'alerts.sinks[0].slack.for[1]',
      /unknown alert category "falure" \(did you mean "failure"\?\); categories: late, failure/,
    );
    errorAt(sinks('    - webhook: { url: "https://h", for: [] }\n'), 'alerts.sinks[0].webhook.for', /at least one/);
  });

  test('pagerduty: routingKeyEnv is required and is a variable name, url is http(s)', () => {
    errorAt(sinks('    - pagerduty: { for: [late] }\n'), 'alerts.sinks[0].pagerduty.routingKeyEnv', /./);
    errorAt(
      sinks('    - pagerduty: { routingKeyEnv: "R0UTING-KEY-abc123" }\n'),
      'alerts.sinks[0].pagerduty.routingKeyEnv',
      /not an environment variable name/,
    );
    errorAt(
      sinks('    - pagerduty: { routingKeyEnv: PD, url: "ftp://events/" }\n'),
      'alerts.sinks[0].pagerduty.url',
      /not an http\(s\) URL/,
    );
  });

  test('email: smtp is an smtp:// or smtps:// URL with a host and no credentials', () => {
    const at = 'alerts.sinks[0].email.smtp';
    for (const url of ['http://mail.internal', 'mail.internal:25', 'smtp://', 'smtp:///x']) {
      errorAt(sinks(`    - email: { smtp: "${url}", to: [a@b.example] }\n`), at, /not an smtp:\/\/ or smtps:\/\/ URL/);
    }
    errorAt(
      sinks('    - email: { smtp: "smtp://u:secret@mail.internal", to: [a@b.example] }\n'),
      at,
      /must not hold credentials/,
    );
    errorAt(sinks('    - email: { to: [a@b.example] }\n'), at, /smtp is required/);
  });

  test('email: to is a non-empty list of addresses; from is an address', () => {
    const email = (rest: string) => sinks(`    - email: { smtp: "smtp://m:25", ${rest} }\n`);
    errorAt(email('to: []'), 'alerts.sinks[0].email.to', /at least one address/);
    errorAt(email('to: sre@acme.example'), 'alerts.sinks[0].email.to', /must be a list/);
    errorAt(
      email('to: [sre@acme.example, "SRE team"]'),
      'alerts.sinks[0].email.to[1]',
      /"SRE team" is not an e-mail address/,
    );
    errorAt(email('to: [a@b.example], from: cairn'), 'alerts.sinks[0].email.from', /not an e-mail address/);
    errorAt(email('to: [a@b.example], userEnv: U'), 'alerts.sinks[0].email', /userEnv and passwordEnv go together/);
  });

  test('webhook and slack need an endpoint', () => {
    const issue = errorAt(
      sinks('    - webhook: { secretEnv: HOOK_KEY }\n'),
      'alerts.sinks[0].webhook',
      /webhook needs url or urlEnv/,
    );
    assert.equal(issue.line, 8);
    errorAt(sinks('    - webhook: { for: [late] }\n'), 'alerts.sinks[0].webhook', /webhook needs url or urlEnv/);
    errorAt(sinks('    - slack: {}\n'), 'alerts.sinks[0].slack', /slack needs url or webhookEnv/);
    errorAt(
      sinks('    - webhook: { urlEnv: HOOK_URL }\n    - slack:\n        for: [late]\n'),
      'alerts.sinks[1].slack',
      /slack needs url or webhookEnv/,
    );
    parsePolicy(
      sinks('    - webhook: { urlEnv: HOOK_URL }\n    - slack: { url: "https://hooks.slack.example/T" }\n'),
      FILE,
      {
        now: NOW,
      },
    );
  });

  test('a sink with two kinds, and a typo in a kind', () => {
    errorAt(
      sinks('    - { slack: { webhookEnv: S }, email: { smtp: "smtp://m", to: [a@b.example] } }\n'),
      'alerts.sinks[0]',
      /exactly one of webhook, slack, pagerduty, email \(found slack and email\)/,
    );
    errorAt(
      sinks('    - emial: { smtp: "smtp://m", to: [a@b.example] }\n'),
      'alerts.sinks[0].emial',
      /did you mean "email"/,
    );
    errorAt(sinks('    - slack: { webhookEnv: S, fro: [late] }\n'), 'alerts.sinks[0].slack.fro', /did you mean "for"/);
  });
});

describe('canary', () => {
  const canary = (text: string) => parsePolicy(`${BASE}${text}`, FILE, { now: NOW }).policy.canary;

  test('on with defaults when absent or true; off with false; values as given', () => {
    const defaults = { enabled: true, everyMs: 15 * 60_000, slowAfterMs: 2 * 60_000, keep: 3 };
    assert.deepEqual(canary(''), defaults);
    assert.deepEqual(canary('canary: true\n'), defaults);
    assert.deepEqual(canary('canary: false\n'), { ...defaults, enabled: false });
    assert.deepEqual(canary('canary: { every: 5s, slowAfter: 500ms, keep: 1 }\n'), {
      enabled: true,
      everyMs: 5_000,
      slowAfterMs: 500,
      keep: 1,
    });
    assert.deepEqual(canary('canary: { every: 1h }\n'), { ...defaults, everyMs: 3_600_000 });
  });

  test('bad values name the field', () => {
    errorAt(`${BASE}canary: { every: 500ms }\n`, 'canary.every', /at least 1s/);
    errorAt(`${BASE}canary: { keep: 0 }\n`, 'canary.keep', /at least 1/);
    errorAt(`${BASE}canary: { keep: 1.5 }\n`, 'canary.keep', /whole number/);
    errorAt(`${BASE}canary: { slowAfter: 0s }\n`, 'canary.slowAfter', /at least/);
    errorAt(`${BASE}canary: { evry: 5m }\n`, 'canary.evry', /did you mean "every"/);
    errorAt(`${BASE}canary: sometimes\n`, 'canary', /canary is false \(off\), true, or \{ every, slowAfter, keep \}/);
  });
});

const SHARED = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'cairn.example.yaml');

describe('the product example (../shared/cairn.example.yaml)', { skip: !existsSync(SHARED) }, () => {
  test('its shape is valid, drills and alert sinks included', () => {
    const result = policySchema.safeParse(parse(readFileSync(SHARED, 'utf8')));
    assert.equal(result.success, true, JSON.stringify(result.error?.issues));
    assert.equal(result.data?.drills?.[0]?.name, 'quarterly-prod');
    assert.deepEqual(
      result.data?.alerts?.sinks?.map((s) => Object.keys(s)[0]),
      ['slack', 'pagerduty', 'email'],
    );
  });

  test('its drill and sinks load once the sign-off teams and the schema file it names exist', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-example-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    let text = readFileSync(SHARED, 'utf8');
    if (!/^\s+teams:/m.test(text)) {
      text = text.replace(/^access:.*\n/m, (line) => `${line}  teams: { operations: [alice], security: [carol] }\n`);
    }
    mkdirSync(join(dir, 'schemas'));
    writeFileSync(join(dir, 'schemas', 'payments-config.json'), '{ "type": "object" }');
    writeFileSync(join(dir, 'cairn.yaml'), text);
    const { policy } = await loadPolicy(join(dir, 'cairn.yaml'), { now: NOW });
    const [plan] = policy.drills;
    assert.deepEqual(plan?.items, ['payments-api-config', 'payments-db-settings']);
    assert.deepEqual(plan?.signoff, ['operations', 'security']);
    assert.deepEqual(
      plan?.validate.map((v) => v.kind),
      ['run', 'jsonSchema', 'baseline'],
    );
    assert.deepEqual(
      policy.alertSinks.map((s) => [s.kind, s.for ?? 'all']),
      [
        ['slack', 'all'],
        ['pagerduty', ['late', 'failure', 'anomaly', 'drift']],
        ['email', 'all'],
      ],
    );
  });
});
