// With several Asterisk servers (ARI_SERVERS), one that stays unreachable must not keep its calls'
// sessions live for ever while the others carry the traffic: once it has been down for the
// grace period (SESSION_LEASE_MS, the time after which an engine that cannot reach its calls is
// considered gone), the calls on it end `failed`, saying so. If it comes back (a network cut,
// not a restart), what may still be up there of those calls is hung up, so no call outlives its
// session. With one server the engine keeps today's behaviour: calls wait for the reconnection,
// and the reconciliation that follows decides (reconciler.ts).
import type { Logger } from '../log.js';
import type { ConnectionEvent, TelephonyPort } from './port.js';
import type { CallSession } from './call-session.js';
import type { LiveCalls } from './live-calls.js';

export interface ServerLossDeps {
  port: TelephonyPort;
  calls: LiveCalls<CallSession>;
  graceMs: number;
  logger: Logger;
}

export class ServerLoss {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Channels of calls ended while their server was away, hung up when it is back. */
  private readonly abandoned = new Map<string, Set<string>>();

  constructor(private readonly deps: ServerLossDeps) {}

  onConnection(event: ConnectionEvent): void {
    const server = event.server;
    const placement = this.deps.port.placement;
    if (server === undefined || !placement || placement.servers().length < 2) return;
    if (event.type === 'disconnected') {
      if (this.timers.has(server)) return;
      const timer = setTimeout(() => this.lost(server), this.deps.graceMs);
      timer.unref();
      this.timers.set(server, timer);
      return;
    }
    clearTimeout(this.timers.get(server));
    this.timers.delete(server);
    const channels = this.abandoned.get(server);
    this.abandoned.delete(server);
    for (const channelId of channels ?? []) {
      void this.deps.port.hangup(channelId, 'normal').then((res) => {
        if (!res.ok && res.kind !== 'not-found') this.deps.logger.warn({ server, channelId, kind: res.kind }, 'could not hang up a call ended while its server was away');
      });
    }
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private lost(server: string): void {
    this.timers.delete(server);
    if (this.deps.port.placement?.isUp(server)) return;
    const seconds = Math.round(this.deps.graceMs / 1000);
    const gone = this.deps.calls.calls().filter((c) => c.stored.asteriskServer === server);
    if (gone.length === 0) return;
    this.deps.logger.warn({ server, calls: gone.length, seconds }, 'Asterisk server unreachable past the grace period: its calls end failed');
    const channels = this.abandoned.get(server) ?? new Set<string>();
    for (const call of gone) {
      channels.add(call.channelId);
      call.conclude('failed', `Asterisk server "${server}" unreachable for ${seconds} s: the call was lost`);
    }
    this.abandoned.set(server, channels);
  }
}
