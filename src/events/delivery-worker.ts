// Sends the outbox: claims due deliveries from the store (so several engines on one database
// share the work), sends each session's events to each destination in sequence order, retries
// failures with exponential backoff and jitter until the maximum age, and records every attempt.
// A slow destination holds only its own slots (per-origin concurrency), never the others'.
import type { Logger } from '../log.js';
import type { ClaimedDelivery, OutboxEvent, Store } from '../store/store.js';
import { signedHeaders } from './signature.js';
import { Connections, postJson, type PostOutcome } from './http-post.js';

export interface RetryPolicy {
  /** Delay after the first failure; doubles per attempt. */
  baseMs: number;
  maxDelayMs: number;
  /** ± this fraction of random jitter on every delay. */
  jitter: number;
  /** An event older than this (since it happened) is abandoned after its failing attempt. */
  maxAgeMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1_000, maxDelayMs: 10 * 60_000, jitter: 0.2, maxAgeMs: 24 * 60 * 60_000 };

/** The delay before attempt `attempt + 1` after `attempt` failed (1-based), jitter applied. */
export function retryDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const raw = Math.min(policy.maxDelayMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (1 + policy.jitter * (2 * random() - 1)));
}

export interface DeliveryWorkerOptions {
  store: Store;
  logger: Logger;
  workerId: string;
  allowPrivate: boolean;
  retry?: RetryPolicy;
  timeoutMs?: number;
  /** Requests in flight per destination origin. */
  perDestination?: number;
  claimLeaseMs?: number;
  /** How often the store is polled for due rows nobody announced (retries of other workers, a restart). */
  pollMs?: number;
  batch?: number;
  /** Told every attempt's result (the metrics); never affects delivery. */
  observer?: DeliveryObserver;
}

/** One finished attempt: what the receiver answered, what the delivery is now, and since when it waited. */
export interface AttemptObservation {
  result: PostOutcome;
  status: 'delivered' | 'pending' | 'abandoned';
  /** From the outbox commit (as this worker learnt of it: in memory, or the event time for a claimed row) to now. */
  sinceCommitMs: number;
}

export interface DeliveryObserver {
  attempted(o: AttemptObservation): void;
}

/** A delivery in a chain, with the moment its outbox row was known committed. */
interface Queued extends ClaimedDelivery {
  committedAt: number;
}

interface Chain {
  queue: Queued[];
  running: boolean;
}

class Slots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      return await fn();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}

