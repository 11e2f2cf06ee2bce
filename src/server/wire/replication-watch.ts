import type { ReplicationStatus } from '../../services/index.js';
import type { ReplicationMetrics } from '../backend-storage.js';

/** How old the replication status behind /metrics may get before a scrape asks for a new one. */
export const REPLICATION_REFRESH_MS = 5 * 60_000;

/**
 * Up to how many snapshots in the catalog a scrape may have the status worked out in the background.
 * Working it out reads every snapshot row (SQLite, synchronously, on the server's event loop): about
 * 0.25 s at 10,000 snapshots, 3 s at 100,000 and 13-20 s at 300,000 (3.8 GB), measured; beyond this
 * only a status request or a replication through the server refreshes the gauges.
 */
export const BACKGROUND_REFRESH_MAX_SNAPSHOTS = 20_000;

export interface WatchOptions {
  readonly refreshMs?: number;
  /** Whether a scrape may start working the status out (cheap to ask: a count). */
  readonly mayRefresh?: () => Promise<boolean>;
}

/**
 * The replication status /metrics shows. Working it out is too much for every scrape, so a scrape
 * shows the status as last worked out — by a status request, or in the background when a scrape
 * finds it older than the refresh interval or out of date after a replication, while the catalog
 * is small enough (mayRefresh) — and never waits for it; `computedAt` says how old it is.
 */
export class ReplicationWatch {
  readonly #compute: (to: string) => Promise<ReplicationStatus>;
  readonly #onError: (err: unknown) => void;
  readonly #refreshMs: number;
  readonly #mayRefresh: () => Promise<boolean>;
  #last: { readonly status: ReplicationStatus; readonly at: Date; readonly location: string } | undefined;
  #stale = false;
  /** Counts replications, so a status worked out while one ran is not taken as current. */
  #copies = 0;
  #refreshing: Promise<void> | undefined;

  constructor(
    compute: (to: string) => Promise<ReplicationStatus>,
    onError: (err: unknown) => void,
    options: WatchOptions = {},
  ) {
    this.#compute = compute;
    this.#onError = onError;
    this.#refreshMs = options.refreshMs ?? REPLICATION_REFRESH_MS;
    this.#mayRefresh = options.mayRefresh ?? (async () => true);
  }

  /**
   * A status worked out for the replica at `location` (the policy's `replication.to`), begun at `at`;
   * `copies` is what copies() said when it began (a replication since then makes it out of date).
   */
  record(location: string, status: ReplicationStatus, at = new Date(), copies = this.#copies): void {
    this.#last = { status, at, location };
    this.#stale = copies !== this.#copies;
  }

  /** How many replications have been reported, for record(). */
  copies(): number {
    return this.#copies;
  }

  /** Something was copied: the next scrape asks for a new status. */
  invalidate(): void {
    this.#copies++;
    this.#stale = true;
  }

  /** Settles once a refresh in flight (if any) has ended; for tests. */
  async settled(): Promise<void> {
    await this.#refreshing;
  }

  /** What a scrape shows for the replica at `location` (null: none named, or nothing known yet). */
  async metrics(location: string | undefined, now = new Date()): Promise<ReplicationMetrics | null> {
    if (location === undefined) return null;
    const last = this.#last?.location === location ? this.#last : undefined;
    const due = !last || this.#stale || now.getTime() - last.at.getTime() >= this.#refreshMs;
    if (due && !this.#refreshing && (await this.#mayRefresh()) && !this.#refreshing) {
      const started = new Date();
      const copies = this.#copies;
      this.#refreshing = this.#compute(location)
        .then((status) => this.record(location, status, started, copies))
        .catch(this.#onError)
        .finally(() => {
          this.#refreshing = undefined;
        });
    }
    if (!last) return null;
    return {
      to: last.status.to,
      computedAt: last.at.toISOString(),
      items: last.status.items.map((i) => ({ item: i.item, behind: i.behind, oldestMissing: i.oldestMissing })),
    };
  }
}
