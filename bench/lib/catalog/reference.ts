// What findSnapshots must return, computed the slow way over the records in memory, from the SnapshotFilter
// doc (src/catalog/types.ts): the benchmark checks that the fast searches are also the right ones.
import type { RunMetadata, SnapshotFilter, SnapshotRecord, VerificationRecord } from '../../../src/catalog/index.js';

export interface Expected {
  readonly id: string;
  readonly verifications: readonly string[];
}

export class Reference {
  readonly #snapshots: readonly SnapshotRecord[];
  readonly #verificationsOf = new Map<string, VerificationRecord[]>();

  constructor(snapshots: readonly SnapshotRecord[], verifications: readonly VerificationRecord[]) {
    this.#snapshots = snapshots;
    for (const v of verifications) {
      const list = this.#verificationsOf.get(v.snapshotId) ?? [];
      list.push(v);
      this.#verificationsOf.set(v.snapshotId, list);
    }
  }

  find(filter: SnapshotFilter): Expected[] {
    const since = filter.since?.toISOString();
    const until = filter.until?.toISOString();
    const hasRun = [filter.environment, filter.release, filter.commit, filter.change, filter.deployment]
      .concat([filter.trigger, filter.actor, since, until])
      .some((value) => value !== undefined);
    const runMatches = (r: RunMetadata) =>
      (filter.environment === undefined || r.environment === filter.environment) &&
      (filter.release === undefined || r.release === filter.release) &&
      (filter.commit === undefined || (r.commit ?? '').startsWith(filter.commit)) &&
      (filter.change === undefined || r.change === filter.change) &&
      (filter.deployment === undefined || r.deployment === filter.deployment) &&
      (filter.trigger === undefined || r.trigger === filter.trigger) &&
      (filter.actor === undefined || r.actor === filter.actor) &&
      (since === undefined || r.time >= since) &&
      (until === undefined || r.time < until);
    const hits: { snapshot: SnapshotRecord; verifications: VerificationRecord[] }[] = [];
    for (const s of this.#snapshots) {
      if (filter.ids && !filter.ids.includes(s.id)) continue;
      if (filter.item && !filter.item.includes(s.item)) continue;
      if (filter.tier !== undefined && s.tier !== filter.tier) continue;
      if (filter.status !== undefined && s.status !== filter.status) continue;
      const verifications = (this.#verificationsOf.get(s.id) ?? []).filter((v) => !hasRun || runMatches(v));
      if (hasRun && !runMatches(s) && verifications.length === 0) continue;
      hits.push({ snapshot: s, verifications: verifications.sort(newestFirst) });
    }
    hits.sort((a, b) => newestFirst(a.snapshot, b.snapshot));
    return hits
      .slice(0, filter.limit ?? hits.length)
      .map((hit) => ({ id: hit.snapshot.id, verifications: hit.verifications.map((v) => v.id) }));
  }
}

function newestFirst(a: { time: string; id: string }, b: { time: string; id: string }): number {
  if (a.time !== b.time) return a.time < b.time ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
