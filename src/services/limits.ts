// In-process guards for placing calls: one critical section per account (so that the live-call
// cap and idempotency keys hold under concurrent requests) and a per-account calls-per-second window.

export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => { release = resolve; });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/** Sliding one-second window of accepted calls per account. */
export class CallRateLimiter {
  private readonly accepted = new Map<string, number[]>();

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds to wait when the account is at its rate, else undefined. */
  retryAfter(accountId: string): number | undefined {
    const recent = this.prune(accountId);
    if (recent.length < this.perSecond) return undefined;
    const oldest = recent[0] ?? this.now();
    return Math.max(1, Math.ceil((oldest + 1000 - this.now()) / 1000));
  }

  record(accountId: string): void {
    const recent = this.prune(accountId);
    recent.push(this.now());
    this.accepted.set(accountId, recent);
  }

  private prune(accountId: string): number[] {
    const cutoff = this.now() - 1000;
    const recent = (this.accepted.get(accountId) ?? []).filter((t) => t > cutoff);
    if (recent.length === 0) this.accepted.delete(accountId);
    else this.accepted.set(accountId, recent);
    return recent;
  }
}
