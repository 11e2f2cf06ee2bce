import {
  type CheckpointStore,
  GENESIS_HASH,
  hashMatches,
  parseCheckpoint,
  type SignedCheckpoint,
  seqOfCheckpointName,
  signatureValid,
} from '../../audit/index.js';
import type { AuditEventRecord, ReportQueries } from '../../catalog/index.js';
import { checkpointRanges, covering } from './audit-range.js';
import type { ChainCheck } from './types.js';

/**
 * The month's chain in the catalog against the signed checkpoints, without reading its events: the
 * database checks the hash links from the checkpoint before the month (the anchor) to the first one
 * after it (the end); both are read and must be signed by the pinned key and vouch for the catalog's
 * hash at their seq. A signed hash at the end commits to every event before it, so the checkpoints
 * in between add nothing and are not opened (1000 events each: a month can have a thousand). The
 * events the report reads must hash as they were written. `verify` opens every checkpoint of the
 * month and compares the contents with their sealed copies (audit-range.ts).
 */
export async function checkCatalogChain(
  reports: Pick<ReportQueries, 'chainBreak'>,
  store: CheckpointStore,
  /** The month's first and last seq and its event count (from the counts by action), undefined when none. */
  bounds: { first: number; last: number; count: number } | undefined,
  read: readonly AuditEventRecord[],
): Promise<ChainCheck> {
  const empty = { ok: true, events: 0, from: null, to: null, checkpoints: [] };
  if (!bounds) return empty;
  const fail = (seq: number, message: string): ChainCheck => ({
    ok: false,
    events: bounds.count,
    from: bounds.first,
    to: bounds.last,
    checkpoints: [],
    problem: { seq, message },
  });
  const pinned = await store.publicKey();
  if (!pinned) return fail(bounds.first, 'no audit public key is pinned in the repository (audit/public-key)');
  const names = await store.list();
  const seqOf = (n: string) => seqOfCheckpointName(n) ?? 0;
  const anchorName = names.filter((n) => seqOf(n) < bounds.first).at(-1);
  const endName = names.find((n) => seqOf(n) >= bounds.last);
  if (endName === undefined) return fail(bounds.last, `events up to ${bounds.last} are in no signed checkpoint yet`);
  const signed: SignedCheckpoint[] = [];
  for (const name of anchorName ? [anchorName, endName] : [endName]) {
    let cp: SignedCheckpoint;
    try {
      cp = parseCheckpoint(name, await store.get(name));
    } catch (err) {
      return fail(seqOf(name), `${name} cannot be read: ${(err as Error).message}`);
    }
    if (cp.seq !== seqOf(name) || !signatureValid(cp, pinned))
      return fail(seqOf(name), `${name} is not signed by the pinned audit key`);
    signed.push(cp);
  }
  const anchor = anchorName ? signed[0]! : { seq: 0, hash: GENESIS_HASH };
  const end = signed.at(-1)!;
  const { broken, hashes } = await reports.chainBreak(anchor, end.seq, [end.seq]);
  if (broken?.missing) return fail(broken.seq, `event ${broken.seq} is missing from the catalog`);
  if (broken) return fail(broken.seq, `event ${broken.seq} does not follow event ${broken.seq - 1} in the catalog`);
  if (hashes.get(end.seq) !== end.hash)
    return fail(end.seq, `the catalog's chain at ${end.seq} is not the one ${endName} signed`);
  const edited = read.find((e) => !hashMatches(e));
  if (edited)
    return fail(edited.seq, `event ${edited.seq} was edited in the catalog: its fields no longer give its hash`);
  return {
    ok: true,
    events: bounds.count,
    from: bounds.first,
    to: bounds.last,
    checkpoints: covering(checkpointRanges(names), bounds.first, bounds.last),
  };
}
