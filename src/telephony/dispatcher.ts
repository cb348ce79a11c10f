// Routes telephony events to the call they belong to, by channel id. One listener on the port for
// all calls; a channel that is not ours (the other half of a Local channel, another application's
// call, a stale id) is ignored. A session is registered before its originate and removed when it
// ends, so nothing is left behind per call.
import type { TelephonyEvent } from './port.js';

export interface Routable {
  readonly channelId: string;
  handle(event: TelephonyEvent): void;
}

export class Dispatcher<S extends Routable = Routable> {
  private readonly byChannel = new Map<string, S>();
  ignored = 0;

  register(session: S): void {
    this.byChannel.set(session.channelId, session);
  }

  /** Removes the session, if it is still the one registered for its channel. */
  remove(session: S): void {
    if (this.byChannel.get(session.channelId) === session) this.byChannel.delete(session.channelId);
  }

  get(channelId: string): S | undefined {
    return this.byChannel.get(channelId);
  }

  dispatch(event: TelephonyEvent): void {
    const channelId = 'channelId' in event ? event.channelId : undefined;
    const session = channelId === undefined ? undefined : this.byChannel.get(channelId);
    if (!session) {
      this.ignored += 1;
      return;
    }
    session.handle(event);
  }

  sessions(): S[] {
    return [...this.byChannel.values()];
  }

  size(): number {
    return this.byChannel.size;
  }
}
