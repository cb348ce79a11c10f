// Events of sessions other engines run, for this engine's live streams: a reference comes over
// the bus, and only when a stream here listens to that session or account is the event read from
// the store and published to the local event bus. Reads are chained per session, so events go out
// in their order; each reference is published once (streams drop a sequence they already sent).
import type { Logger } from '../log.js';
import type { Session, SessionEvent } from '../domain/model.js';
import type { EventBus } from '../events/event-bus.js';
import { eventsOfTimeline } from '../events/event-model.js';
import type { EventRef } from './cluster-bus.js';

export interface EventSource {
  getSession(accountId: string, id: string): Promise<Session | undefined>;
  listSessionEvents(sessionId: string): Promise<SessionEvent[]>;
}

interface Pending {
  accountId: string;
  from: number;
  to: number;
}

export class RemoteEvents {
  private readonly pending = new Map<string, Pending>();
  private readonly reading = new Set<string>();

  constructor(private readonly store: EventSource, private readonly bus: EventBus, private readonly logger: Logger) {}

  receive(refs: readonly EventRef[]): void {
    for (const r of refs) {
      if (!this.bus.listening(r.accountId, r.sessionId)) continue;
      const p = this.pending.get(r.sessionId);
      if (p) p.to = Math.max(p.to, r.seq);
      else this.pending.set(r.sessionId, { accountId: r.accountId, from: r.seq, to: r.seq });
      if (!this.reading.has(r.sessionId)) void this.drain(r.sessionId);
    }
  }

  /** Reads and publishes what is pending for a session until nothing is. */
  private async drain(sessionId: string): Promise<void> {
    this.reading.add(sessionId);
    try {
      for (let p = this.pending.get(sessionId); p; p = this.pending.get(sessionId)) {
        this.pending.delete(sessionId);
        const session = await this.store.getSession(p.accountId, sessionId);
        if (!session) continue;
        const rows = await this.store.listSessionEvents(sessionId);
        for (const e of eventsOfTimeline(session, rows)) {
          if (e.sequence >= p.from && e.sequence <= p.to) this.bus.publish(e);
        }
      }
    } catch (err) {
      this.logger.warn({ err, sessionId }, 'reading the events of another engine failed');
    } finally {
      this.reading.delete(sessionId);
    }
  }
}
