import type { ReportEventRow } from '../../catalog/index.js';
import type { Policy } from '../../policy/index.js';
import { evidence, figure, str, table } from './figure-kit.js';
import { coverageRows, exceptionEnd } from './figures-coverage.js';
import type { Figure, ReportFacts } from './types.js';

/** Destructive actions that need approvals (server/backend-access.ts ApprovalAction). */
const DESTRUCTIVE = new Set(['snapshot.forget', 'snapshot.delete', 'retention.shorten', 'hold.remove', 'key.remove']);
const ANSWERS = new Set(['approvals.grant', 'approvals.deny', 'approvals.cancel']);

interface ApprovalTrail {
  id: string;
  action: string | null;
  target: string | null;
  requestedBy: string | null;
  requestedAt: string | null;
  granted: string[];
  denied: string[];
  outcome: string;
  events: number[];
}

export function approvalFigures(f: ReportFacts): Figure[] {
  const trails = new Map<string, ApprovalTrail>();
  for (const e of f.events) {
    if (!e.approvalId) continue;
    const t = trails.get(e.approvalId) ?? {
      id: e.approvalId,
      action: null,
      target: null,
      requestedBy: null,
      requestedAt: null,
      granted: [],
      denied: [],
      outcome: 'pending',
      events: [],
    };
    trails.set(e.approvalId, t);
    step(t, e);
  }
  const destructive = [...trails.values()]
    .filter((t) => (t.action !== null && DESTRUCTIVE.has(t.action)) || t.granted.length + t.denied.length > 0)
    .sort((a, b) => ((a.requestedAt ?? '') + a.id < (b.requestedAt ?? '') + b.id ? -1 : 1));
  const executed = destructive.filter((t) => t.outcome === 'executed');
  const ev = (ts: readonly ApprovalTrail[]) => evidence({ events: ts.flatMap((t) => t.events) });
  return [
    figure(
      'approvals',
      'requests',
      'Approval requests of destructive actions',
      table(
        ['approval', 'action', 'target', 'requestedBy', 'requestedAt', 'grantedBy', 'deniedBy', 'outcome'],
        destructive.map((t) => [
          t.id,
          t.action,
          t.target,
          t.requestedBy,
          t.requestedAt,
          t.granted.join(', ') || null,
          t.denied.join(', ') || null,
          t.outcome,
        ]),
      ),
      ev(destructive),
      destructive.length === 0 ? 'no destructive action was requested or approved this month' : undefined,
    ),
    figure('approvals', 'executed', 'Destructive actions carried out after approval', executed.length, ev(executed)),
  ];
}

function step(t: ApprovalTrail, e: ReportEventRow): void {
  t.events.push(e.seq);
  if (e.result === 'requested') {
    t.action = str(e.details.approvalAction) ?? t.action ?? e.action;
    t.target ??= e.target;
    t.requestedBy = e.identity;
    t.requestedAt = e.time;
  } else if (ANSWERS.has(e.action)) {
    if (e.result !== 'ok') return;
    if (e.action === 'approvals.grant') t.granted.push(e.identity);
    if (e.action === 'approvals.deny') {
      t.denied.push(e.identity);
      t.outcome = 'denied';
    }
    if (e.action === 'approvals.cancel') t.outcome = 'cancelled';
  } else if (DESTRUCTIVE.has(e.action)) {
    t.action = e.action;
    t.target ??= e.target;
    if (e.result === 'ok') t.outcome = 'executed';
    else if (e.result === 'failed') t.outcome = 'failed';
  }
}

export function exceptionFigures(f: ReportFacts, policy: Policy): Figure[] {
  const start = f.range.start.getTime();
  const until = f.until.getTime();
  const rows = coverageRows(f, policy);
  const capturesOf = (item: string) => rows.find((r) => r.item === item)?.captures ?? [];
  const list = [...policy.exceptions]
    .sort((a, b) => (a.item + a.expires < b.item + b.expires ? -1 : 1))
    .map((ex) => {
      const endsAt = exceptionEnd(ex.expires);
      const state = endsAt >= until ? 'active' : endsAt > start ? 'expired this month' : 'expired before';
      return { ex, state };
    });
  const active = list.filter((x) => x.state === 'active');
  const expired = list.filter((x) => x.state !== 'active');
  const ev = (xs: typeof list) => {
    const cs = xs.flatMap((x) => capturesOf(x.ex.item));
    return evidence({
      snapshots: cs.filter((c) => c.kind === 'snapshot').map((c) => c.id),
      verifications: cs.filter((c) => c.kind === 'verification').map((c) => c.id),
    });
  };
  return [
    figure(
      'exceptions',
      'list',
      'Risk acceptances (policy exceptions)',
      table(
        ['item', 'ticket', 'reason', 'acceptedBy', 'expires', 'state'],
        list.map(({ ex, state }) => [ex.item, ex.ticket, ex.reason, ex.acceptedBy.join(', '), ex.expires, state]),
      ),
      ev(list),
      list.length === 0 ? 'the policy names no exceptions' : undefined,
    ),
    figure('exceptions', 'active', 'Exceptions active at the end of the month', active.length, ev(active)),
    figure('exceptions', 'expired', 'Exceptions expired (this month or before)', expired.length, ev(expired)),
  ];
}

export function auditFigures(f: ReportFacts): Figure[] {
  const c = f.chain;
  const total = f.eventCounts.reduce((n, r) => n + r.count, 0);
  const range = c.from !== null && c.to !== null ? { from: c.from, to: c.to } : undefined;
  const byResult = new Map<string, number>();
  for (const r of f.eventCounts) byResult.set(r.result, (byResult.get(r.result) ?? 0) + r.count);
  return [
    figure(
      'audit',
      'chain',
      'Audit chain over the month, against the signed checkpoints',
      {
        ok: c.ok,
        events: c.events,
        from: c.from,
        to: c.to,
        checkpoints: c.checkpoints.length,
        ...(c.problem ? { problem: `event ${c.problem.seq}: ${c.problem.message}` } : {}),
      },
      evidence({ checkpoints: c.checkpoints, eventRange: range }),
      c.ok
        ? 'every event of the month is sealed in a checkpoint signed by the pinned audit key, linked by hash, and the catalog holds them unchanged'
        : 'the audit trail does not verify: run `cairn audit verify`',
    ),
    figure(
      'audit',
      'events',
      'Audit events recorded this month',
      table(
        ['result', 'events'],
        [...byResult].sort(([a], [b]) => (a < b ? -1 : 1)),
      ),
      evidence({ eventRange: range }),
      `${total} events`,
    ),
  ];
}
