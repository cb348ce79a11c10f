// A small read-through cache for rows this store alone writes.

/** Entries of each in-memory read cache (flows, caller IDs). */
export const CACHED_ROWS = 1000;

/**
 * Rows read on every outgoing session (a flow's current version, an owned caller ID), kept in
 * memory. Only this store writes them: a write clears the cache before and after it, and a read
 * that overlapped a write (the generation moved) is not kept. The oldest entry leaves first.
 */
export class ReadCache<V> {
  private readonly entries = new Map<string, V>();
  private generation = 0;

  constructor(private readonly capacity: number) {}

  async read(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const cached = this.entries.get(key);
    if (cached !== undefined) return cached;
    const generation = this.generation;
    const value = await load();
    if (value !== undefined && generation === this.generation) {
      if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, value);
    }
    return value;
  }

  /** Around every write (committed or not): the next reads go to the database. */
  async writing<T>(write: () => Promise<T>): Promise<T> {
    this.invalidate();
    try {
      return await write();
    } finally {
      this.invalidate();
    }
  }

  private invalidate(): void {
    this.generation += 1;
    this.entries.clear();
  }
}
