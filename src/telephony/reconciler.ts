// Keeping the store truthful across faults. After every (re)connection: one GET /channels,
// compared as a set with this process's calls (a call whose channel vanished while ARI was away
// ends `failed`; one still there resyncs its playbacks), then the sessions of engines that are
// gone are settled (orphans.ts). /ready waits for it. The lease on this process's sessions is
// renewed on a timer, whose tick also sweeps for orphans.
import type { Logger } from '../log.js';
import type { Session } from '../domain/model.js';
import type { OwnershipStore } from '../store/store.js';
import type { TelephonyPort } from './port.js';
import type { CallSession } from './call-session.js';
import type { LiveCalls } from './live-calls.js';
import type { Owner } from './owner.js';
import { endOrphans } from './orphans.js';
import type { AriState } from './reconcile.js';
import type { Destinations, EventsOut } from './session-recorder.js';
import { waitRetry, type RetryPolicy } from './retry.js';

const LIVE_AFTER_ORIGINATE = new Set(['dialing', 'ringing', 'in-progress']);

export interface ReconcilerDeps {
  port: TelephonyPort;
  store: OwnershipStore;
  owner: Owner;
  events: EventsOut;
  logger: Logger;
  calls: LiveCalls<CallSession>;
  retry: RetryPolicy;
  stopping: AbortSignal;
  /** When this process started: unowned sessions older than this are orphans. */
  startedAt: string;
  leaseMs: number;
  destinationsFor(session: Session): Promise<Destinations>;
  /** Whether an engine whose lease expired still answers (orphans.ts). */
  ownerAnswers?(ownerId: string): Promise<boolean>;
}

export class Reconciler {
  /** False from each (re)connection until its reconciliation is done: /ready waits for it. */
  reconciled = false;
  passes = 0;
  private running: Promise<void> | undefined;
  private generation = 0;
  private readonly leaseTimer: NodeJS.Timeout;
  /** When renewing our leases last failed (the database out of reach): see sweepOrphans. */
  private renewFailedAt = -Infinity;

  constructor(private readonly deps: ReconcilerDeps) {
    // The lease on our live sessions; the same tick looks for sessions of engines that are gone.
    this.leaseTimer = setInterval(() => {
      const { store, owner, port, logger } = deps;
      void store.renewLeases(owner.id, owner.leaseExpires()).catch((err: unknown) => {
        this.renewFailedAt = Date.now();
        logger.warn({ err }, 'renewing session leases failed');
      });
      if (port.isConnected()) void this.sweepOrphans(() => this.listAri());
    }, Math.max(1_000, Math.floor(deps.leaseMs / 3)));
    this.leaseTimer.unref();
  }

  /**
   * One pass at a time; a reconnect during a pass queues another, and only the last queued pass
   * may declare the engine reconciled.
   */
  reconcile(): Promise<void> {
    const mine = ++this.generation;
    this.reconciled = false;
    const run = (this.running ?? Promise.resolve()).then(async () => {
      if ((await this.untilDone()) && mine === this.generation) this.reconciled = true;
    }).catch((err: unknown) => {
      this.deps.logger.error({ err }, 'reconciliation failed');
    });
    this.running = run;
    return run;
  }

  /** Stops the lease timer; resolves once a pass under way is over. */
  async stop(): Promise<void> {
    clearInterval(this.leaseTimer);
    await this.running;
  }

  /** Until a pass succeeds while connected: a failed list or write is retried with backoff. */
  private async untilDone(): Promise<boolean> {
    for (let attempt = 0; ; attempt += 1) {
      if (await this.once()) return true;
      if (!this.deps.port.isConnected() || !(await waitRetry(attempt, this.deps.retry, this.deps.stopping))) return false;
    }
  }

  private async once(): Promise<boolean> {
    const listed = await this.deps.port.listChannels();
    if (!listed.ok) {
      this.deps.logger.warn({ kind: listed.kind }, 'cannot list ARI channels to reconcile');
      return false;
    }
    this.passes += 1;
    const present = new Set(listed.value.map((c) => c.id));
    for (const call of this.deps.calls.calls()) {
      if (!call.isOriginated() || !LIVE_AFTER_ORIGINATE.has(call.currentState())) continue;
      if (present.has(call.channelId)) {
        void call.resync();
      } else {
        call.timeline('reconciled', { found: false });
        call.conclude('failed', 'channel vanished while the ARI connection was down (Asterisk restarted or the call ended unseen)');
      }
    }
    return this.sweepOrphans(() => this.withBridges(present));
  }

  /**
   * Ends the sessions of engines that are gone (orphans.ts); ARI's channel and bridge lists are
   * fetched only if there are some. False when a list or a write failed (the pass is retried).
   */
  private async sweepOrphans(ari: () => Promise<AriState | undefined>): Promise<boolean> {
    const { store, port, owner, events, logger, startedAt, calls } = this.deps;
    // Out of reach of the database ourselves a moment ago: the other engines probably were too, and
    // their leases lapsed for that reason only. They get a whole lease to renew before any takeover.
    if (Date.now() - this.renewFailedAt < this.deps.leaseMs) return true;
    try {
      const started = performance.now();
      const settled = await endOrphans({
        store, port, owner, events, logger, startedAt,
        destinationsFor: (s) => this.deps.destinationsFor(s),
        isOurs: (id) => calls.get(id) !== undefined,
        ...(this.deps.ownerAnswers ? { ownerAnswers: this.deps.ownerAnswers } : {}),
      }, ari);
      if (settled.taken > 0) logger.info({ ...settled, ms: Math.round(performance.now() - started) }, 'sessions left live by a previous run settled');
      return settled.complete;
    } catch (err) {
      logger.error({ err }, 'cannot list live sessions to reconcile');
      return false;
    }
  }

  /** ARI's bridges with a channel list already taken (undefined when the bridges cannot be listed). */
  private async withBridges(channels: ReadonlySet<string>): Promise<AriState | undefined> {
    const bridges = await this.deps.port.listBridgeIds();
    if (!bridges.ok) this.deps.logger.warn({ kind: bridges.kind }, 'cannot list ARI bridges to reconcile');
    return bridges.ok ? { channels, bridges: bridges.value } : undefined;
  }

  private async listAri(): Promise<AriState | undefined> {
    const listed = await this.deps.port.listChannels();
    return listed.ok ? this.withBridges(new Set(listed.value.map((c) => c.id))) : undefined;
  }
}
