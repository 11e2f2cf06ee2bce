import type { Policy } from '../../policy/index.js';
import { evidence, figure, table } from './figure-kit.js';
import { daysOf } from './month.js';
import type { Figure, ReportFacts } from './types.js';

interface Capture {
  readonly id: string;
  readonly kind: 'snapshot' | 'verification';
  readonly time: number;
}

export interface CoverageRow {
  readonly environment: string | null;
  readonly item: string;
  readonly tier: string | null;
  readonly rpoMs: number | null;
  readonly captures: Capture[]; // the newest before the month, then the month's, oldest first
  readonly exception: Policy['exceptions'][number] | undefined;
  readonly inPolicy: boolean;
}

const DAY = 86_400_000;
const NO_DATA = 'no data for this month: the repository has no snapshot before its end (0 items expected)';

/** The end of an exception's last day (it is valid through its expiry date, UTC). */
export function exceptionEnd(expires: string): number {
  return Date.parse(`${expires}T00:00:00Z`) + DAY;
}

/** One row per policy item, and per item named only in an exception, with the captures that cover it. */
export function coverageRows(f: ReportFacts, policy: Policy): CoverageRow[] {
  const start = f.range.start.getTime();
  const byItem = new Map<string, Capture[]>();
  const add = (item: string, c: Capture) => {
    const list = byItem.get(item);
    if (list) list.push(c);
    else byItem.set(item, [c]);
  };
  for (const s of f.snapshots)
    if (s.status === 'complete') add(s.item, { id: s.id, kind: 'snapshot', time: Date.parse(s.time) });
  for (const v of f.verifications) add(v.item, { id: v.id, kind: 'verification', time: Date.parse(v.time) });
  const capturesOf = (item: string): Capture[] => {
    const all = (byItem.get(item) ?? []).sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
    const before = all.filter((c) => c.time < start).at(-1);
    return [...(before ? [before] : []), ...all.filter((c) => c.time >= start)];
  };
  const exceptionOf = (item: string) =>
    [...policy.exceptions].filter((e) => e.item === item).sort((a, b) => (a.expires < b.expires ? 1 : -1))[0];
  const rows: CoverageRow[] = policy.items.map((i) => ({
    environment: i.environment ?? null,
    item: i.name,
    tier: i.tier,
    rpoMs: policy.tiers[i.tier]?.rpoMs ?? null,
    captures: capturesOf(i.name),
    exception: exceptionOf(i.name),
    inPolicy: true,
  }));
  const named = new Set(policy.items.map((i) => i.name));
  for (const name of [...new Set(policy.exceptions.map((e) => e.item))].sort()) {
    if (named.has(name)) continue;
    rows.push({
      environment: null,
      item: name,
      tier: null,
      rpoMs: null,
      captures: capturesOf(name),
      exception: exceptionOf(name),
      inPolicy: false,
    });
  }
  return rows.sort((a, b) => ((a.environment ?? '') + a.item < (b.environment ?? '') + b.item ? -1 : 1));
}

function lastAt(row: CoverageRow, t: number): Capture | undefined {
  let last: Capture | undefined;
  for (const c of row.captures) if (c.time <= t) last = c;
  return last;
}

export function statusAt(row: CoverageRow, t: number): string {
  if (!row.inPolicy) return row.exception && t < exceptionEnd(row.exception.expires) ? 'excepted' : 'exception-expired';
  const last = lastAt(row, t);
  if (!last) return 'never';
  if (row.rpoMs === null) return 'no-rpo';
  return t - last.time <= row.rpoMs ? 'ok' : 'out-of-rpo';
}

/** The share of [start, until) during which the newest capture was at most the RPO old. */
function coveredShare(row: CoverageRow, start: number, until: number): number | null {
  if (row.rpoMs === null || until <= start) return null;
  let covered = 0;
  let reach = start;
  for (const c of row.captures) {
    const from = Math.max(c.time, reach);
    const to = Math.min(c.time + row.rpoMs, until);
    if (to > from) covered += to - from;
    reach = Math.max(reach, to);
  }
  return Math.round((covered / (until - start)) * 1000) / 10;
}

