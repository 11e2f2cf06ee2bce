import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CairnError, isCairnError } from '../errors/index.js';
import { BUILTIN_EXCLUDES } from './exclusions.js';
import { loadPolicy, parsePolicy } from './parse.js';
import type { PolicyIssue } from './types.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const EXAMPLE = join(HERE, 'testdata', 'cairn.example.yaml');
const NOW = new Date('2026-06-01T12:00:00Z');
const FILE = 'cairn.yaml';

/** A valid policy; cases edit it. Line numbers below refer to this text. */
const BASE = `version: 1
governance:
  retentionClasses:
    internal: { keep: 400d }
tiers:
  0:
    retentionClass: internal
    rpo: 15m
    keep: { last: 3 }
environments:
  prod: {}
items:
  - name: app
    owner: team@acme.example
    tier: 0
    environment: prod
    sources:
      - files: { root: conf }
`;

function issuesOf(text: string, now = NOW): PolicyIssue[] {
  try {
    parsePolicy(text, FILE, { now });
  } catch (err) {
    assert.ok(isCairnError(err, 'CAIRN_E_POLICY_INVALID'), `unexpected error: ${String(err)}`);
    return (err as CairnError).details?.issues as PolicyIssue[];
  }
  assert.fail('expected CAIRN_E_POLICY_INVALID');
}

function errorAt(text: string, field: string, now = NOW): PolicyIssue {
  const issues = issuesOf(text, now);
  const found = issues.find((i) => i.field === field && i.severity === 'error');
  assert.ok(found, `no error for ${field}; got:\n${issues.map((i) => `${i.field}: ${i.message}`).join('\n')}`);
  return found;
}

