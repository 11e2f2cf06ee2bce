import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CairnError } from '../errors/index.js';
import { isCairnError } from '../errors/index.js';
import { parsePolicy } from './parse.js';
import type { PolicyIssue } from './types.js';

const NOW = new Date('2026-06-01T12:00:00Z');

/** Line 13 is the app item's `sources:` entry; lines added after it start at 14. */
const BASE = `version: 1
governance: { retentionClasses: { internal: { keep: 400d } } }
tiers:
  0: { retentionClass: internal }
environments:
  prod: {}
  dev: { autoRollback: true }
items:
  - name: app
    owner: team
    tier: 0
    environment: prod
    sources: [{ files: { root: conf } }]
`;
const NEXT = 14;

function issuesOf(text: string): PolicyIssue[] {
  try {
    parsePolicy(text, 'cairn.yaml', { now: NOW });
  } catch (err) {
    assert.ok(isCairnError(err, 'CAIRN_E_POLICY_INVALID'), `unexpected error: ${String(err)}`);
    return (err as CairnError).details?.issues as PolicyIssue[];
  }
  assert.fail('expected CAIRN_E_POLICY_INVALID');
}

/** The error at `field`, checking its line and that the whole message names the file and line. */
function expectError(text: string, field: string, line: number, message: RegExp): void {
  const issues = issuesOf(text);
  const found = issues.find((i) => i.field === field && i.severity === 'error');
  assert.ok(found, `no error for ${field}; got:\n${issues.map((i) => `${i.field}: ${i.message}`).join('\n')}`);
  assert.equal(found.line, line, `line of ${field}: ${found.message}`);
  assert.match(found.message, message);
  try {
    parsePolicy(text, 'cairn.yaml', { now: NOW });
  } catch (err) {
    assert.ok((err as Error).message.includes(`cairn.yaml:${line}:`), (err as Error).message);
  }
}

const item = (lines: string) => `${BASE}${lines}`;
const source = (s: string) => BASE.replace('{ files: { root: conf } }', s);

