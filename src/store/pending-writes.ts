// Which keys have writes waiting in the group commit, so that a read commits them first only when it must.

/** How many queued writes each key (a session, an idempotency key) has in the commit queue. */
export class PendingWrites {
  private readonly counts = new Map<string, number>();

  /** Called for every timeline row: inline callbacks, no named closure (tsx names each one it creates). */
  track<T>(key: string, write: Promise<T>): Promise<T> {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    write.then(() => this.done(key), () => this.done(key));
    return write;
  }

  private done(key: string): void {
    const n = (this.counts.get(key) ?? 1) - 1;
    if (n <= 0) this.counts.delete(key);
    else this.counts.set(key, n);
  }

  has(key: string): boolean {
    return this.counts.has(key);
  }
}