describe('parsePolicy: valid policies', () => {
  test('the base policy parses without issues', () => {
    const { policy, issues } = parsePolicy(BASE, '/srv/repo/cairn.yaml', { now: NOW });
    assert.deepEqual(issues, []);
    assert.equal(policy.file, '/srv/repo/cairn.yaml');
    assert.equal(policy.dir, '/srv/repo');
    assert.deepEqual(policy.tiers['0'], {
      name: '0',
      retentionClass: 'internal',
      rpoMs: 15 * 60_000,
      keep: { last: 3 },
    });
    const item = policy.items[0]!;
    assert.equal(item.tier, '0');
    assert.equal(item.secrets, 'refuse');
    assert.deepEqual(item.sources, [{ kind: 'files', root: '/srv/repo/conf', include: ['**'], exclude: [] }]);
    assert.deepEqual(item.at, { line: 13, column: 5 });
    assert.deepEqual(policy.exclude, BUILTIN_EXCLUDES);
  });

  test('loads the example policy (cairn.example.yaml) with no errors', async () => {
    const { policy, issues } = await loadPolicy(EXAMPLE, { now: NOW });
    // prod rolls back automatically; two of its items have nowhere to restore to.
    assert.deepEqual(
      issues.map((i) => `${i.severity} ${i.line} ${i.field}`),
      ['warning 70 items[1]', 'warning 96 items[4]'],
    );
    assert.match(issues[0]!.message, /"payments-db-settings" has no restore target.*autoRollback|rolls back/);
    assert.equal(policy.organisation, 'acme-payments');
    assert.deepEqual(Object.keys(policy.tiers), ['0', '1', '2']);
    assert.deepEqual(policy.tiers['0']!.lock, { mode: 'compliance', forMs: 6 * 365 * 86_400_000 });
    assert.equal(policy.retentionClasses.sox!.keepMs, 7 * 365 * 86_400_000);
    assert.equal(policy.auditRetentionMs, 10 * 365 * 86_400_000);
    assert.deepEqual(policy.environments.prod, {
      name: 'prod',
      maintenanceWindows: [
        {
          text: 'sun 02:00-04:00 Europe/London',
          days: [0],
          startMinute: 120,
          endMinute: 240,
          timezone: 'Europe/London',
        },
      ],
      autoRollback: true,
    });
    assert.deepEqual(policy.tiers['0']!.schedule, {
      cron: '*/15 * * * *',
      timezone: 'UTC',
      maintenanceWindowsOnly: false,
    });
    assert.deepEqual(
      policy.items.map((i) => i.name),
      ['payments-api-config', 'payments-db-settings', 'feature-flags', 'edge-network-policy', 'core-router'],
    );
    const files = policy.items[0]!.sources[0]!;
    assert.deepEqual(files, {
      kind: 'files',
      root: join(HERE, 'testdata', 'deploy/prod/payments'),
      include: ['**/*.yaml', '**/*.env'],
      exclude: ['**/secrets.tmp'],
    });
    assert.deepEqual(
      policy.items.map((i) => i.sources[0]!.kind),
      ['files', 'postgres', 'http', 'command', 'ssh'],
    );
    const command = policy.items[3]!.sources[0]!;
    assert.deepEqual(command, {
      kind: 'command',
      run: 'kubectl get networkpolicy -A -o yaml',
      timeoutMs: 30_000,
      cwd: join(HERE, 'testdata'),
      file: 'output.yaml',
      format: 'yaml',
      env: [],
    });
    assert.deepEqual(policy.items[1]!.sources[0], {
      kind: 'postgres',
      urlEnv: 'PAYMENTS_DB_URL',
      include: ['settings', 'roles', 'extensions'],
      timeoutMs: 30_000,
    });
    assert.deepEqual(policy.items[2]!.sources[0], {
      kind: 'http',
      url: 'https://flags.internal/api/export',
      headersEnv: { Authorization: 'FLAGS_TOKEN' },
      headers: {},
      timeoutMs: 30_000,
      file: 'response.json',
      format: 'json',
    });
    const ssh = policy.items[4]!.sources[0]!;
    assert.equal(ssh.kind === 'ssh' && ssh.options.keyFile, join(HERE, 'testdata', 'keys/router'));
    const app = policy.items[0]!;
    assert.deepEqual(app.extra, {});
    assert.deepEqual(app.version, {
      file: join(HERE, 'testdata', 'deploy/prod/payments/VERSION'),
      snapshotPath: 'VERSION',
    });
    assert.deepEqual(app.requires, [{ item: 'payments-db-settings', version: '>=14' }]);
    assert.deepEqual(app.restore, { kind: 'directory', path: '/srv/payments/config' });
    assert.deepEqual(app.drift, { ignore: [], ignoreLines: [] });
    assert.deepEqual(policy.items[2]!.bundleWith, ['payments-api-config']);
    assert.deepEqual(policy.items[2]!.restore, {
      kind: 'http',
      method: 'PUT',
      url: 'https://flags.internal/api/import',
      headersEnv: {},
      timeoutMs: 30_000,
    });
    assert.deepEqual(policy.items[3]!.restore, {
      kind: 'command',
      run: 'kubectl apply -f -',
      timeoutMs: 60_000,
      cwd: join(HERE, 'testdata'),
    });
    assert.deepEqual(policy.items[4]!.drift.ignoreLines, ['^! Last configuration change', '^ntp clock-period']);
    assert.deepEqual(policy.exclude.slice(-1), ['**/*.bak']);
    assert.deepEqual(policy.items[0]!.exclude, policy.exclude);
    assert.deepEqual(policy.exceptions, [
      {
        item: 'legacy-billing-cron',
        reason: 'host is decommissioned in Q1; its configuration is re-creatable from the runbook',
        acceptedBy: ['ciso@acme.example', 'head-of-ops@acme.example'],
        ticket: 'RISK-214',
        expires: '2027-03-31',
        expired: false,
      },
    ]);
    assert.deepEqual(policy.extra, {});
    assert.deepEqual(policy.drills, [
      {
        name: 'quarterly-prod',
        schedule: { cron: '0 6 1 */3 *', timezone: 'UTC', maintenanceWindowsOnly: false },
        environment: 'prod',
        items: ['payments-api-config', 'payments-db-settings'],
        validate: [
          { kind: 'run', command: 'nginx -t -c {restored}/nginx.conf', timeoutMs: 60_000 },
          { kind: 'jsonSchema', schema: join(HERE, 'testdata', 'schemas/payments-config.json'), files: ['**/*.json'] },
          { kind: 'baseline', snapshot: 'release:2.4.0', allowChanges: ['**/VERSION'] },
        ],
        signoff: ['operations', 'security'],
        timeoutMs: 30 * 60_000,
        overdueAfterMs: 24 * 3_600_000,
        network: false,
        at: { line: 117, column: 5 },
      },
    ]);
    assert.deepEqual(policy.canary, { enabled: true, everyMs: 15 * 60_000, slowAfterMs: 2 * 60_000, keep: 3 });
    assert.deepEqual(policy.alerts, { consecutiveFailures: 2, lateAfterMs: 15 * 60_000, escalateAfterMs: 30 * 60_000 });
    assert.deepEqual(policy.webhooks, { environmentMap: {} });
    assert.deepEqual(policy.changeTickets, {
      provider: {
        kind: 'http',
        url: 'https://acme.service-now.com/api/now/table/change_request',
        tokenEnv: 'SNOW_TOKEN',
        timeoutMs: 15_000,
        fields: { number: 'number', state: 'state', approval: 'approval', start: 'start_date', end: 'end_date' },
        approvedValues: ['approved'],
        approvedStates: ['scheduled', 'implement'],
      },
      requireFor: { tiers: ['0'], environments: [], actions: ['snapshot', 'deploy', 'rollback'] },
    });
    assert.deepEqual(policy.audit, {
      retentionMs: 10 * 365 * 86_400_000,
      checkpointEvery: { events: 1000, minutes: 60 },
      siem: [
        { kind: 'syslog', url: 'tcp+tls://siem.internal:6514', format: 'rfc5424' },
        { kind: 'http', url: 'https://splunk.internal:8088/services/collector', tokenEnv: 'SPLUNK_HEC_TOKEN' },
      ],
      anomalies: { bulkDelete: { count: 5, withinMs: 600_000 }, authFailures: { count: 10, withinMs: 300_000 } },
    });
    assert.deepEqual(policy.businessHours, {
      timezone: 'Europe/London',
      days: [1, 2, 3, 4, 5],
      startMinute: 480,
      endMinute: 1080,
    });
    assert.deepEqual(policy.access, {
      separationOfDuties: [
        ['operator', 'auditor'],
        ['restorer', 'approver'],
      ],
      jit: { maxDurationMs: 7_200_000, approvers: 1 },
      approvals: { expireAfterMs: 86_400_000, defaultApprovers: 2 },
      teams: { operations: ['alice@acme.example', 'bob@acme.example'], security: ['carol@acme.example'] },
    });
    assert.deepEqual(policy.alertSinks, [
      { kind: 'slack', webhookEnv: 'SLACK_WEBHOOK' },
      {
        kind: 'pagerduty',
        routingKeyEnv: 'PD_ROUTING_KEY',
        url: 'https://events.pagerduty.com/v2/enqueue',
        for: ['late', 'failure', 'anomaly', 'drift'],
      },
      { kind: 'email', smtp: 'smtp://mail.internal:587', to: ['sre@acme.example'], from: `cairn@${hostname()}` },
    ]);
  });

  test('tiers by name, other source kinds, secrets mode, environment extras', () => {
    const text = `version: 1
tiers:
  gold: { keep: { daily: 7, within: 2w } }
environments:
  prod: { region: eu-west-1 }
items:
  - name: repo.cfg_1
    owner: a@b
    tier: gold
    environment: prod
    secrets: redact
    sources:
      - git: { url: "https://git.example/x.git", ref: main }
      - dotenv: { path: app/.env }
      - postgres: { url: "postgres://db/x" }
`;
    const { policy, issues } = parsePolicy(text, '/r/cairn.yaml', { now: NOW });
    assert.deepEqual(
      issues.map((i) => [i.severity, i.field, i.message]),
      [['warning', 'tiers.gold', 'tier gold has no retentionClass (C1.4: each tier maps to one)']],
    );
    assert.deepEqual(policy.tiers.gold!.keep, { daily: 7, withinMs: 14 * 86_400_000 });
    assert.equal(policy.items[0]!.secrets, 'redact');
    assert.deepEqual(policy.items[0]!.sources[1], { kind: 'dotenv', path: '/r/app/.env' });
    assert.deepEqual(policy.extra.environments, { prod: { region: 'eu-west-1' } });
  });

  test('YAML anchors and merge keys, with x- keys to hold them', () => {
    const text = `version: 1
x-defaults: &defaults { rpo: 1h, keep: { daily: 7 } }
tiers:
  0: { <<: *defaults, rto: 2h }
  1: *defaults
items: []
`;
    const { policy } = parsePolicy(text, FILE, { now: NOW });
    assert.deepEqual(policy.tiers['0'], { name: '0', rpoMs: 3_600_000, rtoMs: 7_200_000, keep: { daily: 7 } });
    assert.deepEqual(policy.tiers['1'], { name: '1', rpoMs: 3_600_000, keep: { daily: 7 } });
    assert.equal('x-defaults' in policy.extra, false);
  });

  test('an exception may name an item that is not in items: that is the documented gap', () => {
    const text = `${BASE}exceptions:
  - { item: not-backed-up, reason: r, acceptedBy: [ciso], ticket: RISK-1, expires: 2027-01-01 }
`;
    const { policy, issues } = parsePolicy(text, FILE, { now: NOW });
    assert.deepEqual(issues, []);
    assert.equal(policy.exceptions[0]!.item, 'not-backed-up');
  });
});

