// The streams of the process (the `stream` step's service): opens a stream for a call — the agent's
// socket first (a refused agent costs Asterisk nothing), then Asterisk's media leg(s) — and keeps
// each call's forked streams by the id of the step that started them, so that `stopStream` finds
// them and the call's end stops them.
import type { TimelineWriter } from '../domain/timeline.js';
import type { Logger } from '../log.js';
import type { StreamMediaPort, TelephonyPort } from '../telephony/port.js';
import { connectAgent } from './agent-socket.js';
import { MediaLeg, type MediaLegSource } from './media-leg.js';
import { StreamRelay, type StreamObserver } from './stream-relay.js';
import { newStreamSid } from './stream-ids.js';
import * as proto from './twilio-protocol.js';
import type { StreamHost, StreamRequest } from './stream-host.js';

export interface StreamServiceDeps {
  port: TelephonyPort;
  media: StreamMediaPort;
  /** ALLOW_PRIVATE_DESTINATIONS: agents may be on loopback/private addresses. */
  allowPrivate: boolean;
  logger: Logger;
  observer?: StreamObserver;
}

export interface CallInfo {
  sessionId: string;
  accountId: string;
  channelId: string;
  /** The call's own signal: its end stops the forked streams. */
  signal: AbortSignal;
  timeline: TimelineWriter;
  logger: Logger;
}

export class StreamService {
  private live = 0;

  constructor(private readonly deps: StreamServiceDeps) {}

  liveStreams(): number {
    return this.live;
  }

  forCall(call: CallInfo): CallStreams {
    return new CallStreams(this, call);
  }

  /** Opens a stream; the reason when the agent or Asterisk's media could not be set up. */
  async open(call: CallInfo, req: StreamRequest): Promise<StreamRelay | { failed: string }> {
    const agent = await connectAgent(req.url, req.connectTimeoutMs, this.deps.allowPrivate);
    if (!agent.ok) return { failed: agent.reason };
    const socket = agent.socket;
    socket.send(proto.connectedMessage());
    const sources: Array<{ source: MediaLegSource; track: proto.Track }> = req.fork
      ? req.tracks.map((track) => ({ source: { kind: 'snoop', spy: track === 'inbound' ? 'in' : 'out' }, track }))
      : [{ source: { kind: 'caller' }, track: 'inbound' }];
    const legs: Array<{ leg: MediaLeg; track: proto.Track }> = [];
    for (const { source, track } of sources) {
      const opened = call.signal.aborted
        ? { ok: false as const, kind: 'failed' as const, message: 'the call ended' }
        : await MediaLeg.open(this.deps, call.channelId, source);
      if (!opened.ok) {
        await Promise.all(legs.map(({ leg }) => leg.close()));
        socket.close(1011);
        return { failed: `Asterisk's media could not be set up (${opened.kind}): ${opened.message}` };
      }
      legs.push({ leg: opened.value, track });
    }
    if (socket.readyState !== socket.OPEN) {
      await Promise.all(legs.map(({ leg }) => leg.close()));
      return { failed: 'the agent closed its socket before the stream started' };
    }
    this.live += 1;
    const relay = new StreamRelay(socket, legs, {
      stepId: req.stepId, streamSid: newStreamSid(), callSid: call.sessionId, accountSid: call.accountId,
      customParameters: req.customParameters, bidirectional: !req.fork, timeline: call.timeline,
      logger: call.logger, ...(this.deps.observer ? { observer: this.deps.observer } : {}),
    });
    const unsubscribe = relay.subscribe(() => {
      unsubscribe();
      this.live -= 1;
    });
    return relay;
  }
}

/** One call's view: what its steps open, and its forked streams by step id. */
export class CallStreams implements StreamHost {
  private readonly forks = new Map<string, StreamRelay>();

  constructor(private readonly service: StreamService, private readonly call: CallInfo) {
    call.signal.addEventListener('abort', () => {
      for (const relay of this.forks.values()) void relay.stop('hangup');
      this.forks.clear();
    }, { once: true });
  }

  async open(req: StreamRequest): Promise<StreamRelay | { failed: string }> {
    if (req.fork) await this.stop(req.stepId, 'restarted');
    const relay = await this.service.open(this.call, req);
    if ('failed' in relay || !req.fork) return relay;
    if (this.call.signal.aborted) {
      void relay.stop('hangup');
      return relay;
    }
    this.forks.set(req.stepId, relay);
    relay.subscribe(() => {
      if (this.forks.get(req.stepId) === relay) this.forks.delete(req.stepId);
    });
    return relay;
  }

  /** Stops the forked stream started by `stepId`; false when none runs. */
  async stop(stepId: string, reason: string): Promise<boolean> {
    const relay = this.forks.get(stepId);
    if (!relay) return false;
    this.forks.delete(stepId);
    await relay.stop(reason);
    return true;
  }
}
