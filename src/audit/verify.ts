import type { KeyObject } from 'node:crypto';
import type { AuditStore } from '../catalog/index.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { ChainWalker } from './verify-chain.js';
import { checkCheckpoint, type LoadedCheckpoint, loadCheckpoints } from './verify-checkpoints.js';
import { type AuditFinding, type AuditVerifyResult, earliest, finding } from './verify-types.js';

export interface VerifyAuditOptions {
  readonly store: AuditStore;
  /** The repository's checkpoints; without them only the chain in the catalog is checked. */
  readonly checkpoints?: CheckpointStore | undefined;
  /** The key checkpoints must be signed with; defaults to the one pinned in the repository. */
  readonly publicKey?: KeyObject | undefined;
}

/**
 * `cairn audit verify`: the chain in the catalog, then every checkpoint against it. A catalog
 * rewritten with every hash recomputed passes the chain and fails at the checkpoints, which name the
 * first changed event when the repository key opens their sealed copies.
 */
export async function verifyAudit(options: VerifyAuditOptions): Promise<AuditVerifyResult> {
  const { store, checkpoints } = options;
  const pinned = checkpoints ? (options.publicKey ?? (await checkpoints.publicKey())) : undefined;
  const fromRepo = checkpoints ? await loadCheckpoints(checkpoints, pinned) : { loaded: [] as LoadedCheckpoint[] };

  const walker = new ChainWalker(store, new Set(fromRepo.loaded.map((c) => c.checkpoint.seq)));
  await walker.walk();
  const tail = walker.finding ? undefined : await checkTail(store, walker);

  const lastSeq = await store.lastEventSeq();
  const opener = checkpoints?.openEvents?.bind(checkpoints);
  const checked: Array<AuditFinding | undefined> = [];
  for (const loaded of [...fromRepo.loaded].sort((a, b) => a.checkpoint.seq - b.checkpoint.seq)) {
    const found = await checkCheckpoint(store, opener, loaded, { hashes: walker.hashes, lastSeq });
    checked.push(found);
    if (found) break;
  }
  const firstBad = earliest([...checked, fromRepo.finding, walker.finding, tail]);
  return {
    ok: firstBad === undefined,
    events: walker.events,
    checkpoints: fromRepo.loaded.length,
    contentsChecked: opener !== undefined,
    ...(firstBad ? { firstBad } : {}),
  };
}

/** The head row against the last event; events appended during the walk are walked too. */
async function checkTail(store: AuditStore, walker: ChainWalker): Promise<AuditFinding | undefined> {
  let head = await store.head();
  for (let round = 0; head.seq > walker.seq && round < 3 && !walker.finding; round++) {
    await walker.walk();
    head = await store.head();
  }
  if (walker.finding) return undefined;
  if (head.seq > walker.seq) {
    return finding(walker.seq + 1, 'truncated', `the head is at ${head.seq}; the catalog ends at ${walker.seq}`);
  }
  if (head.seq < walker.seq) {
    return finding(head.seq + 1, 'inserted', `events after ${head.seq} were not recorded through the log`);
  }
  if (head.hash !== walker.hash) {
    return finding(head.seq, 'head-mismatch', `the head's hash is not event ${head.seq}'s`);
  }
  return undefined;
}