function captureEvidence(rows: readonly CoverageRow[], pick: (r: CoverageRow) => Capture[]) {
  const cs = rows.flatMap(pick);
  return evidence({
    snapshots: cs.filter((c) => c.kind === 'snapshot').map((c) => c.id),
    verifications: cs.filter((c) => c.kind === 'verification').map((c) => c.id),
  });
}

export function coverageFigures(f: ReportFacts, policy: Policy): Figure[] {
  const start = f.range.start.getTime();
  const until = f.until.getTime();
  const end = until - 1;
  // A month that ends before the repository's first snapshot has no data: no item was expected to be
  // backed up yet, so none is counted out of its RPO (nor within it).
  const noData = f.snapshots.length === 0;
  const rows = noData ? [] : coverageRows(f, policy);
  const lastOf = (r: CoverageRow) => {
    const c = lastAt(r, end);
    return c ? [c] : [];
  };
  const month = f.snapshots.filter((s) => Date.parse(s.time) >= start);
  const partial = month.filter((s) => s.status !== 'complete');
  const inRpo = rows.filter((r) => statusAt(r, end) === 'ok');
  const outOfRpo = rows.filter((r) => ['out-of-rpo', 'never'].includes(statusAt(r, end)));
  const measured = rows.filter((r) => r.inPolicy && r.rpoMs !== null);
  const daily = daysOf(f.range.start, f.until).map((d) => {
    const ok = measured.filter((r) => statusAt(r, d.to - 1) === 'ok').length;
    return [d.day, ok, measured.length, measured.length ? Math.round((ok / measured.length) * 1000) / 10 : null];
  });
  const itemRows = rows.map((r) => {
    const last = lastAt(r, end);
    return [
      r.environment,
      r.item,
      r.tier,
      r.rpoMs,
      r.captures.filter((c) => c.time >= start).length,
      last ? new Date(last.time).toISOString() : null,
      last ? until - last.time : null,
      statusAt(r, end),
      coveredShare(r, start, until),
      r.exception ? r.exception.ticket : null,
    ];
  });
  const none = noData ? NO_DATA : undefined;
  return [
    figure(
      'coverage',
      'snapshots',
      'Snapshots taken this month',
      month.length,
      evidence({ snapshots: month.map((s) => s.id) }),
      month.length === 0 ? 'no snapshots in this month' : `${partial.length} of them partial`,
    ),
    figure(
      'coverage',
      'partial-snapshots',
      'Partial snapshots (some files unreadable)',
      partial.length,
      evidence({ snapshots: partial.map((s) => s.id) }),
    ),
    figure(
      'coverage',
      'items-in-rpo',
      'Items within their RPO at the end of the month',
      inRpo.length,
      captureEvidence(inRpo, lastOf),
      noData ? NO_DATA : `of ${measured.length} items with an RPO`,
    ),
    figure(
      'coverage',
      'items-out-of-rpo',
      'Items out of their RPO or never backed up at the end of the month',
      outOfRpo.length,
      captureEvidence(outOfRpo, lastOf),
      noData ? NO_DATA : undefined,
    ),
    figure(
      'coverage',
      'daily',
      'Items within RPO at the end of each day',
      table(['day', 'inRpo', 'items', 'percent'], daily),
      captureEvidence(measured, (r) => r.captures),
      none,
    ),
    figure(
      'coverage',
      'by-item',
      'Coverage per environment and item',
      table(
        [
          'environment',
          'item',
          'tier',
          'rpoMs',
          'captures',
          'lastCapture',
          'ageMs',
          'status',
          'coveredPercent',
          'exception',
        ],
        itemRows,
      ),
      captureEvidence(rows, (r) => r.captures),
      none,
    ),
  ];
}
