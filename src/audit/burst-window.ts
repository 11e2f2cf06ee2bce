export interface WindowEntry {
  readonly seq: number;
  readonly at: number; // epoch ms
  readonly source: string;
}

/**
 * Counts events over a sliding window of withinMs. When count are in it (and `accept` agrees), the
 * burst is reported once, and the rest of that window is absorbed: one alert per window, not one
 * per event after the threshold.
 */
export class BurstWindow {
  #entries: WindowEntry[] = [];
  #quietUntil = Number.NEGATIVE_INFINITY;

  constructor(
    readonly count: number,
    readonly withinMs: number,
  ) {}

  add(
    entry: WindowEntry,
    accept: (entries: readonly WindowEntry[]) => boolean = () => true,
  ): WindowEntry[] | undefined {
    if (entry.at < this.#quietUntil) return undefined;
    this.#entries.push(entry);
    this.#entries = this.#entries.filter((e) => e.at > entry.at - this.withinMs);
    if (this.#entries.length < this.count || !accept(this.#entries)) return undefined;
    const burst = this.#entries;
    this.#quietUntil = burst[0]!.at + this.withinMs;
    this.#entries = [];
    return burst;
  }

  /** Nothing in it can count any more at `now`: the window may be dropped. */
  staleAt(now: number): boolean {
    const last = this.#entries.at(-1)?.at ?? Number.NEGATIVE_INFINITY;
    return last <= now - this.withinMs && this.#quietUntil <= now;
  }
}
