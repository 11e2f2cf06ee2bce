import type { AuditStore } from '../catalog/index.js';
import { type AuditEvent, eventHash, GENESIS_HASH, hashMatches } from './event.js';
import { type AuditFinding, finding } from './verify-types.js';

const page = 1000;
/** How far a renumbered event is looked for (its hash says which seq it was written with). */
const reach = 32;

/**
 * Walks the catalog's events from seq 1: every hash recomputed, every prevHash the previous hash,
 * no seq missing. Stops at the first problem and names it. walk() again continues past new events.
 */
export class ChainWalker {
  seq = 0;
  hash = GENESIS_HASH;
  events = 0;
  finding: AuditFinding | undefined;
  /** The chain's hash at each wanted seq (the checkpoints'), to compare with what they signed. */
  readonly hashes = new Map<number, string>([[0, GENESIS_HASH]]);

  constructor(
    readonly store: Pick<AuditStore, 'range'>,
    readonly wanted: ReadonlySet<number>,
  ) {}

  async walk(): Promise<void> {
    while (!this.finding) {
      const rows = await this.store.range(this.seq, page);
      if (rows.length === 0) return;
      for (const [i, row] of rows.entries()) {
        if (row.seq === this.seq + 1 && row.prevHash === this.hash && hashMatches(row)) {
          this.seq = row.seq;
          this.hash = row.hash;
          this.events += 1;
          if (this.wanted.has(row.seq)) this.hashes.set(row.seq, row.hash);
          continue;
        }
        const following = i + reach < rows.length ? rows.slice(i) : await this.store.range(this.seq, reach + 1);
        this.finding = classify(this.seq + 1, this.hash, following);
        return;
      }
    }
  }
}

/** What went wrong at seq s, given the events stored after the last good one (s - 1, hash prevHash). */
export function classify(s: number, prevHash: string, rows: readonly AuditEvent[]): AuditFinding {
  const [row, next] = rows;
  if (!row || row.seq > s) {
    const upTo = row ? row.seq - 1 : s;
    return finding(s, 'deleted', upTo === s ? `event ${s} is missing` : `events ${s}…${upTo} are missing`);
  }
  // The next event hashing as s and linking here means the one at s was slipped in before it.
  const nextIsOriginal = next?.seq === s + 1 && hashesAs(next, s) && next.prevHash === prevHash;
  const original = hashMatches(row) ? s : originalSeq(row, s);
  if (nextIsOriginal && original !== s + 1) {
    return finding(s, 'inserted', `event ${s} was inserted: the event after it was written as ${s}`);
  }
  if (original === s) {
    if (s === 1) return finding(1, 'edited', 'event 1 does not start from the genesis hash');
    return finding(s - 1, 'edited', `event ${s - 1} was rewritten: event ${s} is chained to a different hash`);
  }
  if (original === undefined) return finding(s, 'edited', `event ${s} was edited: its fields no longer give its hash`);
  if (original > s) {
    const swapped = rows.slice(1, original - s + 1).some((r) => hashesAs(r, s));
    return swapped
      ? finding(s, 'reordered', `event ${s} is out of order: the event stored as ${s} was written as ${original}`)
      : finding(s, 'deleted', `event ${s} was deleted and later events renumbered (${original} is stored as ${s})`);
  }
  return finding(
    original,
    'inserted',
    `events were inserted at ${original}: the event written as ${original} is now ${s}`,
  );
}

function hashesAs(row: AuditEvent, seq: number): boolean {
  return eventHash({ ...row, seq }) === row.hash;
}

function originalSeq(row: AuditEvent, s: number): number | undefined {
  for (let d = 1; d <= reach; d++) {
    if (hashesAs(row, s + d)) return s + d;
    if (s - d >= 1 && hashesAs(row, s - d)) return s - d;
  }
  return undefined;
}
