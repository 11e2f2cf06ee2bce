/** Normalises the audit, business-hours, access and alert-sink sections (schema-governance.ts) with defaults. */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseDuration } from './durations.js';
import type { RawPolicy } from './schema-zod.js';
import type { AccessPolicy, AlertSink, AuditSettings, BusinessHours, Role, SiemSink } from './types.js';
import { PAGERDUTY_EVENTS_URL } from './types.js';

const MINUTE = 60_000;
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export function buildAudit(raw: RawPolicy, dir: string): AuditSettings {
  const audit = raw.governance?.audit;
  const siem: SiemSink[] = (audit?.siem ?? []).map((sink) =>
    'syslog' in sink
      ? {
          kind: 'syslog',
          url: sink.syslog.url,
          format: sink.syslog.format ?? 'rfc5424',
          ...(sink.syslog.caFile ? { caFile: resolve(dir, sink.syslog.caFile) } : {}),
        }
      : { kind: 'http', url: sink.http.url, ...(sink.http.tokenEnv ? { tokenEnv: sink.http.tokenEnv } : {}) },
  );
  const anomalies = audit?.anomalies;
  return {
    ...(audit?.retention ? { retentionMs: ms(audit.retention) } : {}),
    checkpointEvery: { events: audit?.checkpointEvery?.events ?? 1000, minutes: audit?.checkpointEvery?.minutes ?? 60 },
    siem,
    anomalies: {
      bulkDelete: window(anomalies?.bulkDelete, 5, 10 * MINUTE),
      authFailures: window(anomalies?.authFailures, 10, 5 * MINUTE),
    },
  };
}

export function buildBusinessHours(raw: RawPolicy): BusinessHours | undefined {
  const bh = raw.governance?.businessHours;
  if (!bh) return undefined;
  const [from, to] = bh.hours.split('-') as [string, string];
  return {
    timezone: bh.timezone,
    days: expandDays(bh.days ?? 'mon-fri'),
    startMinute: minutes(from),
    endMinute: minutes(to),
  };
}

export function buildAccess(raw: RawPolicy): AccessPolicy {
  const access = raw.access;
  return {
    separationOfDuties: (access?.separationOfDuties ?? []).map((pair) => [pair[0] as Role, pair[1] as Role] as const),
    jit: {
      maxDurationMs: access?.jit?.maxDuration ? ms(access.jit.maxDuration) : 2 * 60 * MINUTE,
      approvers: access?.jit?.approvers ?? 1,
    },
    approvals: {
      expireAfterMs: access?.approvals?.expireAfter ? ms(access.approvals.expireAfter) : 24 * 60 * MINUTE,
      defaultApprovers: access?.approvals?.approvers ?? 2,
    },
    ...(access?.oidc ? { oidc: access.oidc } : {}),
    teams: Object.fromEntries(
      Object.entries(access?.teams ?? {}).map(([team, members]) => [team, [...new Set(members)]]),
    ),
  };
}

export function buildAlertSinks(raw: RawPolicy): AlertSink[] {
  return (raw.alerts?.sinks ?? []).map((sink): AlertSink => {
    const only = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
    const forList = (f: readonly string[] | undefined) => (f ? { for: [...new Set(f)] as AlertSink['for'] } : {});
    if (sink.webhook) {
      const { for: f, ...rest } = sink.webhook;
      return { kind: 'webhook', ...only(rest), ...forList(f) };
    }
    if (sink.slack) {
      const { for: f, ...rest } = sink.slack;
      return { kind: 'slack', ...only(rest), ...forList(f) };
    }
    if (sink.pagerduty) {
      const p = sink.pagerduty;
      return {
        kind: 'pagerduty',
        routingKeyEnv: p.routingKeyEnv,
        url: p.url ?? PAGERDUTY_EVENTS_URL,
        ...forList(p.for),
      };
    }
    const e = sink.email!;
    return {
      kind: 'email',
      smtp: e.smtp,
      to: [...new Set(e.to)],
      from: e.from ?? `cairn@${hostname()}`,
      ...(e.userEnv ? { userEnv: e.userEnv, passwordEnv: e.passwordEnv } : {}),
      ...forList(e.for),
    } as AlertSink;
  });
}

function window(w: { count: number; within: string } | undefined, count: number, withinMs: number) {
  return w ? { count: w.count, withinMs: ms(w.within) } : { count, withinMs };
}

function expandDays(spec: string): number[] {
  const days = new Set<number>();
  for (const part of spec.split(',')) {
    const [a, b] = part.split('-') as [string, string | undefined];
    const start = WEEKDAYS.indexOf(a);
    const end = WEEKDAYS.indexOf(b ?? a);
    for (let d = start; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === end) break;
    }
  }
  return [...days].sort((x, y) => x - y);
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

function ms(text: string): number {
  const value = parseDuration(text);
  if (value === undefined) throw new Error(`internal: unvalidated duration ${text}`);
  return value;
}

/** The access rules of a policy that says nothing about access (and of a repository used without a policy). */
export const DEFAULT_ACCESS_POLICY: AccessPolicy = Object.freeze(buildAccess({ version: 1 } as RawPolicy));
/** The audit settings of a policy that says nothing about the audit log. */
export const DEFAULT_AUDIT_SETTINGS: AuditSettings = Object.freeze(buildAudit({ version: 1 } as RawPolicy, '/'));
