import type { AuditEvent } from '../../audit/index.js';
import type { ReportEventRow, ReportSnapshotRow, ReportVerificationRow } from '../../catalog/index.js';
import { CANARY_ITEM } from '../../policy/index.js';
import { mapLimit, type Repository } from '../../repo/index.js';
import { RepositoryCheckpointStore } from '../audit-checkpoints.js';
import { readHolds } from '../hold.js';
import type { Session } from '../session.js';
import { checkCatalogChain } from './audit-catalog-check.js';
import { checkChain, readSealedWindow } from './audit-range.js';
import type { MonthRange, ReportFacts } from './types.js';

const byTimeThenId = (a: { time: string; id: string }, b: { time: string; id: string }) =>
  a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/** The facts as the catalog holds them: filtered and counted by the database (build). */
export async function factsFromCatalog(
  session: Pick<Session, 'repo' | 'catalog'>,
  range: MonthRange,
  until: Date,
): Promise<ReportFacts> {
  const { catalog } = session;
  const since = range.start.toISOString();
  const to = until.toISOString();
  const [snapshots, verifications, latest, events, eventCounts] = await Promise.all([
    catalog.reports.snapshots(to),
    catalog.reports.verifications(since, to),
    catalog.reports.latestVerifications(to),
    catalog.reports.events(since, to),
    catalog.reports.eventCounts(since, to),
  ]);
  return {
    range,
    until,
    snapshots: withoutCanary(snapshots),
    verifications: withoutCanary(verifications),
    latestVerification: new Map(latest.map((l) => [l.snapshotId, l.time])),
    events,
    eventCounts: eventCounts.map(({ action, result, count }) => ({ action, result, count })),
    holds: await holdsOf(session.repo),
    chain: await checkCatalogChain(
      catalog.reports,
      new RepositoryCheckpointStore(session.repo),
      boundsOf(eventCounts),
      events,
    ),
  };
}

/**
 * The canary's synthetic snapshots (and their verifications) are no backup of anything: they stay out
 * of every figure, and the canary forgetting its old ones must not change a report already made.
 */
function withoutCanary<T extends { readonly item: string }>(rows: readonly T[]): T[] {
  return rows.filter((r) => r.item !== CANARY_ITEM);
}

function boundsOf(counts: ReadonlyArray<{ count: number; first: number; last: number }>) {
  if (counts.length === 0) return undefined;
  return {
    first: Math.min(...counts.map((c) => c.first)),
    last: Math.max(...counts.map((c) => c.last)),
    count: counts.reduce((n, c) => n + c.count, 0),
  };
}

/**
 * The facts from the repository and the signed checkpoints alone (verify): every snapshot and
 * verification object opened, the events read from the checkpoints' sealed copies.
 */
export async function factsFromRepository(
  session: Pick<Session, 'repo' | 'catalog'>,
  range: MonthRange,
  until: Date,
): Promise<ReportFacts> {
  const { repo } = session;
  const since = range.start.toISOString();
  const to = until.toISOString();
  const all = await mapLimit(await repo.listIds('snapshots'), 16, (id) => readable(() => repo.loadSnapshot(id), id));
  const existing = new Set(all.filter((x) => x !== undefined).map((x) => x.id));
  const snapshots: ReportSnapshotRow[] = all
    .filter((x) => x !== undefined && x.value.meta.time < to)
    .map((x) => {
      const { id, value: s } = x!;
      const m = s.meta;
      return {
        id,
        item: m.item,
        environment: m.environment,
        tier: m.tier,
        time: m.time,
        status: s.status,
        retainUntil: s.retainUntil,
      };
    })
    .sort(byTimeThenId);
  const vs = (
    await mapLimit(await repo.listIds('verifications'), 16, (id) => readable(() => repo.loadVerification(id), id))
  )
    .filter((x) => x !== undefined && existing.has(x.value.snapshot) && x.value.meta.time < to)
    .map((x) => ({
      id: x!.id,
      snapshotId: x!.value.snapshot,
      item: x!.value.meta.item,
      environment: x!.value.meta.environment,
      time: x!.value.meta.time,
    }));
  const latestVerification = new Map<string, string>();
  const newestBefore = new Map<string, ReportVerificationRow>();
  for (const v of vs) {
    if ((latestVerification.get(v.snapshotId) ?? '') < v.time) latestVerification.set(v.snapshotId, v.time);
    if (v.time >= since) continue;
    const key = `${v.item}\u0000${v.environment ?? ''}`;
    const seen = newestBefore.get(key);
    if (!seen || byTimeThenId(seen, v) < 0) newestBefore.set(key, v);
  }
  const verifications = [...newestBefore.values(), ...vs.filter((v) => v.time >= since)].sort(byTimeThenId);
  const { check, events } = await chainOf(session, range, until);
  const counts = new Map<string, { action: string; result: string; count: number }>();
  for (const e of events) {
    const key = `${e.action}\u0000${e.result}`;
    const c = counts.get(key) ?? { action: e.action, result: e.result, count: 0 };
    c.count += 1;
    counts.set(key, c);
  }
  return {
    range,
    until,
    snapshots: withoutCanary(snapshots),
    verifications: withoutCanary(verifications),
    latestVerification,
    events: events.flatMap((e) => (e.full ? [eventRow(e.full)] : [])),
    eventCounts: [...counts.values()].sort((a, b) =>
      a.action < b.action ? -1 : a.action > b.action ? 1 : a.result < b.result ? -1 : 1,
    ),
    holds: await holdsOf(repo),
    chain: check,
  };
}

async function chainOf(session: Pick<Session, 'repo'>, range: MonthRange, until: Date) {
  const store = new RepositoryCheckpointStore(session.repo);
  const window = await readSealedWindow(store, range.start, until, await store.publicKey());
  return checkChain(window, range.start, until);
}

async function holdsOf(repo: Repository) {
  const holds = await readHolds(repo);
  return [...holds.values()]
    .map((h) => ({ snapshot: h.snapshot, time: h.time }))
    .sort((a, b) => (a.snapshot < b.snapshot ? -1 : 1));
}

function eventRow(e: AuditEvent): ReportEventRow {
  return {
    seq: e.seq,
    time: e.time,
    identity: e.identity,
    action: e.action,
    target: e.target,
    result: e.result,
    approvalId: e.approvalId,
    details: e.details,
  };
}

/** One damaged object must not stop the report; `cairn check` names it (as catalog sync leaves it out). */
async function readable<T>(load: () => Promise<T>, id: string): Promise<{ id: string; value: T } | undefined> {
  try {
    return { id, value: await load() };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'CAIRN_E_INTEGRITY' || code === 'CAIRN_E_REPO_FORMAT') return undefined;
    throw err;
  }
}
