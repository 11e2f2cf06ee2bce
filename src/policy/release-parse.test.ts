import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { effectiveSchedule } from './index.js';
import { parsePolicy } from './parse.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const FILE = '/srv/repo/cairn.yaml';

/** Line numbers below refer to this text: items[0] starts on line 11, its keys from line 12. */
const BASE = `version: 1
governance: { retentionClasses: { internal: { keep: 400d } } }
tiers:
  0: { retentionClass: internal }
  1: { retentionClass: internal, schedule: { cron: "0 2 * * *", timezone: Europe/London } }
environments:
  prod: { maintenanceWindows: ["sun 02:00-04:00 Europe/London"], autoRollback: true, driftSchedule: "*/30 * * * *" }
  dev: {}
items:
  - name: db
    owner: dba
    tier: 0
    environment: prod
    sources:
      - postgres: { urlEnv: DB_URL }
    restore: { command: "psql -f -" }
  - name: app
    owner: team
    tier: 1
    environment: prod
    sources:
      - files: { root: deploy/app }
`;

const parse = (text: string) => parsePolicy(text, FILE, { now: NOW });

/** BASE with extra lines added to the app item (after line 22). */
const app = (lines: string) => `${BASE}${lines}`;
const appSource = (source: string) => BASE.replace('- files: { root: deploy/app }', source);

