// A generated catalog history for the search benchmark: two years of snapshots and verifications of
// 200 services in dev, staging and prod, deterministic for a given seed. Kept out of bench/lib/*.ts so
// that it does not count towards the corpus generator's cache key in bench/run.sh.
import type { RunMetadata, SnapshotRecord, Trigger, VerificationRecord } from '../../../src/catalog/index.js';
import { serviceNames } from '../model.js';
import { Rng } from '../rng.js';

export const ITEMS = serviceNames(1).slice(0, 200);
export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
export const END = Date.parse('2026-11-29T00:00:00.000Z');
export const START = END - 730 * 86_400_000;

/** A release goes to dev, staging and prod, two deployments each, every one over half its items. */
const DEPLOYMENTS_PER_RELEASE = 6;
/** Share of events that are deployments; with 10–20 runs each they make about 60 % of all runs. */
const DEPLOYMENT_EVENTS = 0.09;
const MANUAL_EVENTS = 0.08;
/** A run of an unchanged stream is recorded as a verification: about one per three snapshots. */
const VERIFIED = 0.25;
const PEOPLE = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
const TIERS = ['gold', 'silver', 'bronze'];
const TIER_OF = new Map(ITEMS.map((item, i) => [item, TIERS[i % TIERS.length] ?? null]));
const COMPONENT_OF = new Map(ITEMS.map((item) => [item, item.replace(/-[a-z]+$/, '')]));
const NOTHING: readonly string[] = Object.freeze([]);

export interface History {
  readonly snapshots: SnapshotRecord[];
  readonly verifications: VerificationRecord[];
  readonly deployments: number; // dep-1 … dep-<deployments>
  readonly releases: number; // release(0) … release(releases - 1)
}

/** Release k as a version string: 1.0.0, 1.0.1, …, 2.14.3, … */
export function release(k: number): string {
  return `${1 + Math.floor(k / 500)}.${Math.floor(k / 10) % 50}.${k % 10}`;
}

export function generateHistory(rows: number, seed = 1): History {
  const rng = Rng.of(seed, 'catalog-history');
  const snapshots: SnapshotRecord[] = [];
  const verifications: VerificationRecord[] = [];
  const latest = new Map<string, SnapshotRecord>(); // by item/environment
  let deployments = 0;

  // Plain literals with flat strings: 1.3 M records built by spreading, with ids concatenated 8 hex digits
  // at a time, take 3 GB of heap instead of 1 and most of the generation time goes to the collector.
  const hex = (length: number) => flatHex(rng, length);
  // One run: a new snapshot of the stream, or a verification of its latest snapshot when unchanged.
  const run = (item: string, meta: Omit<RunMetadata, 'item' | 'tier' | 'component'>) => {
    const stream = `${item}/${meta.environment}`;
    const last = latest.get(stream);
    const tier = TIER_OF.get(item) ?? null;
    const component = COMPONENT_OF.get(item) ?? null;
    const { environment, trigger, release, commit, change, deployment, pipeline, actor, host, time } = meta;
    if (last && rng.chance(VERIFIED)) {
      verifications.push({
        id: hex(64),
        snapshotId: last.id,
        item,
        environment,
        tier,
        component,
        trigger,
        release,
        commit,
        change,
        deployment,
        pipeline,
        actor,
        host,
        time,
      });
      return;
    }
    const partial = rng.chance(0.01);
    const record: SnapshotRecord = {
      id: hex(64),
      item,
      environment,
      tier,
      component,
      trigger,
      release,
      commit,
      change,
      deployment,
      pipeline,
      actor,
      host,
      time,
      parent: last?.id ?? null,
      tree: hex(64),
      contentHash: hex(64),
      status: partial ? 'partial' : 'complete',
      files: rng.int(12, 40),
      bytes: rng.int(40_000, 2_000_000),
      addedBytes: rng.int(0, 30_000),
      retainUntil: null,
      unreadable: partial ? ['secrets/tls.key'] : NOTHING,
    };
    snapshots.push(record);
    latest.set(stream, record);
  };
  const iso = (ms: number) => new Date(Math.min(ms, END - 1)).toISOString();
  const plain = (trigger: Trigger, actor: string) => ({
    trigger,
    release: null,
    commit: null,
    change: trigger === 'manual' && rng.chance(0.3) ? `CHG${rng.int(100_000, 199_999)}` : null,
    deployment: null,
    pipeline: null,
    actor,
    host: `runner-${rng.int(1, 12)}`,
  });

  while (snapshots.length < rows) {
    // Time advances with the snapshots written, so any row count spans the same two years.
    const now = START + Math.floor((snapshots.length / rows) * (END - START)) + rng.int(0, 59_999);
    const event = rng.next();
    if (event < DEPLOYMENT_EVENTS) {
      deployments += 1;
      const k = Math.floor((deployments - 1) / DEPLOYMENTS_PER_RELEASE);
      const step = (deployments - 1) % DEPLOYMENTS_PER_RELEASE;
      const environment = ENVIRONMENTS[Math.floor(step / 2)] ?? 'prod';
      const touched = Rng.of(seed, 'release-items', k).sample(ITEMS, Rng.of(seed, 'release-size', k).int(10, 20));
      const half = Math.ceil(touched.length / 2);
      const items = step % 2 === 0 ? touched.slice(0, half) : touched.slice(half);
      const shared = {
        environment,
        release: release(k),
        change: environment === 'dev' ? null : `CHG${100_000 + deployments}`,
        deployment: `dep-${deployments}`,
        pipeline: `https://ci.example.com/deploy/${deployments}`,
        actor: 'deploy-bot',
        host: `runner-${rng.int(1, 12)}`,
      };
      const took = rng.int(5, 25) * 60_000;
      items.forEach((item, i) => {
        const commit = flatHex(Rng.of(seed, 'commit', k, item), 40);
        run(item, { ...shared, commit, trigger: 'pre-deploy', time: iso(now + i * 15_000) });
        run(item, { ...shared, commit, trigger: 'post-deploy', time: iso(now + took + i * 15_000) });
      });
    } else {
      const manual = event < DEPLOYMENT_EVENTS + MANUAL_EVENTS;
      const meta = manual ? plain('manual', rng.pick(PEOPLE)) : plain('scheduled', 'cairn-scheduler');
      run(rng.pick(ITEMS), { ...meta, environment: rng.pick(ENVIRONMENTS), time: iso(now) });
    }
  }
  snapshots.length = rows; // a last deployment may overshoot by a few
  const kept = new Set(snapshots.map((s) => s.id));
  const releases = Math.ceil(deployments / DEPLOYMENTS_PER_RELEASE);
  return { snapshots, verifications: verifications.filter((v) => kept.has(v.snapshotId)), deployments, releases };
}

const hexBytes = Buffer.alloc(32);

/** Rng#hex as one flat string: Buffer#toString allocates it whole, where concatenation builds a rope. */
function flatHex(rng: Rng, length: number): string {
  for (let i = 0; i < length / 2; i++) hexBytes[i] = rng.int(0, 255);
  return hexBytes.toString('hex', 0, length / 2);
}
