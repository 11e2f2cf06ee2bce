import type { KeyObject } from 'node:crypto';
import type { AuditStore } from '../catalog/index.js';
import { parseCheckpoint, type SignedCheckpoint, seqOfCheckpointName, signatureValid } from './checkpoint-format.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { type AuditEvent, eventLine } from './event.js';
import { type AuditFinding, earliest, finding } from './verify-types.js';

export interface LoadedCheckpoint {
  readonly name: string;
  readonly checkpoint: SignedCheckpoint;
}

/** Every checkpoint in the store whose signature holds under the pinned key; the first that does not. */
export async function loadCheckpoints(
  store: CheckpointStore,
  pinned: KeyObject | undefined,
): Promise<{ loaded: LoadedCheckpoint[]; finding?: AuditFinding }> {
  const names = await store.list();
  const present = new Set(names);
  const loaded: LoadedCheckpoint[] = [];
  const findings: AuditFinding[] = [];
  for (const name of names) {
    const seq = seqOfCheckpointName(name) ?? 0;
    let checkpoint: SignedCheckpoint;
    try {
      checkpoint = parseCheckpoint(name, await store.get(name));
    } catch (err) {
      findings.push(finding(seq, 'unreadable-checkpoint', `${name} cannot be read: ${(err as Error).message}`));
      continue;
    }
    if (!pinned) {
      findings.push(finding(seq, 'bad-signature', `${name} cannot be checked: the audit public key is missing`));
    } else if (checkpoint.seq !== seq || !signatureValid(checkpoint, pinned)) {
      findings.push(finding(seq, 'bad-signature', `${name} is not signed by the pinned audit key`));
    } else {
      loaded.push({ name, checkpoint });
      const prev = checkpoint.prevCheckpoint;
      if (prev !== null && !present.has(prev)) {
        findings.push(finding(checkpoint.firstSeq, 'checkpoint-missing', `${name} follows ${prev}, which is gone`));
      }
    }
  }
  return { loaded, ...optional(earliest(findings)) };
}

/**
 * One checkpoint against the catalog: the catalog must reach its seq, the chain's hash there must
 * be the signed one, and (with the key) the rows must equal the events it sealed.
 */
export async function checkCheckpoint(
  store: Pick<AuditStore, 'range'>,
  opener: CheckpointStore['openEvents'],
  { name, checkpoint: cp }: LoadedCheckpoint,
  chain: { readonly hashes: ReadonlyMap<number, string>; readonly lastSeq: number },
): Promise<AuditFinding | undefined> {
  // With the key, the sealed copies come first: after a cut tail, events recorded since then sit at
  // the cut's sequence numbers, and the first of them is the first bad event, not the tail.
  if (opener) {
    let sealed: string[];
    try {
      const plain = Buffer.from(await opener(Buffer.from(cp.events, 'base64'))).toString('utf8');
      sealed = plain === '' ? [] : plain.split('\n');
    } catch (err) {
      return finding(
        cp.firstSeq,
        'unreadable-checkpoint',
        `${name}'s events cannot be opened: ${(err as Error).message}`,
      );
    }
    const found = await compareSealed(store, name, cp, sealed, chain.lastSeq);
    if (found) return found;
  }
  if (cp.seq > chain.lastSeq) {
    const from = chain.lastSeq + 1;
    return finding(from, 'truncated', `${name} vouches for events up to ${cp.seq}; the catalog ends at ${from - 1}`);
  }
  const hash = chain.hashes.get(cp.seq);
  if (hash !== undefined && hash !== cp.hash) {
    return finding(
      cp.firstSeq,
      'checkpoint-mismatch',
      `events ${cp.firstSeq}…${cp.seq} are not what ${name} signed: the chain was rewritten after it`,
    );
  }
  return undefined;
}

const margin = 32;

async function compareSealed(
  store: Pick<AuditStore, 'range'>,
  name: string,
  cp: SignedCheckpoint,
  lines: readonly string[],
  lastSeq: number,
): Promise<AuditFinding | undefined> {
  const sealed = lines.map((line) => JSON.parse(line) as AuditEvent);
  const consistent = sealed.every((e, i) => e.seq === cp.firstSeq + i) && (sealed.at(-1)?.hash ?? cp.hash) === cp.hash;
  if (!consistent) return finding(cp.firstSeq, 'checkpoint-mismatch', `${name}'s sealed events disagree with it`);
  const from = Math.max(0, cp.firstSeq - 1 - margin);
  const rows = await store.range(from, cp.seq - from + margin);
  const bySeq = new Map(rows.map((r) => [r.seq, r]));
  const rowIds = new Set(rows.map((r) => r.id));
  const sealedIds = new Set(sealed.map((e) => e.id));
  for (const [i, original] of sealed.entries()) {
    const s = original.seq;
    const row = bySeq.get(s);
    const what = `event ${s} (sealed in ${name})`;
    if (!row) return finding(s, s > lastSeq ? 'truncated' : 'deleted', `${what} is missing from the catalog`);
    if (eventLine(row) === lines[i]) continue;
    if (row.id === original.id) return finding(s, 'edited', `${what} was edited in the catalog`);
    if (!rowIds.has(original.id)) return finding(s, 'deleted', `${what} was deleted from the catalog`);
    if (sealedIds.has(row.id)) return finding(s, 'reordered', `${what} is stored at another position`);
    return finding(s, 'inserted', `an event that was never recorded is stored as ${s}`);
  }
  return undefined;
}

function optional(f: AuditFinding | undefined): { finding?: AuditFinding } {
  return f ? { finding: f } : {};
}
