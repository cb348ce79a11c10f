// The registry of the calls this process runs, keyed by session id, with the index that routes
// ARI events to their owner by channel id (playbacks and recordings carry their channel). A call
// is registered before its originate (events can precede the REST answer) and removed when it
// ends; a channel that is not ours (the other half of a Local channel, another application's
// call, a stale id) is counted and ignored.
import type { TelephonyEvent } from './port.js';

export interface LiveCall {
  readonly id: string;
  channelIds(): readonly string[];
  handle(event: TelephonyEvent): void;
}

export class LiveCalls<C extends LiveCall = LiveCall> {
  private readonly bySession = new Map<string, C>();
  private readonly byChannel = new Map<string, C>();
  ignored = 0;

  register(call: C): void {
    this.bySession.set(call.id, call);
    for (const ch of call.channelIds()) this.byChannel.set(ch, call);
  }

  /** Removes the call, if it is still the one registered for its session. */
  remove(call: C): void {
    if (this.bySession.get(call.id) !== call) return;
    this.bySession.delete(call.id);
    for (const ch of call.channelIds()) if (this.byChannel.get(ch) === call) this.byChannel.delete(ch);
  }

  get(sessionId: string): C | undefined {
    return this.bySession.get(sessionId);
  }

  byChannelId(channelId: string): C | undefined {
    return this.byChannel.get(channelId);
  }

  dispatch(event: TelephonyEvent): void {
    const channelId = 'channelId' in event ? event.channelId : undefined;
    const call = channelId === undefined ? undefined : this.byChannel.get(channelId);
    if (!call) {
      this.ignored += 1;
      return;
    }
    call.handle(event);
  }

  calls(): C[] {
    return [...this.bySession.values()];
  }

  size(): number {
    return this.bySession.size;
  }
}
