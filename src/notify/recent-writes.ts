/**
 * What one connection wrote in its loss window: enough to answer "from which seq may messages
 * have been lost?" when it drops. Kept per batch (its smallest seq and when it was written), so
 * the bookkeeping stays small at high rates.
 */
export class RecentWrites {
  readonly #windowMs: number;
  #batches: { readonly minSeq: number; readonly at: number }[] = [];

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  record(seqs: readonly number[], at: number): void {
    if (seqs.length === 0) return;
    this.#prune(at);
    let minSeq = seqs[0]!;
    for (const seq of seqs) if (seq < minSeq) minSeq = seq;
    this.#batches.push({ minSeq, at });
  }

  /** The smallest seq written within the window before `now`, or undefined when there is none. */
  fromSeq(now: number): number | undefined {
    this.#prune(now);
    let min: number | undefined;
    for (const b of this.#batches) if (min === undefined || b.minSeq < min) min = b.minSeq;
    return min;
  }

  #prune(now: number): void {
    const oldest = now - this.#windowMs;
    if (this.#batches.length > 0 && this.#batches[0]!.at < oldest) {
      this.#batches = this.#batches.filter((b) => b.at >= oldest);
    }
  }
}
