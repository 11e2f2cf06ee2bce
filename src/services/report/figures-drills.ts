import type { ReportEventRow } from '../../catalog/index.js';
import { evidence, figure, num, snapshotIdsOf, str, table } from './figure-kit.js';
import type { Figure, ReportFacts } from './types.js';

export interface DrillRun {
  readonly drill: string;
  readonly plan: string;
  readonly finishedAt: string;
  readonly status: string;
  readonly rtoMs: number | null;
  readonly rtoSlaMs: number | null;
  readonly rpoMs: number | null;
  readonly rpoSlaMs: number | null;
  readonly withinSla: boolean | null;
  readonly signedBy: string[];
  readonly events: number[];
  readonly snapshots: string[];
}

/** Snapshot ids a drill.finish event names: details.items[].snapshot (services/drill/drill-audit.ts), or details.snapshots. */
function drillSnapshots(e: ReportEventRow): string[] {
  const items = e.details.items;
  const restored = Array.isArray(items)
    ? items
        .map((i) => {
          const x = (i ?? {}) as { snapshot?: unknown; snapshotId?: unknown };
          return str(x.snapshot) ?? str(x.snapshotId);
        })
        .filter((x): x is string => x !== null && /^[0-9a-f]{64}$/.test(x))
    : [];
  return restored.length > 0 ? restored : snapshotIdsOf(e.details, null);
}

/** The drill id an event is about: details.drill (drill.finish, drill.signoff), else its target. */
function drillIdOf(e: ReportEventRow): string {
  return str(e.details.drill) ?? str(e.details.drillId) ?? e.target ?? `seq-${e.seq}`;
}

/** The month's drills, from drill.finish and drill.signoff events (services/drill records them). */
export function drillRuns(events: readonly ReportEventRow[]): DrillRun[] {
  const runs = new Map<string, DrillRun>();
  for (const e of events) {
    // Staging restores (C5.4) share the drill path but are no drill: their plan is "staging:<env>".
    if (e.action !== 'drill.finish' || e.details.kind === 'staging') continue;
    const d = e.details;
    const drill = drillIdOf(e);
    const rtoMs = num(d.rtoMs);
    const rpoMs = num(d.rpoMs);
    const rtoSlaMs = num(d.rtoSlaMs);
    const rpoSlaMs = num(d.rpoSlaMs);
    // The drill record's own verdict when it has one: null when nothing was measured against an SLA
    // (e.g. items never snapshotted), as `cairn drill show` says; else measured here the same way.
    const within =
      typeof d.withinSla === 'boolean' || d.withinSla === null
        ? d.withinSla
        : slaVerdict(rtoMs, rtoSlaMs, rpoMs, rpoSlaMs);
    runs.set(drill, {
      drill,
      plan: str(d.plan) ?? e.target ?? '?',
      finishedAt: e.time,
      status: str(d.status) ?? (e.result === 'ok' ? 'passed' : 'failed'),
      rtoMs,
      rtoSlaMs,
      rpoMs,
      rpoSlaMs,
      withinSla: within,
      signedBy: [],
      events: [e.seq],
      snapshots: drillSnapshots(e),
    });
  }
  for (const e of events) {
    if (e.action !== 'drill.signoff' || e.result !== 'ok') continue;
    const run = runs.get(drillIdOf(e));
    if (!run) continue;
    run.signedBy.push(`${str(e.details.team) ?? '?'}: ${e.identity}`);
    run.events.push(e.seq);
    const status = str(e.details.status);
    if (status) (run as { status: string }).status = status;
  }
  return [...runs.values()].sort((a, b) => (a.finishedAt < b.finishedAt ? -1 : a.finishedAt > b.finishedAt ? 1 : 0));
}

/** Within the SLA on every measured metric; null when no metric was measured against an SLA. */
function slaVerdict(rtoMs: number | null, rtoSlaMs: number | null, rpoMs: number | null, rpoSlaMs: number | null) {
  const compared = [
    [rtoMs, rtoSlaMs],
    [rpoMs, rpoSlaMs],
  ].filter((p): p is [number, number] => p[0] !== null && p[1] !== null);
  return compared.length === 0 ? null : compared.every(([v, sla]) => v <= sla);
}

export function drillFigures(f: ReportFacts): Figure[] {
  const runs = drillRuns(f.events);
  const ev = (rs: readonly DrillRun[]) =>
    evidence({ events: rs.flatMap((r) => r.events), snapshots: rs.flatMap((r) => r.snapshots) });
  const within = runs.filter((r) => r.withinSla === true);
  const measured = runs.filter((r) => r.withinSla !== null);
  const failed = runs.filter((r) => r.status === 'failed');
  const passed = runs.filter((r) => r.status === 'passed');
  const awaiting = runs.filter((r) => r.status === 'awaiting-signoff');
  const none = runs.length === 0 ? 'no drill finished this month' : undefined;
  return [
    figure(
      'drills',
      'runs',
      'Drills finished this month, RTO and RPO against the SLA',
      table(
        ['drill', 'plan', 'finishedAt', 'status', 'rtoMs', 'rtoSlaMs', 'rpoMs', 'rpoSlaMs', 'withinSla', 'signedBy'],
        runs.map((r) => [
          r.drill,
          r.plan,
          r.finishedAt,
          r.status,
          r.rtoMs,
          r.rtoSlaMs,
          r.rpoMs,
          r.rpoSlaMs,
          r.withinSla,
          r.signedBy.join('; ') || null,
        ]),
      ),
      ev(runs),
      none,
    ),
    figure(
      'drills',
      'within-sla',
      'Drills within their RTO and RPO SLA',
      within.length,
      ev(within),
      `${within.length} of ${measured.length} measured against an SLA (${runs.length} drills; ${runs.length - measured.length} not measured)`,
    ),
    figure(
      'drills',
      'passed',
      'Drills passed (validated and signed off by every team the plan names)',
      passed.length,
      ev(passed),
      `of ${runs.length} drills; ${awaiting.length} awaiting sign-off by the end of the month (not passed)`,
    ),
    figure('drills', 'failed', 'Drills that failed', failed.length, ev(failed)),
  ];
}