describe('release keys: valid forms and defaults', () => {
  test('the base policy: schedules, windows, defaults', () => {
    const { policy, issues } = parse(BASE);
    // prod rolls back automatically, and app has no restore target: a warning, not an error.
    assert.deepEqual(
      issues.map((i) => `${i.severity} ${i.line} ${i.field}: ${i.message}`),
      [
        'warning 17 items[1]: item "app" has no restore target, but environment prod rolls back automatically ' +
          '(line 7): add restore: { directory | command | http }',
      ],
    );
    assert.equal(policy.tiers['0']!.schedule, undefined);
    assert.deepEqual(policy.tiers['1']!.schedule, {
      cron: '0 2 * * *',
      timezone: 'Europe/London',
      maintenanceWindowsOnly: false,
    });
    const prod = policy.environments.prod!;
    assert.equal(prod.autoRollback, true);
    assert.equal(prod.maintenanceWindows[0]!.startMinute, 120);
    assert.deepEqual(prod.driftSchedule, { cron: '*/30 * * * *', timezone: 'UTC', maintenanceWindowsOnly: false });
    assert.deepEqual(policy.environments.dev, { name: 'dev', maintenanceWindows: [], autoRollback: false });
    assert.deepEqual(policy.webhooks, { environmentMap: {} });
    assert.deepEqual(policy.alerts, { consecutiveFailures: 2, lateAfterMs: 900_000, escalateAfterMs: 1_800_000 });
    assert.equal(policy.changeTickets, undefined);
    const [db, appItem] = policy.items;
    assert.deepEqual(db!.restore, { kind: 'command', run: 'psql -f -', timeoutMs: 60_000, cwd: '/srv/repo' });
    assert.deepEqual(appItem!.requires, []);
    assert.deepEqual(appItem!.bundleWith, []);
    assert.deepEqual(appItem!.drift, { ignore: [], ignoreLines: [] });
    assert.equal(appItem!.version, undefined);
    assert.deepEqual(effectiveSchedule(policy, appItem!), policy.tiers['1']!.schedule);
    assert.equal(effectiveSchedule(policy, db!), undefined);
  });

  test('every source kind, with its defaults and with every key', () => {
    const { policy } = parse(
      appSource(`- git: { path: iac, ref: main }
      - git: { url: "file:///srv/iac.git", ref: v1.2, subdir: /envs/prod/, include: ["**/*.tf"], exclude: ["*.bak"], timeout: 30s }
      - dotenv: { path: deploy/app/.env }
      - command: { run: "kubectl get cm -o json", format: json }
      - command: { run: "date", timeout: 5s, cwd: /tmp, file: now.txt, format: text, env: [KUBECONFIG] }
      - http: { url: "http://flags/export", headersEnv: { Authorization: FLAGS_TOKEN }, headers: { Accept: application/json }, timeout: 10s, file: flags.json }
      - http: { url: "https://flags/export.yaml", format: yaml }
      - postgres: { url: "postgres://db/x", include: [roles, roles], timeout: 5s }`),
    );
    assert.deepEqual(policy.items[1]!.sources, [
      { kind: 'git', path: '/srv/repo/iac', ref: 'main', subdir: '', include: ['**'], exclude: [], timeoutMs: 120_000 },
      {
        kind: 'git',
        url: 'file:///srv/iac.git',
        ref: 'v1.2',
        subdir: 'envs/prod',
        include: ['**/*.tf'],
        exclude: ['*.bak'],
        timeoutMs: 30_000,
      },
      { kind: 'dotenv', path: '/srv/repo/deploy/app/.env' },
      {
        kind: 'command',
        run: 'kubectl get cm -o json',
        timeoutMs: 60_000,
        cwd: '/srv/repo',
        file: 'output.json',
        format: 'json',
        env: [],
      },
      {
        kind: 'command',
        run: 'date',
        timeoutMs: 5_000,
        cwd: '/tmp',
        file: 'now.txt',
        format: 'text',
        env: ['KUBECONFIG'],
      },
      {
        kind: 'http',
        url: 'http://flags/export',
        headersEnv: { Authorization: 'FLAGS_TOKEN' },
        headers: { Accept: 'application/json' },
        timeoutMs: 10_000,
        file: 'flags.json',
        format: 'json',
      },
      {
        kind: 'http',
        url: 'https://flags/export.yaml',
        headersEnv: {},
        headers: {},
        timeoutMs: 30_000,
        file: 'response.yaml',
        format: 'yaml',
      },
      { kind: 'postgres', url: 'postgres://db/x', include: ['roles'], timeoutMs: 5_000 },
    ]);
  });

  test('item version, requires, bundleWith, restore, schedule, drift', () => {
    const { policy } = parse(
      app(`    version: { file: deploy/app/VERSION }
    requires: [{ item: db, version: ">=14", when: "2.x" }, { item: db }]
    bundleWith: [db]
    restore: { http: { url: "https://flags/import", headersEnv: { Authorization: T } } }
    schedule: { cron: "0 * * * *", timezone: America/New_York, maintenanceWindowsOnly: true }
    drift: { ignore: ["metadata.resourceVersion", "items.*.status"], ignoreLines: ["^# generated at"] }
`),
    );
    const item = policy.items[1]!;
    assert.deepEqual(item.version, { file: '/srv/repo/deploy/app/VERSION', snapshotPath: 'VERSION' });
    assert.deepEqual(item.requires, [{ item: 'db', version: '>=14', when: '2.x' }, { item: 'db' }]);
    assert.deepEqual(item.bundleWith, ['db']);
    assert.deepEqual(item.restore, {
      kind: 'http',
      method: 'PUT',
      url: 'https://flags/import',
      headersEnv: { Authorization: 'T' },
      timeoutMs: 30_000,
    });
    assert.deepEqual(item.schedule, { cron: '0 * * * *', timezone: 'America/New_York', maintenanceWindowsOnly: true });
    assert.deepEqual(effectiveSchedule(policy, item), item.schedule);
    assert.deepEqual(item.drift, {
      ignore: ['metadata.resourceVersion', 'items.*.status'],
      ignoreLines: ['^# generated at'],
    });
  });

  test('version snapshotPath: several sources are stored under <index>-<name>/; outside any root none', () => {
    const several = parse(
      appSource(`- postgres: { urlEnv: DB_URL }
      - files: { root: deploy/app }
    version: { file: deploy/app/sub/VERSION }`),
    );
    assert.deepEqual(several.policy.items[1]!.version, {
      file: '/srv/repo/deploy/app/sub/VERSION',
      snapshotPath: '1-app/sub/VERSION',
    });
    const outside = parse(app('    version: { file: /etc/app/VERSION }\n'));
    assert.deepEqual(outside.policy.items[1]!.version, { file: '/etc/app/VERSION' });
  });

  test('restore: directory (relative to the policy), command with timeout and cwd, http POST', () => {
    const dir = parse(app('    restore: { directory: out/app }\n')).policy.items[1]!.restore;
    assert.deepEqual(dir, { kind: 'directory', path: '/srv/repo/out/app' });
    const cmd = parse(app('    restore: { command: "kubectl apply -f -", timeout: 2m, cwd: k8s }\n')).policy.items[1]!
      .restore;
    assert.deepEqual(cmd, { kind: 'command', run: 'kubectl apply -f -', timeoutMs: 120_000, cwd: '/srv/repo/k8s' });
    const http = parse(app('    restore: { http: { method: POST, url: "http://x/import", timeout: 3s } }\n')).policy
      .items[1]!.restore;
    assert.deepEqual(http, { kind: 'http', method: 'POST', url: 'http://x/import', headersEnv: {}, timeoutMs: 3_000 });
  });

  test('webhooks, alerts and change tickets (http and file providers)', () => {
    const { policy } = parse(`${BASE}webhooks:
  github: { secretEnv: GH_HOOK_SECRET }
  gitlab: { tokenEnv: GL_HOOK_TOKEN }
  generic: { secretEnv: HOOK_SECRET }
  environmentMap: { production: prod }
alerts: { consecutiveFailures: 3, lateAfter: 5m, escalateAfter: 1h }
changeTickets:
  provider: { http: { url: "https://x.service-now.com/api/now/table/change_request", userEnv: U, passwordEnv: P, timeout: 5s, fields: { start: planned_start }, approvedStates: [implement] } }
  requireFor: { tiers: [0], environments: [prod], actions: [deploy] }
`);
    assert.deepEqual(policy.webhooks, {
      github: { secretEnv: 'GH_HOOK_SECRET' },
      gitlab: { tokenEnv: 'GL_HOOK_TOKEN' },
      generic: { secretEnv: 'HOOK_SECRET', replayWindowMs: 300_000 },
      environmentMap: { production: 'prod' },
    });
    assert.deepEqual(policy.alerts, { consecutiveFailures: 3, lateAfterMs: 300_000, escalateAfterMs: 3_600_000 });
    assert.deepEqual(policy.changeTickets, {
      provider: {
        kind: 'http',
        url: 'https://x.service-now.com/api/now/table/change_request',
        userEnv: 'U',
        passwordEnv: 'P',
        timeoutMs: 5_000,
        fields: { number: 'number', state: 'state', approval: 'approval', start: 'planned_start', end: 'end_date' },
        approvedValues: ['approved'],
        approvedStates: ['implement'],
      },
      requireFor: { tiers: ['0'], environments: ['prod'], actions: ['deploy'] },
    });
    const file = parse(`${BASE}changeTickets: { provider: { file: { path: tickets.yaml } } }\n`).policy.changeTickets;
    assert.deepEqual(file, {
      provider: { kind: 'file', path: '/srv/repo/tickets.yaml' },
      requireFor: { tiers: [], environments: [], actions: ['snapshot', 'deploy', 'rollback'] },
    });
  });
});
