import { arr, bool, type JsonSchema, nullable, num, obj } from './common.js';

/**
 * Response schemas of sizing, replication and legal holds: what `cairn stats|replicate|hold --json`
 * print, field for field (a field left out here would be dropped from the answer). Figures are
 * `number`: churn and projections are fractional.
 */

const s = { type: 'string' } as const;
const ns = nullable(s);
const nn = nullable(num);
const strings = arr(s, 1_000_000);

const pair = (a: string, b: string) => obj({ [a]: num, [b]: num });
const churn = { addedBytes: num, snapshots: num, bytesPerDay: num, snapshotsPerDay: num };

const group: Record<string, JsonSchema> = {
  snapshots: num,
  logical: pair('latest', 'retained'),
  stored: pair('unique', 'shared'),
  churn: obj(churn),
  projection: pair('growthBytes', 'storedBytes'),
};

const itemStats = obj({
  item: s,
  tier: ns,
  inPolicy: bool,
  snapshots: num,
  oldest: ns,
  newest: ns,
  logical: pair('latest', 'retained'),
  stored: pair('unique', 'shared'),
  churn: obj({ ...churn, days: num }),
  projection: obj({
    lockDays: num,
    keepDays: nn,
    horizonDays: nn,
    historyDays: num,
    growthBytes: num,
    storedBytes: num,
  }),
});

export const statsReportSchema = obj({
  time: s,
  window: obj({ period: s, days: num, since: s }),
  projection: obj({ period: s, days: num, model: s }),
  items: arr(itemStats, 100_000),
  tiers: arr(obj({ tier: ns, items: strings, ...group }), 10_000),
  total: obj({ items: num, ...group }),
  repository: obj({
    packs: num,
    packBytes: num,
    uniqueToItems: num,
    sharedBetweenItems: num,
    unreferenced: num,
    unindexed: num,
    missingPacks: num,
    missingBlobs: num,
  }),
  days: arr(obj({ day: s, snapshots: num, addedBytes: num }), 100_000),
});

export const replicationStatusSchema = obj({
  from: s,
  to: s,
  items: arr(
    obj({
      item: s,
      tier: ns,
      replicate: bool,
      snapshots: num,
      replicated: num,
      behind: num,
      newest: ns,
      newestReplicated: ns,
      oldestMissing: ns,
      lagMs: num,
    }),
    100_000,
  ),
  behind: num,
  late: strings,
});

const problems = arr(obj({ key: s, code: s, message: s }), 10_000_000);

export const replicateResultSchema = obj({
  ok: bool,
  from: s,
  to: s,
  repository: s,
  objects: num,
  alreadyThere: num,
  copied: num,
  copiedBytes: num,
  copiedByKind: obj({
    keys: num,
    config: num,
    packs: num,
    index: num,
    snapshots: num,
    verifications: num,
    other: num,
  }),
  locksRaised: num,
  verified: obj({ objects: num, bytes: num, readMs: num, writeMs: num, verifyMs: num }),
  heldBack: problems,
  failed: problems,
  durationMs: num,
});

export const holdRecordSchema = obj({ version: num, snapshot: s, item: s, reason: ns, time: s, actor: s });

export const holdsSchema = obj({ holds: arr(holdRecordSchema, 1_000_000) });

export const holdResultSchema = obj({ hold: holdRecordSchema, objects: num, alreadyHeld: bool });

export const snapshotReplicationSchema = obj({
  to: s,
  ok: bool,
  items: strings,
  result: replicateResultSchema,
  error: obj({ code: s, message: s }),
});
