import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePolicy } from './parse.js';
import type { PolicyIssue } from './types.js';

const FILE = '/srv/repo/cairn.yaml';
const NOW = new Date('2026-11-29T10:00:00Z');
const BASE = `version: 1
tiers:
  0: { keep: { last: 3 } }
items:
  - name: app
    owner: ops@acme.example
    tier: 0
    sources: [{ files: { root: app } }]
`;

function errors(extra: string): PolicyIssue[] {
  try {
    parsePolicy(BASE + extra, FILE, { now: NOW });
    return [];
  } catch (err) {
    return (err as { details: { issues: PolicyIssue[] } }).details.issues.filter((i) => i.severity === 'error');
  }
}

function only(extra: string): PolicyIssue {
  const found = errors(extra);
  assert.equal(found.length, 1, JSON.stringify(found));
  return found[0] as PolicyIssue;
}

describe('governance, access and alert sinks', () => {
  test('defaults when the sections are absent', () => {
    const { policy } = parsePolicy(BASE, FILE, { now: NOW });
    assert.deepEqual(policy.audit.checkpointEvery, { events: 1000, minutes: 60 });
    assert.deepEqual(policy.audit.siem, []);
    assert.equal(policy.businessHours, undefined);
    assert.deepEqual(policy.access.separationOfDuties, []);
    assert.equal(policy.access.jit.maxDurationMs, 2 * 3_600_000);
    assert.deepEqual(policy.alertSinks, []);
  });

  test('days wrap around the week and lists are accepted', () => {
    const text = `${BASE}governance:\n  businessHours: { timezone: Asia/Tokyo, days: "fri-mon,wed", hours: "22:00-24:00" }\n`;
    const { policy } = parsePolicy(text, FILE, { now: NOW });
    assert.deepEqual(policy.businessHours, {
      timezone: 'Asia/Tokyo',
      days: [0, 1, 3, 5, 6],
      startMinute: 1320,
      endMinute: 1440,
    });
  });

  test('an unknown role in a separation-of-duties pair names the line and field', () => {
    const issue = only('access:\n  separationOfDuties: [[operator, auditer]]\n');
    assert.equal(issue.field, 'access.separationOfDuties[0][1]');
    assert.equal(issue.line, 10);
    assert.match(issue.message, /expected a role: viewer, operator/);
  });

  test('a pair that is not two roles', () => {
    assert.match(only('access:\n  separationOfDuties: [[operator]]\n').message, /pair of roles/);
  });

  test('a typo in the access section is an error, not a silently dropped rule', () => {
    assert.equal(only('access:\n  jit: { maxDuraton: 2h }\n').field, 'access.jit.maxDuraton');
  });

  test('an unknown time zone', () => {
    const issue = only('governance:\n  businessHours: { timezone: Europe/Londn, hours: "08:00-18:00" }\n');
    assert.equal(issue.field, 'governance.businessHours.timezone');
    assert.match(issue.message, /unknown time zone "Europe\/Londn"/);
  });

  test('bad hours', () => {
    assert.match(only('governance:\n  businessHours: { timezone: UTC, hours: "8-18" }\n').message, /08:00-18:00/);
  });

  test('a syslog URL that is not tcp:// or tcp+tls://', () => {
    const issue = only('governance:\n  audit:\n    siem:\n      - syslog: { url: "udp://siem:514" }\n');
    assert.match(issue.field, /^governance\.audit\.siem\[0\]/);
  });

  test('checkpoints at least once an hour', () => {
    const issue = only('governance:\n  audit:\n    checkpointEvery: { minutes: 90 }\n');
    assert.equal(issue.field, 'governance.audit.checkpointEvery.minutes');
    assert.match(issue.message, /at least once an hour/);
  });

  test('an alert sink of an unknown kind', () => {
    const issue = only('alerts:\n  sinks:\n    - carrierPigeon: {}\n');
    assert.equal(issue.field, 'alerts.sinks[0].carrierPigeon');
    assert.match(issue.message, /unknown key "carrierPigeon"/);
    assert.match(only('alerts:\n  sinks:\n    - {}\n').message, /exactly one of webhook, slack, pagerduty, email/);
  });

  test('a syslog caFile is resolved against the policy folder', () => {
    const text = `${BASE}governance:\n  audit:\n    siem:\n      - syslog: { url: "tcp+tls://siem:6514", caFile: certs/ca.pem }\n`;
    const { policy } = parsePolicy(text, FILE, { now: NOW });
    assert.deepEqual(policy.audit.siem[0], {
      kind: 'syslog',
      url: 'tcp+tls://siem:6514',
      format: 'rfc5424',
      caFile: '/srv/repo/certs/ca.pem',
    });
  });

  test('OIDC settings, and a role map naming an unknown role', () => {
    const oidc =
      'access:\n  oidc:\n    issuer: https://id.acme.example\n    audience: cairn\n    jwksUrl: https://id.acme.example/jwks\n';
    const { policy } = parsePolicy(`${BASE}${oidc}    roleMap: { sre: [operator, restorer] }\n`, FILE, { now: NOW });
    assert.deepEqual(policy.access.oidc, {
      issuer: 'https://id.acme.example',
      audience: 'cairn',
      jwksUrl: 'https://id.acme.example/jwks',
      roleMap: { sre: ['operator', 'restorer'] },
    });
    assert.equal(only(`${oidc}    roleMap: { sre: [superuser] }\n`).field, 'access.oidc.roleMap.sre[0]');
  });
});
