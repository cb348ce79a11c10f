// Per-client-IP counter of requests that failed authentication, in fixed one-minute windows.
// Checked before any token is verified, so a flood of bad tokens costs no signature work.
const MAX_TRACKED = 100_000;
const OVERFLOW_KEY = '*';

export class IpRateLimiter {
  private windowStart = 0;
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  private roll(): void {
    const t = this.now();
    if (t - this.windowStart >= this.windowMs) {
      this.windowStart = t;
      this.counts.clear();
    }
  }

  private key(ip: string): string {
    // Past the cap, unknown addresses share one bucket: memory stays bounded under a spoofed flood.
    return this.counts.has(ip) || this.counts.size < MAX_TRACKED ? ip : OVERFLOW_KEY;
  }

  /** Seconds until the window resets when `ip` is over the limit, else undefined. */
  blockedFor(ip: string): number | undefined {
    this.roll();
    if ((this.counts.get(this.key(ip)) ?? 0) < this.limit) return undefined;
    return Math.max(1, Math.ceil((this.windowStart + this.windowMs - this.now()) / 1000));
  }

  hit(ip: string): void {
    this.roll();
    const k = this.key(ip);
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }
}
