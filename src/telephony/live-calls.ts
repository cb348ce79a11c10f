// The registry of the calls this process runs, keyed by session id, with the index that routes
// ARI events to their owner by channel id (playbacks and recordings carry their channel) or, for
// events of a bridge alone (a playback on it, BridgeDestroyed), by bridge id. A call is
// registered before its originate (events can precede the REST answer), its further legs and
// bridges are attached before they are created, and all is removed when it ends; a channel that is not ours (the other half of a Local channel, another application's
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
  private readonly byBridge = new Map<string, C>();
  private readonly attached = new Map<C, Array<{ kind: 'channel' | 'bridge'; id: string }>>();
  ignored = 0;

  register(call: C): void {
    this.bySession.set(call.id, call);
    for (const ch of call.channelIds()) this.byChannel.set(ch, call);
  }

  /** Routes the events of one more channel (a dialed leg) or bridge of a registered call to it. */
  attach(call: C, kind: 'channel' | 'bridge', id: string): void {
    if (this.bySession.get(call.id) !== call) return;
    (kind === 'channel' ? this.byChannel : this.byBridge).set(id, call);
    const list = this.attached.get(call) ?? [];
    list.push({ kind, id });
    this.attached.set(call, list);
  }

  /** Removes the call, if it is still the one registered for its session. */
  remove(call: C): void {
    if (this.bySession.get(call.id) !== call) return;
    this.bySession.delete(call.id);
    for (const ch of call.channelIds()) if (this.byChannel.get(ch) === call) this.byChannel.delete(ch);
    for (const { kind, id } of this.attached.get(call) ?? []) {
      const index = kind === 'channel' ? this.byChannel : this.byBridge;
      if (index.get(id) === call) index.delete(id);
    }
    this.attached.delete(call);
  }

  get(sessionId: string): C | undefined {
    return this.bySession.get(sessionId);
  }

  byChannelId(channelId: string): C | undefined {
    return this.byChannel.get(channelId);
  }

  dispatch(event: TelephonyEvent): void {
    const channelId = 'channelId' in event ? event.channelId : undefined;
    const bridgeId = 'bridgeId' in event ? event.bridgeId : undefined;
    const call = (channelId === undefined ? undefined : this.byChannel.get(channelId))
      ?? (bridgeId === undefined ? undefined : this.byBridge.get(bridgeId));
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
