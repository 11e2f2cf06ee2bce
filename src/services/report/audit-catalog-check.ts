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
import { covering } from './audit-range.js';
import type { ChainCheck } from './types.js';

const PAGE = 10_000;

/**
 * The month's chain in the catalog against the signed checkpoints, without reading its events: the
 * hash links from the checkpoint before the month to the first one after it, each of those
 * checkpoints signed by the pinned key and vouching for the catalog's hash at its seq, and the
 * events the report reads hashing as they were written. `verify` compares the contents with the
 * checkpoints' sealed copies (audit-range.ts).
 */
export async function checkCatalogChain(
  reports: Pick<ReportQueries, 'eventBounds' | 'chainLinks'>,
  store: CheckpointStore,
  since: Date,
  until: Date,
  read: readonly AuditEventRecord[],
): Promise<ChainCheck> {
  const bounds = await reports.eventBounds(since.toISOString(), until.toISOString());
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
  const endSeq = names.map(seqOf).find((s) => s >= bounds.last);
  if (endSeq === undefined) return fail(bounds.last, `events up to ${bounds.last} are in no signed checkpoint yet`);
  const loaded: Array<{ name: string; cp: SignedCheckpoint }> = [];
  for (const name of names.filter((n) => n === anchorName || (seqOf(n) >= bounds.first && seqOf(n) <= endSeq))) {
    let cp: SignedCheckpoint;
    try {
      cp = parseCheckpoint(name, await store.get(name));
    } catch (err) {
      return fail(seqOf(name), `${name} cannot be read: ${(err as Error).message}`);
    }
    if (cp.seq !== seqOf(name) || !signatureValid(cp, pinned))
      return fail(seqOf(name), `${name} is not signed by the pinned audit key`);
    loaded.push({ name, cp });
  }
  const anchor = loaded.find((l) => l.name === anchorName)?.cp;
  const signedAt = new Map<number, string[]>();
  for (const { cp } of loaded) signedAt.set(cp.seq, [...(signedAt.get(cp.seq) ?? []), cp.hash]);
  let seq = anchor?.seq ?? 0;
  let hash = anchor?.hash ?? GENESIS_HASH;
  while (seq < endSeq) {
    const links = await reports.chainLinks(seq, Math.min(PAGE, endSeq - seq));
    if (links.length === 0) return fail(seq + 1, `event ${seq + 1} is missing from the catalog`);
    for (const l of links) {
      if (l.seq !== seq + 1) return fail(seq + 1, `event ${seq + 1} is missing from the catalog`);
      if (l.prevHash !== hash) return fail(l.seq, `event ${l.seq} does not follow event ${seq} in the catalog`);
      seq = l.seq;
      hash = l.hash;
      if (signedAt.get(seq)?.some((h) => h !== hash))
        return fail(seq, `the catalog's chain at ${seq} is not the one a checkpoint signed`);
    }
  }
  const edited = read.find((e) => !hashMatches(e));
  if (edited)
    return fail(edited.seq, `event ${edited.seq} was edited in the catalog: its fields no longer give its hash`);
  return {
    ok: true,
    events: bounds.count,
    from: bounds.first,
    to: bounds.last,
    checkpoints: covering(loaded, bounds.first, bounds.last),
  };
}