describe('release keys: every bad input names its line and field', () => {
  const cases: [string, string, string, number, RegExp][] = [
    ['bad cron', item('    schedule: "61 * * * *"\n'), 'items[0].schedule', NEXT, /minute field "61"/],
    ['schedule not text', item('    schedule: 5\n'), 'items[0].schedule', NEXT, /expected a cron expression/],
    [
      'bad timezone',
      item('    schedule: { cron: "0 * * * *", timezone: Europe/Londn }\n'),
      'items[0].schedule.timezone',
      NEXT,
      /unknown time zone "Europe\/Londn"/,
    ],
    [
      'unknown schedule key',
      item('    schedule: { cron: "0 * * * *", timezon: UTC }\n'),
      'items[0].schedule.timezon',
      NEXT,
      /unknown key "timezon".*did you mean "timezone"/,
    ],
    [
      'bad tier schedule',
      BASE.replace('0: { retentionClass: internal }', '0: { retentionClass: internal, schedule: "* * *" }'),
      'tiers.0.schedule',
      4,
      /has 3 fields/,
    ],
    [
      'bad drift schedule',
      BASE.replace('prod: {}', 'prod: { driftSchedule: { cron: "0 25 * * *" } }'),
      'environments.prod.driftSchedule.cron',
      6,
      /hour field "25"/,
    ],
    [
      'bad window day',
      BASE.replace('prod: {}', 'prod: { maintenanceWindows: ["someday 02:00-04:00"] }'),
      'environments.prod.maintenanceWindows[0]',
      6,
      /maintenance window "someday 02:00-04:00": unknown day "someday"/,
    ],
    [
      'bad window time',
      BASE.replace('prod: {}', 'prod: { maintenanceWindows: ["sun 02:00-04:75 UTC"] }'),
      'environments.prod.maintenanceWindows[0]',
      6,
      /end "04:75" is not a time of day/,
    ],
    [
      'bad window timezone',
      BASE.replace('prod: {}', 'prod: { maintenanceWindows: ["sun 02:00-04:00 Mars/Base"] }'),
      'environments.prod.maintenanceWindows[0]',
      6,
      /unknown time zone "Mars\/Base"/,
    ],
    [
      'bad version range',
      item('    requires: [{ item: app, version: ">=x14" }]\n'),
      'items[0].requires[0].version',
      NEXT,
      /">=x14" is not a version range/,
    ],
    [
      'bad when range',
      item('    requires: [{ item: app, when: "2.x.y.z" }]\n'),
      'items[0].requires[0].when',
      NEXT,
      /is not a version range/,
    ],
    [
      'bad regex',
      item('    drift: { ignoreLines: ["ok", "(unclosed"] }\n'),
      'items[0].drift.ignoreLines[1]',
      NEXT,
      /"\(unclosed" is not a valid regular expression/,
    ],
    [
      'unknown drift key',
      item('    drift: { ignoreLine: ["x"] }\n'),
      'items[0].drift.ignoreLine',
      NEXT,
      /did you mean "ignoreLines"/,
    ],
    [
      'unknown command source key',
      source('{ command: { run: ls, timout: 5s } }'),
      'items[0].sources[0].command.timout',
      13,
      /unknown key "timout".*did you mean "timeout"/,
    ],
    [
      'unknown git source key',
      source('{ git: { url: "file:///x.git", ref: main, subdri: a } }'),
      'items[0].sources[0].git.subdri',
      13,
      /did you mean "subdir"/,
    ],
    [
      'unknown http source key',
      source('{ http: { url: "http://x", headerEnv: { A: B } } }'),
      'items[0].sources[0].http.headerEnv',
      13,
      /did you mean "headersEnv"/,
    ],
    [
      'unknown postgres source key',
      source('{ postgres: { urlEnv: DB, inclde: [roles] } }'),
      'items[0].sources[0].postgres.inclde',
      13,
      /did you mean "include"/,
    ],
    ['unknown dotenv key', source('{ dotenv: { path: a, paht: b } }'), 'items[0].sources[0].dotenv.paht', 13, /paht/],
    [
      'git with url and path',
      source('{ git: { url: "file:///x.git", path: x, ref: main } }'),
      'items[0].sources[0].git',
      13,
      /exactly one of url or path/,
    ],
    ['git without ref', source('{ git: { path: x } }'), 'items[0].sources[0].git.ref', 13, /required/],
    [
      'bad command format',
      source('{ command: { run: ls, format: xml } }'),
      'items[0].sources[0].command.format',
      13,
      /json, yaml, text/,
    ],
    [
      'bad env name',
      source('{ command: { run: ls, env: ["A-B"] } }'),
      'items[0].sources[0].command.env[0]',
      13,
      /"A-B"/,
    ],
    [
      'bad postgres part',
      source('{ postgres: { urlEnv: DB, include: [tables] } }'),
      'items[0].sources[0].postgres.include[0]',
      13,
      /settings, roles, extensions/,
    ],
    [
      'postgres without url',
      source('{ postgres: { timeout: 5s } }'),
      'items[0].sources[0].postgres',
      13,
      /url or urlEnv/,
    ],
    [
      'http url not http',
      source('{ http: { url: "ftp://x" } }'),
      'items[0].sources[0].http.url',
      13,
      /not an http\(s\) URL/,
    ],
    [
      'restore with two kinds',
      item('    restore: { directory: /x, command: "cat" }\n'),
      'items[0].restore',
      NEXT,
      /exactly one of directory, command, http \(found directory and command\)/,
    ],
    ['restore with none', item('    restore: {}\n'), 'items[0].restore', NEXT, /found none/],
    [
      'restore timeout without command',
      item('    restore: { directory: /x, timeout: 5s }\n'),
      'items[0].restore.timeout',
      NEXT,
      /only to a command restore target/,
    ],
    [
      'restore http method',
      item('    restore: { http: { method: GET, url: "http://x" } }\n'),
      'items[0].restore.http.method',
      NEXT,
      /PUT or POST/,
    ],
    ['unknown restore key', item('    restore: { dir: /x }\n'), 'items[0].restore.dir', NEXT, /unknown key "dir"/],
    ['version without file', item('    version: {}\n'), 'items[0].version.file', NEXT, /required/],
    [
      'requires of an unknown item',
      item('    requires: [{ item: ap, version: ">=1" }]\n'),
      'items[0].requires[0].item',
      NEXT,
      /requires unknown item "ap"; items: app/,
    ],
    [
      'requires itself',
      item('    requires: [{ item: app }]\n'),
      'items[0].requires[0].item',
      NEXT,
      /cannot require itself/,
    ],
    [
      'bundleWith an unknown item',
      item('    bundleWith: [flags]\n'),
      'items[0].bundleWith[0]',
      NEXT,
      /unknown item "flags"/,
    ],
    [
      'maintenanceWindowsOnly without windows',
      item('    schedule: { cron: "0 * * * *", maintenanceWindowsOnly: true }\n'),
      'items[0].schedule.maintenanceWindowsOnly',
      NEXT,
      /environment prod has no maintenanceWindows: it would never run/,
    ],
    [
      "tier's maintenanceWindowsOnly without windows",
      BASE.replace(
        '0: { retentionClass: internal }',
        '0: { retentionClass: internal, schedule: { cron: "0 * * * *", maintenanceWindowsOnly: true } }',
      ),
      'items[0].tier',
      11,
      /tier 0's schedule runs only in maintenance windows/,
    ],
    [
      'change tickets: two providers',
      `${BASE}changeTickets: { provider: { http: { url: "https://x" }, file: { path: t.yaml } } }\n`,
      'changeTickets.provider',
      NEXT,
      /exactly one of http or file/,
    ],
    [
      'change tickets: unknown tier',
      `${BASE}changeTickets: { provider: { file: { path: t.yaml } }, requireFor: { tiers: [9] } }\n`,
      'changeTickets.requireFor.tiers[0]',
      NEXT,
      /unknown tier "9"; defined: 0/,
    ],
    [
      'change tickets: unknown environment',
      `${BASE}changeTickets: { provider: { file: { path: t.yaml } }, requireFor: { environments: [prd] } }\n`,
      'changeTickets.requireFor.environments[0]',
      NEXT,
      /unknown environment "prd" \(did you mean "prod"\?\)/,
    ],
    [
      'change tickets: unknown action',
      `${BASE}changeTickets: { provider: { file: { path: t.yaml } }, requireFor: { actions: [restore] } }\n`,
      'changeTickets.requireFor.actions[0]',
      NEXT,
      /snapshot, deploy, rollback/,
    ],
    [
      'change tickets: unknown http key',
      `${BASE}changeTickets: { provider: { http: { url: "https://x", tokenenv: T } } }\n`,
      'changeTickets.provider.http.tokenenv',
      NEXT,
      /did you mean "tokenEnv"/,
    ],
    [
      'webhooks: unknown environment',
      `${BASE}webhooks: { environmentMap: { production: prd } }\n`,
      'webhooks.environmentMap.production',
      NEXT,
      /"production" maps to unknown environment "prd"/,
    ],
    [
      'webhooks: unknown key',
      `${BASE}webhooks: { githb: { secretEnv: S } }\n`,
      'webhooks.githb',
      NEXT,
      /did you mean "github"/,
    ],
    [
      'webhooks: bad replay window',
      `${BASE}webhooks: { generic: { secretEnv: S, replayWindow: 5 minutes } }\n`,
      'webhooks.generic.replayWindow',
      NEXT,
      /is not a duration/,
    ],
    ['alerts: unknown key', `${BASE}alerts: { lateAftr: 5m }\n`, 'alerts.lateAftr', NEXT, /did you mean "lateAfter"/],
    [
      'alerts: zero failures',
      `${BASE}alerts: { consecutiveFailures: 0 }\n`,
      'alerts.consecutiveFailures',
      NEXT,
      /at least 1/,
    ],
  ];
  for (const [name, text, field, line, message] of cases) {
    test(name, () => expectError(text, field, line, message));
  }

  test('an item in an autoRollback environment without restore: a warning naming the item', () => {
    const { issues } = parsePolicy(BASE.replace('environment: prod', 'environment: dev'), 'cairn.yaml', { now: NOW });
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.severity, 'warning');
    assert.match(
      issues[0]!.message,
      /item "app" has no restore target, but environment dev rolls back automatically \(line 7\)/,
    );
  });
});
