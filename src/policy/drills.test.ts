import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isCairnError } from '../errors/index.js';
import { parsePolicy } from './parse.js';
import type { PolicyIssue } from './types.js';

const DIR = mkdtempSync(join(tmpdir(), 'cairn-drills-'));
const FILE = join(DIR, 'cairn.yaml');
const NOW = new Date('2026-11-29T10:00:00Z');
after(() => rmSync(DIR, { recursive: true, force: true }));

mkdirSync(join(DIR, 'schemas'));
const schemaFile = (name: string, body: string) => writeFileSync(join(DIR, 'schemas', name), body);
schemaFile('ok.json', JSON.stringify({ type: 'object', required: ['listen'] }));
schemaFile('draft7.json', JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' }));
schemaFile('bad-type.json', JSON.stringify({ type: 'strng' }));
schemaFile('draft7-bad.json', JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', minimum: 'x' }));
schemaFile('draft4.json', JSON.stringify({ $schema: 'http://json-schema.org/draft-04/schema#' }));
schemaFile('broken.json', '{ "type": ');
schemaFile('broken-lines.json', '{\n  "type": nope\n}\n');
schemaFile('list.json', '[1, 2]');

/** Items: api, db in prod (tier 0: rto + rpo), web in staging (tier 1: rpo only), loose without environment. */
const BASE = `version: 1
tiers:
  0: { rpo: 15m, rto: 30m }
  1: { rpo: 4h }
environments:
  prod: {}
  staging: {}
  empty: {}
items:
  - { name: api, owner: o, tier: 0, environment: prod, sources: [{ files: { root: a } }] }
  - { name: db, owner: o, tier: 0, environment: prod, sources: [{ files: { root: d } }] }
  - { name: web, owner: o, tier: 1, environment: staging, sources: [{ files: { root: w } }] }
access:
  teams:
    operations: [alice, bob]
    security: [carol, alice]
`;
const BASE_LINES = BASE.split('\n').length - 1; // the first line of the text appended to BASE

function load(extra: string, base = BASE) {
  return parsePolicy(base + extra, FILE, { now: NOW });
}

function issuesOf(extra: string, base = BASE): PolicyIssue[] {
  try {
    return load(extra, base).issues;
  } catch (err) {
    assert.ok(isCairnError(err, 'CAIRN_E_POLICY_INVALID'), String(err));
    return err.details?.issues as PolicyIssue[];
  }
}

/** The one error of `extra`, checked to be at `field`; returns it. */
function errorAt(extra: string, field: string, message: RegExp, base = BASE): PolicyIssue {
  const errors = issuesOf(extra, base).filter((i) => i.severity === 'error');
  const show = errors.map((i) => `${i.line}:${i.column} ${i.field}: ${i.message}`).join('\n');
  assert.equal(errors.length, 1, show);
  const [issue] = errors as [PolicyIssue];
  assert.equal(issue.field, field, show);
  assert.match(issue.message, message);
  assert.equal(issue.file, FILE);
  return issue;
}

const drill = (body: string) => `drills:\n  - name: d\n${body}`;

describe('drills: valid plans', () => {
  test('every form, with defaults and items resolved from the environment', () => {
    const { policy, issues } = load(`drills:
  - name: quarterly-prod
    schedule: { cron: "0 6 1 */3 *", timezone: Europe/London }
    environment: prod
    timeout: 1h
    overdueAfter: 2d
    network: true
    validate:
      - run: "nginx -t -c {restored}/nginx.conf"
      - run: { command: "./check.sh {restored}", timeout: 2m, items: [db] }
      - jsonSchema: { schema: schemas/ok.json, files: "conf/*.json" }
      - jsonSchema: { schema: schemas/draft7.json, files: ["a.json", "b/*.json"], items: [api] }
      - jsonSchema: { schema: schemas/ok.json }
      - baseline: { snapshot: "release:2.4.0", allowChanges: ["**/VERSION"] }
      - baseline: { snapshot: 0a1b2c }
    signoff: [operations, security]
  - name: web.check
    items: [web]
`);
    const [prod, web] = policy.drills;
    assert.deepEqual(prod, {
      name: 'quarterly-prod',
      schedule: { cron: '0 6 1 */3 *', timezone: 'Europe/London', maintenanceWindowsOnly: false },
      environment: 'prod',
      items: ['api', 'db'],
      validate: [
        { kind: 'run', command: 'nginx -t -c {restored}/nginx.conf', timeoutMs: 60_000 },
        { kind: 'run', command: './check.sh {restored}', timeoutMs: 120_000, items: ['db'] },
        { kind: 'jsonSchema', schema: join(DIR, 'schemas/ok.json'), files: ['conf/*.json'] },
        { kind: 'jsonSchema', schema: join(DIR, 'schemas/draft7.json'), files: ['a.json', 'b/*.json'], items: ['api'] },
        { kind: 'jsonSchema', schema: join(DIR, 'schemas/ok.json'), files: ['**/*.json'] },
        { kind: 'baseline', snapshot: 'release:2.4.0', allowChanges: ['**/VERSION'] },
        { kind: 'baseline', snapshot: '0a1b2c', allowChanges: [] },
      ],
      signoff: ['operations', 'security'],
      timeoutMs: 3_600_000,
      overdueAfterMs: 2 * 86_400_000,
      network: true,
      at: { line: BASE_LINES + 2, column: 5 },
    });
    assert.deepEqual(web, {
      name: 'web.check',
      items: ['web'],
      validate: [],
      signoff: [],
      timeoutMs: 30 * 60_000,
      overdueAfterMs: 24 * 3_600_000,
      network: false,
      at: { line: BASE_LINES + 17, column: 5 },
    });
    assert.equal(policy.extra.drills, undefined);
    // web's tier has no rto: a warning, not an error.
    const drillIssues = issues.filter((i) => i.field.startsWith('drills'));
    assert.deepEqual(
      drillIssues.map((i) => `${i.severity} ${i.field}`),
      ['warning drills[1].items'],
    );
    assert.match(
      drillIssues[0]!.message,
      /drill "web.check": nothing to measure RTO\/RPO against for web \(tier 1: no rto\)/,
    );
  });

  test('no drills: an empty list; a 64-character snapshot id is a valid baseline', () => {
    assert.deepEqual(load('').policy.drills, []);
    const id = 'ab'.repeat(32);
    const { policy } = load(drill(`    items: [api]\n    validate: [{ baseline: { snapshot: "${id}" } }]\n`));
    assert.deepEqual(policy.drills[0]!.validate, [{ kind: 'baseline', snapshot: id, allowChanges: [] }]);
  });

  test('one person may be in several teams when each team can still get its own signer', () => {
    const { policy } = load(drill('    items: [api]\n    signoff: [security, operations]\n'));
    assert.deepEqual(policy.access.teams, { operations: ['alice', 'bob'], security: ['carol', 'alice'] });
    assert.deepEqual(policy.drills[0]!.signoff, ['security', 'operations']);
  });
});

describe('drills: every bad input names its line and field', () => {
  test('a duplicate drill name', () => {
    const issue = errorAt(
      'drills:\n  - { name: d, items: [api] }\n  - { name: d, items: [db] }\n',
      'drills[1].name',
      /duplicate drill name "d" \(first declared on line \d+\)/,
    );
    assert.equal(issue.line, BASE_LINES + 3);
  });

  test('a drill name that is not a name', () => {
    errorAt('drills:\n  - { name: Quarterly Prod, items: [api] }\n', 'drills[0].name', /lowercase letters/);
  });

  test('neither items nor environment', () => {
    errorAt(drill('    validate: []\n'), 'drills[0]', /needs items, or an environment/);
  });

  test('an empty items list', () => {
    errorAt(drill('    items: []\n'), 'drills[0].items', /at least one item/);
  });

  test('an unknown item, with a suggestion', () => {
    errorAt(drill('    items: [api, dbb]\n'), 'drills[0].items[1]', /unknown item "dbb" \(did you mean "db"\?\)/);
  });

  test('an item listed twice', () => {
    errorAt(drill('    items: [api, api]\n'), 'drills[0].items[1]', /"api" is listed twice/);
  });

  test('an unknown environment', () => {
    errorAt(
      drill('    environment: prd\n'),
      'drills[0].environment',
      /unknown environment "prd".*defined: prod, staging/,
    );
  });

  test('an environment without items', () => {
    errorAt(drill('    environment: empty\n'), 'drills[0].environment', /environment empty has no items/);
  });

  test("an item outside the plan's environment", () => {
    errorAt(
      drill('    environment: prod\n    items: [api, web]\n'),
      'drills[0].items[1]',
      /item "web" has environment staging, not the plan's environment prod/,
    );
  });

  test("a validator's items must be the plan's", () => {
    errorAt(
      drill('    environment: prod\n    validate:\n      - run: { command: "true", items: [web] }\n'),
      'drills[0].validate[0].run.items[0]',
      /validator item "web" is not one of the plan's items \(api, db\)/,
    );
    errorAt(
      drill('    items: [api]\n    validate:\n      - baseline: { snapshot: release:1.0, items: [db] }\n'),
      'drills[0].validate[0].baseline.items[0]',
      /not one of the plan's items/,
    );
  });

  test('an empty or missing run command', () => {
    errorAt(drill('    items: [api]\n    validate: [{ run: "" }]\n'), 'drills[0].validate[0].run', /empty command/);
    errorAt(drill('    items: [api]\n    validate: [{ run: "   " }]\n'), 'drills[0].validate[0].run', /empty command/);
    errorAt(
      drill('    items: [api]\n    validate: [{ run: { command: "" } }]\n'),
      'drills[0].validate[0].run',
      /empty command/,
    );
    errorAt(
      drill('    items: [api]\n    validate: [{ run: { timeout: 1m } }]\n'),
      'drills[0].validate[0].run.command',
      /run.command is required/,
    );
  });

  test('a validator with no kind, two kinds, or an unknown one', () => {
    errorAt(
      drill('    items: [api]\n    validate: [{}]\n'),
      'drills[0].validate[0]',
      /exactly one of run, jsonSchema, baseline \(found none\)/,
    );
    errorAt(
      drill('    items: [api]\n    validate: [{ run: "true", baseline: { snapshot: abcdef } }]\n'),
      'drills[0].validate[0]',
      /found run and baseline/,
    );
    errorAt(
      drill('    items: [api]\n    validate: [{ jsonSchma: { schema: schemas/ok.json } }]\n'),
      'drills[0].validate[0].jsonSchma',
      /unknown key "jsonSchma".*did you mean "jsonSchema"/,
    );
  });

  test('a timeout of zero or not a duration', () => {
    errorAt(
      drill('    items: [api]\n    validate: [{ run: { command: "true", timeout: 0s } }]\n'),
      'drills[0].validate[0].run.timeout',
      /at least 1s/,
    );
    errorAt(drill('    items: [api]\n    timeout: soon\n'), 'drills[0].timeout', /not a duration/);
  });

  test('a JSON Schema file that is missing, not JSON, or not a JSON Schema', () => {
    const at = 'drills[0].validate[0].jsonSchema.schema';
    const js = (file: string) => drill(`    items: [api]\n    validate:\n      - jsonSchema: { schema: ${file} }\n`);
    const missing = errorAt(js('schemas/nope.json'), at, /schemas\/nope.json does not exist/);
    assert.equal(missing.line, BASE_LINES + 5);
    errorAt(js('schemas/broken.json'), at, /is not valid JSON/);
    const lines = errorAt(js('schemas/broken-lines.json'), at, /is not valid JSON: .*nope/);
    assert.doesNotMatch(lines.message, /\n/, 'one line');
    errorAt(js('schemas/bad-type.json'), at, /is not a valid JSON Schema: .*type/);
    errorAt(js('schemas/draft7-bad.json'), at, /is not a valid JSON Schema: .*minimum/);
    errorAt(js('schemas/draft4.json'), at, /unsupported \$schema.*draft-04/);
    errorAt(js('schemas/list.json'), at, /a JSON Schema is an object/);
  });

  test('jsonSchema files: an empty list or an empty glob', () => {
    errorAt(
      drill('    items: [api]\n    validate: [{ jsonSchema: { schema: schemas/ok.json, files: [] } }]\n'),
      'drills[0].validate[0].jsonSchema.files',
      /at least one glob/,
    );
  });

  test('a baseline reference of the wrong form', () => {
    for (const ref of ['latest', 'ABCDEF12', 'abc12', 'release:', `${'a'.repeat(65)}`, 'release:1 0']) {
      errorAt(
        drill(`    items: [api]\n    validate: [{ baseline: { snapshot: "${ref}" } }]\n`),
        'drills[0].validate[0].baseline.snapshot',
        /neither release:<version> nor a snapshot id/,
      );
    }
  });

  test('an unknown sign-off team, with a suggestion and the defined ones', () => {
    errorAt(
      drill('    items: [api]\n    signoff: [operations, securty]\n'),
      'drills[0].signoff[1]',
      /unknown sign-off team "securty" \(did you mean "security"\?\); access.teams defines: operations, security/,
    );
  });

  test('a team with no members', () => {
    const base = BASE.replace('    security: [carol, alice]\n', '    security: []\n');
    errorAt('', 'access.teams.security', /a team needs at least one member/, base);
  });

  test('sign-off teams whose only members overlap cannot both be signed', () => {
    const base = BASE.replace('[carol, alice]', '[alice]').replace('[alice, bob]', '[alice]');
    errorAt(
      drill('    items: [api]\n    signoff: [operations, security]\n'),
      'drills[0].signoff',
      /teams operations, security do not have enough different members to sign: one person cannot sign for two teams/,
      base,
    );
  });

  test('a team listed twice in signoff', () => {
    errorAt(
      drill('    items: [api]\n    signoff: [security, security]\n'),
      'drills[0].signoff[1]',
      /"security" is listed twice/,
    );
  });

  test('an unknown key in a drill suggests the right one', () => {
    errorAt(drill('    items: [api]\n    signof: [operations]\n'), 'drills[0].signof', /did you mean "signoff"/);
  });

  test('an item named cairn-canary', () => {
    const base = BASE.replace('name: web,', 'name: cairn-canary,');
    errorAt('', 'items[2].name', /"cairn-canary" is reserved for the canary/, base);
  });
});
