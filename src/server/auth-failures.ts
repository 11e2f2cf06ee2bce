/**
 * Failed authentications per client IP, in fixed windows that start at an IP's first failure.
 * Checked before authentication on every request: an IP that has failed `max` times is refused
 * (429) until its window ends, so tokens cannot be guessed at speed, while clients that
 * authenticate are never counted. Bounded: the oldest IPs are forgotten past `capacity`.
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, { count: number; start: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly capacity = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `ip` may try again; 0 when it is not blocked. */
  retryAfter(ip: string): number {
    const w = this.current(ip);
    if (!w || w.count < this.max) return 0;
    return Math.max(1, Math.ceil((w.start + this.windowMs - this.now()) / 1000));
  }

  /** Counts a failure; true when this one reached the limit (worth a warning in the log). */
  fail(ip: string): boolean {
    const w = this.current(ip);
    if (w) {
      w.count++;
      return w.count === this.max;
    }
    if (this.windows.size >= this.capacity) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
    this.windows.set(ip, { count: 1, start: this.now() });
    return this.max === 1;
  }

  private current(ip: string): { count: number; start: number } | undefined {
    const w = this.windows.get(ip);
    if (w && this.now() - w.start >= this.windowMs) {
      this.windows.delete(ip);
      return undefined;
    }
    return w;
  }
}