export class DeliveryWorker {
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly perDestination: number;
  private readonly claimLeaseMs: number;
  private readonly pollMs: number;
  private readonly batch: number;
  private readonly chains = new Map<string, Chain>();
  private readonly held = new Set<string>();
  private readonly slots = new Map<string, Slots>();
  private readonly connections: Connections;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private pumping: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private pollTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: DeliveryWorkerOptions) {
    this.retry = o.retry ?? DEFAULT_RETRY;
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.perDestination = o.perDestination ?? 4;
    this.claimLeaseMs = o.claimLeaseMs ?? 60_000;
    this.pollMs = o.pollMs ?? 1_000;
    this.batch = o.batch ?? 200;
    this.connections = new Connections(this.perDestination);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.pollTimer = setInterval(() => this.poke(), this.pollMs);
    this.renewTimer = setInterval(() => {
      void this.o.store.renewClaims(this.o.workerId, this.expiry()).catch((err: unknown) => this.o.logger.warn({ err }, 'renewing delivery claims failed'));
    }, Math.max(1_000, Math.floor(this.claimLeaseMs / 3)));
    this.pollTimer.unref();
    this.renewTimer.unref();
    this.poke();
  }

  /** The claim this worker's own process writes its new outbox rows with. */
  claim(): { workerId: string; expires: string } | undefined {
    return this.stopped ? undefined : { workerId: this.o.workerId, expires: this.expiry() };
  }

  /** Outbox rows committed by this process, claimed for this worker: sent from memory, no claim query. */
  accept(events: readonly OutboxEvent[]): void {
    const committedAt = Date.now();
    for (const e of events) {
      if (e.claim?.workerId !== this.o.workerId) continue;
      for (const t of e.targets) {
        this.enqueue({ eventId: e.id, target: t.target, sessionId: e.sessionId, seq: e.seq, url: t.url, body: e.body, secret: t.secret, attempts: 0, eventAt: e.at }, committedAt);
      }
    }
    if (events.some((e) => e.claim?.workerId !== this.o.workerId)) this.poke();
  }

  /** Something was committed to the outbox: look for it now (coalesced). */
  poke(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
  }

  /** Stops claiming, lets attempts in flight finish (bounded by their timeout), releases the claims. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearInterval(this.renewTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.pumping;
    await Promise.all([...this.inFlight]);
    this.connections.close();
    await this.o.store.releaseClaims([this.o.workerId]).catch(() => undefined);
  }

  private expiry(): string {
    return new Date(Date.now() + this.claimLeaseMs).toISOString();
  }

  private async pump(): Promise<void> {
    for (;;) {
      let claimed: ClaimedDelivery[];
      try {
        claimed = await this.o.store.claimDeliveries(this.o.workerId, new Date().toISOString(), this.expiry(), this.batch);
      } catch (err) {
        if (!this.stopped) this.o.logger.warn({ err }, 'claiming webhook deliveries failed');
        return;
      }
      for (const d of claimed) this.enqueue(d);
      if (claimed.length < this.batch || this.stopped) return;
    }
  }

  /** `committedAt`: when the row was known committed; a row claimed from the store committed at its event time. */
  private enqueue(claimed: ClaimedDelivery, committedAt = Date.parse(claimed.eventAt)): void {
    if (this.stopped) return;
    const d: Queued = { ...claimed, committedAt };
    const key = `${d.eventId}\n${d.target}`;
    if (this.held.has(key)) return;
    this.held.add(key);
    const chainKey = `${d.sessionId}\n${d.target}`;
    let chain = this.chains.get(chainKey);
    if (!chain) {
      chain = { queue: [], running: false };
      this.chains.set(chainKey, chain);
    }
    chain.queue.push(d);
    chain.queue.sort((a, b) => a.seq - b.seq);
    if (!chain.running) this.track(this.runChain(chainKey, chain));
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** One session's events to one destination, strictly in order. */
  private async runChain(chainKey: string, chain: Chain): Promise<void> {
    chain.running = true;
    try {
      while (!this.stopped) {
        const d = chain.queue[0];
        if (!d) break;
        const outcome = await this.attempt(d);
        if (outcome === 'retry-later') return;
        chain.queue.shift();
        this.held.delete(`${d.eventId}\n${d.target}`);
      }
    } finally {
      chain.running = false;
      if (chain.queue.length === 0) {
        this.chains.delete(chainKey);
        // Later events of the chain were not claimable while this one was unclaimed: look again.
        this.poke();
      }
    }
  }

  private slotsFor(url: string): Slots {
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      origin = url;
    }
    let s = this.slots.get(origin);
    if (!s) {
      s = new Slots(this.perDestination);
      this.slots.set(origin, s);
    }
    return s;
  }

  private async attempt(d: Queued): Promise<'done' | 'retry-later'> {
    const attempt = d.attempts + 1;
    const at = new Date().toISOString();
    const timestamp = Math.floor(Date.now() / 1000);
    const result: PostOutcome = await this.slotsFor(d.url).run(() => postJson(d.url, d.body, signedHeaders(d.secret, d.eventId, timestamp, d.body), { timeoutMs: this.timeoutMs, allowPrivate: this.o.allowPrivate, connections: this.connections }));
    const ok = result.error === null;
    const age = Date.now() - Date.parse(d.eventAt);
    const delay = retryDelay(attempt, this.retry);
    const status = ok ? 'delivered' : age + delay > this.retry.maxAgeMs ? 'abandoned' : 'pending';
    const nextAttemptAt = new Date(Date.now() + (status === 'pending' ? delay : 0)).toISOString();
    this.o.observer?.attempted({ result, status, sinceCommitMs: Date.now() - d.committedAt });
    if (!ok) this.o.logger.info({ eventId: d.eventId, target: d.target, attempt, error: result.error, status }, 'webhook attempt failed');
    try {
      await this.o.store.recordAttempt({
        eventId: d.eventId, target: d.target, attempt, at, statusCode: result.statusCode, error: result.error,
        durationMs: result.durationMs, responseExcerpt: result.excerpt, status, nextAttemptAt,
      });
    } catch (err) {
      this.o.logger.warn({ err, eventId: d.eventId }, 'recording a webhook attempt failed');
    }
    if (status !== 'pending') return 'done';
    d.attempts = attempt;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const chainKey = `${d.sessionId}\n${d.target}`;
      const chain = this.chains.get(chainKey);
      if (chain && !chain.running && !this.stopped) this.track(this.runChain(chainKey, chain));
    }, delay);
    this.timers.add(timer);
    return 'retry-later';
  }
}
