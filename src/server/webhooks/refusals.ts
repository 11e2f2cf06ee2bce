/**
 * Refused webhook deliveries (bad or missing signature, provider not configured) per client IP, in
 * fixed windows that start at an IP's first refusal. The first `max` refusals of a window are audited
 * one by one; past that they are answered 429 and only counted, and one summary event per IP and
 * window (with the count) is written when the window ends, or when the server closes. So an unsigned
 * flood cannot fill the audit log, while a correctly signed delivery from the same IP (GitHub's hook
 * IPs are shared by everyone) is never refused by it: it is verified before it is counted.
 */
export interface RefusalSummary {
  readonly ip: string;
  /** Refusals answered 429 and not audited one by one. */
  readonly suppressed: number;
  readonly providers: readonly string[];
  readonly windowStart: string;
  readonly windowEnd: string;
}

interface Window {
  start: number;
  count: number;
  suppressed: number;
  providers: Set<string>;
  timer?: NodeJS.Timeout;
}

export class RefusalLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly summarize: (s: RefusalSummary) => Promise<void>,
    private readonly max = 20,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
    private readonly capacity = 10_000,
  ) {}

  /**
   * Counts a refusal from `ip`: 0 when it is to be audited and answered as usual, else the seconds
   * until the window ends (answer 429, do not audit: the window's summary counts it).
   */
  refuse(ip: string, provider: string): number {
    let w = this.current(ip);
    if (!w) {
      if (this.windows.size >= this.capacity) {
        const oldest = this.windows.keys().next().value;
        if (oldest !== undefined) void this.flush(oldest);
      }
      w = { start: this.now(), count: 0, suppressed: 0, providers: new Set() };
      this.windows.set(ip, w);
    }
    w.count++;
    if (w.count <= this.max) return 0;
    w.suppressed++;
    w.providers.add(provider);
    const left = w.start + this.windowMs - this.now();
    if (!w.timer) {
      w.timer = setTimeout(() => void this.flush(ip), Math.max(0, left));
      w.timer.unref();
    }
    return Math.max(1, Math.ceil(left / 1000));
  }

  /** Writes the summary of every window with suppressed refusals (the server is closing). */
  async close(): Promise<void> {
    await Promise.all([...this.windows.keys()].map((ip) => this.flush(ip)));
  }

  private current(ip: string): Window | undefined {
    const w = this.windows.get(ip);
    if (w && this.now() - w.start >= this.windowMs) {
      void this.flush(ip);
      return undefined;
    }
    return w;
  }

  private async flush(ip: string): Promise<void> {
    const w = this.windows.get(ip);
    if (!w) return;
    this.windows.delete(ip);
    clearTimeout(w.timer);
    if (w.suppressed === 0) return;
    await this.summarize({
      ip,
      suppressed: w.suppressed,
      providers: [...w.providers].sort(),
      windowStart: new Date(w.start).toISOString(),
      windowEnd: new Date(w.start + this.windowMs).toISOString(),
    });
  }
}
