/**
 * A differential test of findSnapshots: random filters over a random history (ties in time,
 * verifications timed before their snapshot or long after it, items that differ from the snapshot's)
 * answered by each database and by an in-memory reading of the SnapshotFilter rules
 * (bench/lib/catalog/reference.ts, the same reference the 1,000,000-row benchmark checks against).
 * It reaches the search paths the example-based tests do not: UNION with limits, time windows.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Reference } from '../../bench/lib/catalog/reference.js';
import { Rng } from '../../bench/lib/rng.js';
import { openCatalog } from './index.js';
import { catalogTargets, hexId } from './test-support.js';
import type { SnapshotFilter, SnapshotRecord, VerificationRecord } from './types.js';

const SEED = Number(process.env.CAIRN_TEST_SEED ?? 7);
const rng = Rng.of(SEED, 'fuzz');
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const SPAN = 60 * 86_400_000;
const pick = <T>(xs: readonly T[]) => rng.pick(xs);
const items = ['a', 'b', 'c', 'd', 'e'];
const envs = ['dev', 'staging', 'prod', null];
const releases = Array.from({ length: 20 }, (_, i) => `1.${i}.0`);
const commits = Array.from({ length: 30 }, (_, i) => `ab${(i % 4).toString(16)}${hexId('c' + i).slice(0, 37)}`);
const triggers = ['pre-deploy', 'post-deploy', 'scheduled', 'manual'] as const;
const actors = ['x', 'y', 'z', 'w'];
const N = 1500;
// A few times repeat exactly, so that ties at a cutoff are exercised.
const timeAt = (ms: number) => new Date(rng.chance(0.1) ? Math.floor(ms / 3_600_000) * 3_600_000 : ms).toISOString();
const run = () => ({
  environment: pick(envs),
  tier: null,
  component: null,
  trigger: pick(triggers),
  release: rng.chance(0.8) ? pick(releases) : null,
  commit: rng.chance(0.8) ? pick(commits) : null,
  change: rng.chance(0.5) ? `CHG${rng.int(1, 40)}` : null,
  deployment: rng.chance(0.6) ? `dep-${rng.int(1, 60)}` : null,
  pipeline: null,
  actor: pick(actors),
  host: 'h',
});
const snapshots: SnapshotRecord[] = Array.from({ length: N }, (_, i) => ({
  ...run(),
  item: pick(items),
  tier: pick(['gold', 'silver']),
  id: hexId(`s${i}`),
  time: timeAt(T0 + rng.int(0, SPAN)),
  parent: null,
  tree: hexId(`t${i}`),
  contentHash: hexId(`h${i}`),
  status: rng.chance(0.1) ? 'partial' : 'complete',
  files: 1,
  bytes: 1,
  addedBytes: 1,
  retainUntil: null,
  unreadable: [],
}));
const verifications: VerificationRecord[] = Array.from({ length: N / 2 }, (_, i) => {
  const s = pick(snapshots);
  // Usually after the snapshot; sometimes before it (clock skew), sometimes years later.
  const offset = rng.chance(0.1) ? -rng.int(0, 10 * 86_400_000) : rng.int(0, rng.chance(0.1) ? SPAN : 86_400_000);
  return {
    ...run(),
    item: rng.chance(0.95) ? s.item : pick(items),
    id: hexId(`v${i}`),
    snapshotId: s.id,
    time: timeAt(Date.parse(s.time) + offset),
  };
});
const reference = new Reference(snapshots, verifications);

function randomFilter(): SnapshotFilter {
  const f: Record<string, unknown> = {};
  if (rng.chance(0.3)) {
    const start = T0 + rng.int(-5, 62) * 86_400_000;
    f.since = new Date(start);
    if (rng.chance(0.7)) f.until = new Date(start + pick([1, 3, 30]) * 86_400_000);
    if (rng.chance(0.2)) f.tier = 'gold';
    if (rng.chance(0.2)) f.environment = 'prod';
    f.limit = pick([1, 5, 50]);
    return f as SnapshotFilter;
  }
  const s = pick(snapshots);
  if (rng.chance(0.25)) f.item = rng.sample(items, rng.int(1, 2));
  if (rng.chance(0.05)) f.ids = rng.sample(snapshots, 5).map((x) => x.id);
  if (rng.chance(0.2)) f.tier = pick(['gold', 'silver']);
  if (rng.chance(0.1)) f.status = 'partial';
  if (rng.chance(0.3)) f.environment = pick(['dev', 'staging', 'prod']);
  if (rng.chance(0.2)) f.release = pick(releases);
  if (rng.chance(0.15)) f.commit = pick(commits).slice(0, rng.int(4, 8));
  if (rng.chance(0.15)) f.change = `CHG${rng.int(1, 40)}`;
  if (rng.chance(0.2)) f.deployment = s.deployment ?? 'dep-1';
  if (rng.chance(0.1)) f.trigger = pick(triggers);
  if (rng.chance(0.1)) f.actor = pick(actors);
  if (rng.chance(0.5)) {
    const start = T0 + rng.int(-5, 62) * 86_400_000;
    const days = pick([1, 3, 30, 90]);
    if (rng.chance(0.8)) f.since = new Date(start);
    if (rng.chance(0.8)) f.until = new Date(start + days * 86_400_000);
  }
  if (rng.chance(0.7)) f.limit = pick([1, 2, 5, 50, 200]);
  return f as SnapshotFilter;
}

describe(`findSnapshots against the reference (seed ${SEED}; CAIRN_TEST_SEED replays)`, () => {
  for (const target of catalogTargets) {
    it(`agrees on 300 random filters on ${target.dialect}`, async () => {
      const { options, remove } = await target.fresh();
      const catalog = await openCatalog(options);
      try {
        await catalog.replaceAll(snapshots, verifications);
        let nonEmpty = 0;
        for (let i = 0; i < 300; i++) {
          const filter = randomFilter();
          const got = (await catalog.findSnapshots(filter)).map((h) => ({
            id: h.id,
            verifications: h.verifications.map((v) => v.id),
          }));
          const want = reference.find(filter);
          assert.deepEqual(got, want, `${target.dialect}: ${JSON.stringify(filter)}`);
          if (want.length > 0) nonEmpty++;
        }
        assert.ok(nonEmpty > 100, `only ${nonEmpty} of 300 filters found anything: the test checks little`);
      } finally {
        await catalog.close();
        await remove();
      }
    });
  }
});
