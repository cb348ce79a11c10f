// Channels in this engine's Stasis application that none of its calls runs: a call Asterisk
// answered after the engine had given up on it (originate timed out), a refused call whose
// hang-up failed, a StasisStart lost while the WebSocket reconnected. Nothing else would ever end
// them, so every UNOWNED_CHANNEL_SWEEP_MS the port's channel list (GET /channels on each connected
// server, the list the reconciliation takes) is compared with the live calls, and those found
// unowned are hung up, with the retries of hangUpUnowned. Never touched: another engine's
// channels (another application: the name must match whole, `engine` is not `engine-b`) and
// channels in the dialplan rather than in Stasis (an originate still ringing shows `AppDial2`).
import type { Logger } from '../log.js';
import type { ChannelListing, TelephonyPort } from './port.js';
import { hangUpUnowned, type RetryPolicy } from './retry.js';

export interface UnownedChannelsDeps {
  port: TelephonyPort;
  /** This engine's Stasis application (ARI_APP). */
  app: string;
  /** 0: no sweep. */
  periodMs: number;
  /** A channel younger than this (by its creationtime) is left alone. */
  graceMs: number;
  /** Whether a live call of this engine (or an inbound call being looked up) owns the channel. */
  owned(channelId: string): boolean;
  retry: RetryPolicy;
  /** Fires when the engine stops: no hang-up retry waits past it. */
  stopping: AbortSignal;
  logger: Logger;
  /** Told of each channel hung up (metrics). */
  onHungUp?(server: string | undefined): void;
}

export class UnownedChannelSweep {
  sweeps = 0;
  hungUp = 0;
  /** The channels the last sweep found unowned. */
  private suspects = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly deps: UnownedChannelsDeps) {}

  start(): void {
    if (this.deps.periodMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      // A sweep slower than the period (retries against an overloaded Asterisk) is not doubled.
      this.running ??= this.sweep()
        .catch((err: unknown) => this.deps.logger.error({ err }, 'sweep of channels no call owns failed'))
        .finally(() => { this.running = undefined; });
    }, this.deps.periodMs);
    this.timer.unref();
  }

  /** Stops the timer; resolves once a sweep under way is over (its retries end with `stopping`). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async sweep(): Promise<void> {
    const { port, app, graceMs, owned, logger } = this.deps;
    if (!port.isConnected()) return;
    const listed = await port.listChannels();
    if (!listed.ok) {
      logger.warn({ kind: listed.kind }, 'cannot list ARI channels to find those no call owns');
      return;
    }
    this.sweeps += 1;
    const now = Date.now();
    // Ownership is asked after the list: a call that ended meanwhile is hung up by its session and
    // is gone from the next list; a call registered meanwhile is owned already.
    const unowned = listed.value.filter((c) => c.stasisApp === app && !owned(c.id));
    const previous = this.suspects;
    this.suspects = new Set(unowned.map((c) => c.id));
    // Hung up only when unowned on two sweeps in a row AND older than the grace. The second sighting
    // is measured on the engine's clock (creationtime is Asterisk's, which may drift) and outlasts
    // a StasisStart still in flight when the first list was taken (events lag REST on a loaded
    // Asterisk); the grace keeps a short period (tests, a small setting) from racing a call just
    // arriving, whose session does not exist yet. A channel without a creationtime counts as old.
    const due = unowned.filter((c) => previous.has(c.id) && now - (c.createdMs ?? 0) >= graceMs);
    await Promise.all(due.map((c) => this.hangUp(c, now)));
  }

  private async hangUp(c: ChannelListing, now: number): Promise<void> {
    const { port, retry, stopping, logger } = this.deps;
    const where = c.server === undefined ? {} : { server: c.server };
    logger.warn({ channelId: c.id, ...where, ...(c.createdMs === undefined ? {} : { ageMs: now - c.createdMs }) },
      'hanging up a channel in the application that no call of this engine runs');
    // Its hang-up goes to the server that listed it, not to each server in turn.
    if (c.server !== undefined) port.placement?.pin(c.server, c.id);
    const res = await hangUpUnowned(port, c.id, 'normal', retry, stopping);
    if (res.ok) {
      this.hungUp += 1;
      this.deps.onHungUp?.(c.server);
    } else if (res.kind !== 'not-found') {
      logger.warn({ channelId: c.id, ...where, kind: res.kind }, 'could not hang up a channel no call owns');
    }
  }
}
