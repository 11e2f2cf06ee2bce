import type { KeyObject } from 'node:crypto';
import {
  type AuditEvent,
  type CheckpointStore,
  GENESIS_HASH,
  parseCheckpoint,
  type SignedCheckpoint,
  seqOfCheckpointName,
  signatureValid,
} from '../../audit/index.js';
import { isReportEvent } from '../../catalog/index.js';
import type { ChainCheck } from './types.js';

/**
 * What verify keeps of a sealed event: its place in the chain and what the counts need; the whole
 * event only when the report reads it (isReportEvent). A month can seal a million events.
 */
export interface SealedEvent {
  readonly seq: number;
  readonly time: string;
  readonly action: string;
  readonly result: string;
  readonly approvalId: string | null;
  readonly prevHash: string;
  readonly hash: string;
  readonly full?: AuditEvent;
}

/** Clock skew tolerated between an event's time and the checkpoint that sealed it. */
const MARGIN_MS = 60 * 60_000;

interface Window {
  /** Every sealed event of the checkpoints read, by seq, with its canonical line. */
  readonly bySeq: Map<number, SealedEvent>;
  readonly loaded: Array<{ name: string; cp: SignedCheckpoint }>;
  /** Every checkpoint's name, in seq order. */
  readonly names: readonly string[];
  anchor: { seq: number; hash: string };
  problem?: { seq: number; message: string };
}

/**
 * The sealed events of the checkpoints around [from, until): every checkpoint written from an hour
 * before `from` until one whose events all come an hour after `until`, each signed by the pinned
 * key, plus the one before them (its hash is where the window's chain starts). The signature covers
 * the sealed payload, so an event read here is one the audit log wrote.
 */
export async function readSealedWindow(
  store: CheckpointStore,
  from: Date,
  until: Date,
  pinned: KeyObject | undefined,
): Promise<Window> {
  const names = await store.list();
  const timeOf = (name: string) => Number(name.split('-').at(-1));
  const firstIdx = names.findIndex((n) => timeOf(n) >= from.getTime() - MARGIN_MS);
  const w: Window = { bySeq: new Map(), loaded: [], names, anchor: { seq: 0, hash: GENESIS_HASH } };
  const fail = (seq: number, message: string) => {
    w.problem ??= { seq, message };
  };
  if (!store.openEvents) fail(0, 'the checkpoints cannot be opened without the repository key');
  if (!pinned) fail(0, 'no audit public key is pinned in the repository (audit/public-key)');
  if (firstIdx === -1 || w.problem) return w;
  const load = async (name: string): Promise<SignedCheckpoint | undefined> => {
    const seq = seqOfCheckpointName(name) ?? 0;
    try {
      const cp = parseCheckpoint(name, await store.get(name));
      if (cp.seq === seq && signatureValid(cp, pinned!)) return cp;
      fail(seq, `${name} is not signed by the pinned audit key`);
    } catch (err) {
      fail(seq, `${name} cannot be read: ${(err as Error).message}`);
    }
    return undefined;
  };
  if (firstIdx > 0) {
    const anchor = await load(names[firstIdx - 1]!);
    if (!anchor) return w;
    w.anchor = { seq: anchor.seq, hash: anchor.hash };
  }
  for (const name of names.slice(firstIdx)) {
    const cp = await load(name);
    if (!cp) return w;
    const plain = Buffer.from(await store.openEvents!(Buffer.from(cp.events, 'base64'))).toString('utf8');
    const lines = plain === '' ? [] : plain.split('\n');
    let after = true;
    for (const line of lines) {
      const event = JSON.parse(line) as AuditEvent;
      const seen = w.bySeq.get(event.seq);
      if (seen && seen.hash !== event.hash) fail(event.seq, `two checkpoints sealed different events as ${event.seq}`);
      const { seq, time, action, result, approvalId, prevHash, hash } = event;
      w.bySeq.set(seq, {
        seq,
        time,
        action,
        result,
        approvalId,
        prevHash,
        hash,
        ...(isReportEvent(event) ? { full: event } : {}),
      });
      if (Date.parse(event.time) < until.getTime() + MARGIN_MS) after = false;
    }
    w.loaded.push({ name, cp });
    if (lines.length > 0 && after) break;
  }
  return w;
}

/**
 * The month's events in the window: consecutive seqs linked by prevHash from the anchor, matching
 * every checkpoint's signed hash. Reads nothing but the checkpoints (verify).
 */
export function checkChain(w: Window, from: Date, until: Date): { check: ChainCheck; events: SealedEvent[] } {
  const inMonth = (e: SealedEvent) => e.time >= from.toISOString() && e.time < until.toISOString();
  const events = [...w.bySeq.values()].filter(inMonth);
  events.sort((a, b) => a.seq - b.seq);
  const first = events[0]?.seq ?? null;
  const last = events.at(-1)?.seq ?? null;
  let problem = w.problem;
  const maxSeq = Math.max(w.anchor.seq, ...w.loaded.map((l) => l.cp.seq));
  const hashAt = new Map<number, string>([[w.anchor.seq, w.anchor.hash]]);
  let hash = w.anchor.hash;
  for (let seq = w.anchor.seq + 1; seq <= maxSeq && !problem; seq++) {
    const e = w.bySeq.get(seq);
    if (!e) problem = { seq, message: `event ${seq} is in no signed checkpoint` };
    else if (e.prevHash !== hash) problem = { seq, message: `event ${seq} does not follow event ${seq - 1}` };
    else hash = e.hash;
    hashAt.set(seq, hash);
  }
  for (const { name, cp } of w.loaded) {
    if (!problem && hashAt.get(cp.seq) !== cp.hash) problem = { seq: cp.seq, message: `${name} signed another chain` };
  }
  const check: ChainCheck = {
    ok: problem === undefined,
    events: events.length,
    from: first,
    to: last,
    checkpoints: covering(checkpointRanges(w.names), first, last),
    ...(problem ? { problem } : {}),
  };
  return { check, events };
}

/**
 * Each checkpoint with the seqs it sealed, from the names alone: after the previous checkpoint's seq
 * up to its own (what the checkpointer writes; an idle checkpoint that repeats the head seals none).
 * Build and verify both name the evidence this way, so they agree without opening every checkpoint.
 */
export function checkpointRanges(
  names: readonly string[],
): Array<{ name: string; cp: { seq: number; firstSeq: number } }> {
  let previous = 0;
  return names.map((name) => {
    const seq = seqOfCheckpointName(name) ?? 0;
    const firstSeq = previous + 1;
    previous = seq;
    return { name, cp: { seq, firstSeq } };
  });
}

/** The checkpoints that sealed some of the events first…last. */
export function covering(
  loaded: ReadonlyArray<{ name: string; cp: Pick<SignedCheckpoint, 'seq' | 'firstSeq'> }>,
  first: number | null,
  last: number | null,
): string[] {
  if (first === null || last === null) return [];
  return loaded.filter((l) => l.cp.seq >= first && l.cp.firstSeq <= last).map((l) => l.name);
}