describe('parsePolicy: every problem names file, line, column and field', () => {
  test('YAML syntax error: the first one, with its line and column', () => {
    const issues = issuesOf(BASE.replace('owner: team@acme.example', 'owner: [team@acme.example'));
    assert.equal(issues.length, 1);
    const [issue] = issues;
    assert.equal(issue!.file, FILE);
    assert.equal(issue!.field, '');
    assert.match(
      issue!.message,
      /^YAML: Flow sequence .* end with a \] \(\d+ more YAML errors may follow from this one\)$/,
    );
    // The parser notices the unclosed `[` of line 14 where the next key starts.
    assert.ok(issue!.line === 14 || issue!.line === 15, `line ${issue!.line}`);
  });

  test('YAML tab indentation', () => {
    const [issue] = issuesOf('version: 1\ntiers:\n\t0: {}\n');
    assert.deepEqual([issue!.line, issue!.column], [3, 1]);
    assert.match(issue!.message, /Tabs are not allowed/);
  });

  test('YAML duplicate key is a syntax error with its position', () => {
    const issues = issuesOf(BASE.replace('    rpo: 15m\n', '    rpo: 15m\n    rpo: 1h\n'));
    assert.equal(issues[0]!.line, 9);
    assert.equal(issues[0]!.column, 5);
    assert.match(issues[0]!.message, /unique/);
  });

  test('missing owner names the item and points at it (C1.3)', () => {
    const issue = errorAt(BASE.replace('    owner: team@acme.example\n', ''), 'items[0].owner');
    assert.equal(issue.line, 13); // the item, where the owner has to be added
    assert.equal(issue.column, 5);
    assert.match(issue.message, /item "app": owner is required/);
  });

  test('empty owner', () => {
    const issue = errorAt(BASE.replace('owner: team@acme.example', 'owner: ""'), 'items[0].owner');
    assert.deepEqual([issue.line, issue.column], [14, 12]);
    assert.match(issue.message, /must not be empty/);
  });

  test('unknown tier', () => {
    const issue = errorAt(BASE.replace('    tier: 0\n', '    tier: gold\n'), 'items[0].tier');
    assert.deepEqual([issue.line, issue.column], [15, 11]);
    assert.match(issue.message, /unknown tier "gold"; defined: 0/);
  });

  test('unknown retention class, with a suggestion', () => {
    const issue = errorAt(
      BASE.replace('retentionClass: internal', 'retentionClass: internl'),
      'tiers.0.retentionClass',
    );
    assert.deepEqual([issue.line, issue.column], [7, 21]);
    assert.match(issue.message, /unknown retention class "internl" \(did you mean "internal"\?\)/);
  });

  test('bad duration', () => {
    const issue = errorAt(BASE.replace('rpo: 15m', 'rpo: 15 minutes'), 'tiers.0.rpo');
    assert.deepEqual([issue.line, issue.column], [8, 10]);
    assert.match(issue.message, /"15 minutes" is not a duration/);
    const numeric = errorAt(BASE.replace('rpo: 15m', 'rpo: 15'), 'tiers.0.rpo');
    assert.match(numeric.message, /expected a duration/);
  });

  test('invalid cron schedule', () => {
    const issue = errorAt(
      BASE.replace('    rpo: 15m\n', '    rpo: 15m\n    schedule: "*/15 * * *"\n'),
      'tiers.0.schedule',
    );
    assert.equal(issue.line, 9);
    assert.match(issue.message, /has 4 fields/);
  });

  test('negative and fractional keep counts', () => {
    const text = BASE.replace('keep: { last: 3 }', 'keep: { last: -1, daily: 1.5, within: 3 days }');
    assert.match(errorAt(text, 'tiers.0.keep.last').message, /must not be negative/);
    assert.match(errorAt(text, 'tiers.0.keep.daily').message, /whole number/);
    assert.match(errorAt(text, 'tiers.0.keep.within').message, /not a duration/);
  });

  test('duplicate item name', () => {
    const text = `${BASE}  - name: app
    owner: other@acme.example
    tier: 0
    environment: prod
    sources: [{ files: { root: other } }]
`;
    const issue = errorAt(text, 'items[1].name');
    assert.deepEqual([issue.line, issue.column], [19, 11]);
    assert.match(issue.message, /duplicate item name "app" \(first declared on line 13\)/);
  });

  test('invalid item name', () => {
    const issue = errorAt(BASE.replace('name: app', 'name: My App'), 'items[0].name');
    assert.match(issue.message, /lowercase/);
  });

  test('unknown top-level key (a typo) points at the key and suggests the right one', () => {
    const issue = errorAt(`${BASE}exeptions: []\n`, 'exeptions');
    assert.deepEqual([issue.line, issue.column], [19, 1]);
    assert.match(issue.message, /unknown key "exeptions" at the top level \(did you mean "exceptions"\?\)/);
  });

  test('unknown key in an item', () => {
    const issue = errorAt(BASE.replace('    tier: 0\n', '    tier: 0\n    onwer: x\n'), 'items[0].onwer');
    assert.deepEqual([issue.line, issue.column], [16, 5]);
    assert.match(issue.message, /item "app": unknown key "onwer" in items\[0\] \(did you mean "owner"\?\)/);
  });

  test('unknown key in a tier and in keep', () => {
    const text = BASE.replace('keep: { last: 3 }', 'keep: { lats: 3 }\n    rto_: 1h');
    assert.match(errorAt(text, 'tiers.0.keep.lats').message, /did you mean "last"/);
    assert.match(errorAt(text, 'tiers.0.rto_').message, /did you mean "rto"/);
  });

  test('a source has exactly one kind, with its required fields', () => {
    const two = errorAt(
      BASE.replace('- files: { root: conf }', '- { files: { root: conf }, git: { url: u, ref: m } }'),
      'items[0].sources[0]',
    );
    assert.match(two.message, /exactly one of files, git, .* \(found files, git\)/);
    assert.match(
      errorAt(BASE.replace('files: { root: conf }', 'git: { url: u }'), 'items[0].sources[0].git.ref').message,
      /required/,
    );
    assert.match(
      errorAt(BASE.replace('files: { root: conf }', 'git: { ref: main }'), 'items[0].sources[0].git').message,
      /url or path/,
    );
    assert.match(
      errorAt(BASE.replace('files: { root: conf }', 'postgres: {}'), 'items[0].sources[0].postgres').message,
      /url or urlEnv/,
    );
    assert.match(
      errorAt(BASE.replace('files: { root: conf }', 'ssh: { host: h }'), 'items[0].sources[0].ssh.command').message,
      /required/,
    );
    assert.match(
      errorAt(BASE.replace('files: { root: conf }', 'http: { url: "not a url" }'), 'items[0].sources[0].http.url')
        .message,
      /is not an http\(s\) URL/,
    );
    assert.match(
      errorAt(BASE.replace('files: { root: conf }', 'gti: { ref: main }'), 'items[0].sources[0].gti').message,
      /did you mean "git"/,
    );
    assert.match(
      errorAt(
        BASE.replace('      - files: { root: conf }\n', '      []\n').replace('sources:\n', 'sources:'),
        'items[0].sources',
      ).message,
      /at least one source/,
    );
  });

  test('unknown environment when environments are declared; no environment is a warning', () => {
    const issue = errorAt(BASE.replace('environment: prod', 'environment: prd'), 'items[0].environment');
    assert.match(issue.message, /unknown environment "prd" \(did you mean "prod"\?\)/);
    const { issues } = parsePolicy(BASE.replace('    environment: prod\n', ''), FILE, { now: NOW });
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.severity, 'warning');
    assert.equal(issues[0]!.field, 'items[0]');
    assert.match(issues[0]!.message, /item "app" has no environment/);
  });

  test('version is required and must be 1', () => {
    assert.match(errorAt(BASE.replace('version: 1\n', ''), 'version').message, /version: 1 is required/);
    assert.match(errorAt(BASE.replace('version: 1', 'version: 2'), 'version').message, /unsupported version 2/);
  });

  test('an empty file', () => {
    const issues = issuesOf('# nothing yet\n');
    assert.match(issues[0]!.message, /empty/);
  });

  test('expired exception is an error naming its item, ticket, date and line (C1.6)', () => {
    const text = `${BASE}exceptions:
  - item: legacy-cron
    reason: decommissioned
    acceptedBy: [ciso@acme.example]
    ticket: RISK-9
    expires: 2026-05-31
`;
    const issue = errorAt(text, 'exceptions[0].expires');
    assert.deepEqual([issue.line, issue.column], [24, 14]);
    assert.equal(issue.message, 'exception for legacy-cron (ticket RISK-9) expired on 2026-05-31');
    // Valid through its last day.
    assert.doesNotThrow(() => parsePolicy(text, FILE, { now: new Date('2026-05-31T23:00:00Z') }));
  });

  test('commands that act on the policy see an expired exception as a warning, so backups keep running', () => {
    const text = `${BASE}exceptions:
  - { item: legacy-cron, reason: r, acceptedBy: [ciso], ticket: RISK-9, expires: 2026-05-31 }
`;
    const { policy, issues } = parsePolicy(text, FILE, { now: NOW, expiredExceptions: 'warning' });
    assert.equal(policy.exceptions[0]!.expired, true);
    assert.equal(issues[0]!.severity, 'warning');
    assert.match(issues[0]!.message, /expired on 2026-05-31/);
  });

  test('an exception expiring within 30 days is a warning, returned not thrown', () => {
    const text = `${BASE}exceptions:
  - { item: legacy-cron, reason: r, acceptedBy: [ciso], ticket: RISK-9, expires: 2026-06-20 }
`;
    const { issues, policy } = parsePolicy(text, FILE, { now: NOW });
    assert.equal(policy.exceptions[0]!.expired, false);
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.severity, 'warning');
    assert.equal(issues[0]!.field, 'exceptions[0].expires');
    assert.equal(issues[0]!.line, 20);
    assert.match(issues[0]!.message, /expires on 2026-06-20, in 19 day\(s\)/);
  });

  test('exception fields are required, acceptedBy non-empty, expires a real date', () => {
    const text = `${BASE}exceptions:
  - { item: x, acceptedBy: [], ticket: T, expires: 2026-02-30 }
`;
    assert.match(errorAt(text, 'exceptions[0].reason').message, /required/);
    assert.match(errorAt(text, 'exceptions[0].acceptedBy').message, /at least one/);
    assert.match(errorAt(text, 'exceptions[0].expires').message, /not a real date/);
  });

  test('audit retention shorter than the longest retention class or lock is an error (C6.6)', () => {
    const text = BASE.replace(
      '    internal: { keep: 400d }\n',
      '    internal: { keep: 400d }\n  audit: { retention: 1y }\n',
    );
    const issue = errorAt(text, 'governance.audit.retention');
    assert.deepEqual([issue.line, issue.column], [5, 23]);
    assert.match(issue.message, /audit retention 1y must be longer than .* 1y35d \(retention class internal\)/);
    const lock = BASE.replace(
      '    internal: { keep: 400d }\n',
      '    internal: { keep: 400d }\n  audit: { retention: 2y }\n',
    ).replace('    rpo: 15m\n', '    rpo: 15m\n    lock: { mode: compliance, for: 3y }\n');
    assert.match(errorAt(lock, 'governance.audit.retention').message, /3y \(tier 0 lock\)/);
    const equal = BASE.replace(
      '    internal: { keep: 400d }\n',
      '    internal: { keep: 400d }\n  audit: { retention: 400d }\n',
    );
    assert.match(errorAt(equal, 'governance.audit.retention').message, /must be longer/);
    const longer = BASE.replace(
      '    internal: { keep: 400d }\n',
      '    internal: { keep: 400d }\n  audit: { retention: 2y }\n',
    );
    assert.doesNotThrow(() => parsePolicy(longer, FILE, { now: NOW }));
  });

  test('the error message has one `file:line:col: field: message` line per error', () => {
    const text = BASE.replace('    owner: team@acme.example\n', '').replace('rpo: 15m', 'rpo: soon');
    try {
      parsePolicy(text, FILE, { now: NOW });
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(err instanceof CairnError);
      assert.equal(err.code, 'CAIRN_E_POLICY_INVALID');
      assert.deepEqual(err.message.split('\n'), [
        'cairn.yaml:8:10: tiers.0.rpo: "soon" is not a duration: use an integer and a unit (ms, s, m, h, d, w, y), e.g. 15m, 4h, 30d, 2w, 6y',
        'cairn.yaml:13:5: items[0].owner: item "app": owner is required: every item has an accountable owner (C1.3)',
      ]);
    }
  });
});

describe('loadPolicy', () => {
  test('a missing file is CAIRN_E_POLICY_NOT_FOUND with the path and the --config hint', async () => {
    await assert.rejects(loadPolicy('/nonexistent/dir/cairn.yaml'), (err: unknown) => {
      assert.ok(isCairnError(err, 'CAIRN_E_POLICY_NOT_FOUND'));
      assert.match(err.message, /\/nonexistent\/dir\/cairn\.yaml/);
      assert.match(err.message, /--config FILE/);
      assert.equal(err.details?.path, '/nonexistent/dir/cairn.yaml');
      return true;
    });
  });

  test('reads, validates and resolves relative to the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-policy-'));
    try {
      await writeFile(join(dir, 'cairn.yaml'), BASE);
      const { policy } = await loadPolicy(join(dir, 'cairn.yaml'), { now: NOW });
      const source = policy.items[0]!.sources[0]!;
      assert.equal(source.kind === 'files' && source.root, join(dir, 'conf'));
      await writeFile(join(dir, 'bad.yaml'), 'version: 1\nitems: [{ name: x }]\n');
      await assert.rejects(loadPolicy(join(dir, 'bad.yaml'), { now: NOW }), /bad\.yaml:2:9: items\[0\]\.owner/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
