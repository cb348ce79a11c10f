// One stream between a call and an agent, in Twilio's Media Streams protocol (twilio-protocol.ts):
// the caller's audio from Asterisk's media socket(s) (media-leg.ts) goes to the agent as `media`
// messages as each 20 ms frame comes (μ-law passed through, base64 the only copy); the agent's
// audio plays back through the playout (playout.ts: real-time pacing, marks, clear).
// Backpressure: a frame for an agent whose socket has more than MAX_AGENT_BUFFERED_BYTES unsent is
// dropped and counted, never queued without bound; nothing here waits on a socket, so a slow agent
// costs only its own frames. The stream ends once (finish): the agent closed (cleanly or not),
// asked engine.exit, or the engine stops it (maxDurationMs, stopStream, hangup, redirect); the
// agent then gets `stop`, and the timeline one `stream.stopped` row with the frame counts.
import type { TimelineWriter } from '../domain/timeline.js';
import WebSocket from 'ws';
import type { Logger } from '../log.js';
import { Playout } from './playout.js';
import type { MediaLeg } from './media-leg.js';
import * as proto from './twilio-protocol.js';
import type { StreamEnd, StreamHandle } from './stream-host.js';

/** Unsent bytes to an agent beyond which its frames are dropped (about 2.5 s of media messages). */
export const MAX_AGENT_BUFFERED_BYTES = 128 * 1024;

export interface StreamObserver {
  started(): void;
  ended(): void;
  /** A frame relayed; `ms` the engine-added delay. */
  relayed(direction: 'to-agent' | 'to-caller', ms: number): void;
  dropped(direction: 'to-agent' | 'to-caller', frames: number): void;
}

export interface StreamCounts {
  framesToAgent: number;
  framesToCaller: number;
  droppedToAgent: number;
  droppedToCaller: number;
  marks: number;
  clears: number;
}

export interface RelayOptions {
  stepId: string;
  streamSid: string;
  callSid: string;
  accountSid: string;
  customParameters: Record<string, string>;
  /** Talks back: the agent's audio plays to the caller (one inbound leg bridged with the caller). */
  bidirectional: boolean;
  timeline: TimelineWriter;
  logger: Logger;
  observer?: StreamObserver;
}

export class StreamRelay implements StreamHandle {
  private seq = 0;
  private done = false;
  private end: StreamEnd | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly playout: Playout | undefined;
  private readonly trackBytes = new Map<MediaLeg, number>();
  readonly counts: StreamCounts = { framesToAgent: 0, framesToCaller: 0, droppedToAgent: 0, droppedToCaller: 0, marks: 0, clears: 0 };
  readonly closed: Promise<void>;
  private resolveClosed: () => void = () => undefined;

  constructor(private readonly agent: WebSocket, private readonly legs: Array<{ leg: MediaLeg; track: proto.Track }>, private readonly opts: RelayOptions) {
    this.closed = new Promise((resolve) => { this.resolveClosed = resolve; });
    const first = legs[0]?.leg;
    this.playout = opts.bidirectional && first ? new Playout({
      send: (frame) => {
        if (first.send(frame)) this.counts.framesToCaller += 1;
        else this.dropToCaller(1);
      },
      mark: (name) => this.echoMark(name),
      latency: (ms) => opts.observer?.relayed('to-caller', ms),
    }) : undefined;
    this.send(proto.startMessage(this.nextSeq(), {
      streamSid: opts.streamSid, accountSid: opts.accountSid, callSid: opts.callSid,
      tracks: legs.map((l) => l.track), customParameters: opts.customParameters,
    }));
    opts.observer?.started();
    opts.timeline('stream.started', { stepId: opts.stepId, streamSid: opts.streamSid, tracks: legs.map((l) => l.track), bidirectional: opts.bidirectional });
    for (const { leg, track } of legs) {
      this.trackBytes.set(leg, 0);
      leg.listen((frame, at) => this.toAgent(leg, track, frame, at), () => this.finish({ kind: 'media-lost' }));
    }
    agent.on('message', (data, isBinary) => {
      if (!isBinary) this.fromAgent(String(data));
    });
    agent.on('close', (code) => this.finish(code === 1006 ? { kind: 'dropped' } : { kind: 'closed' }));
    agent.on('error', () => undefined);
  }

  get streamSid(): string {
    return this.opts.streamSid;
  }

  /** How the stream ended, once it has. */
  ended(): StreamEnd | undefined {
    return this.end;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dtmf(digit: string): void {
    if (!this.done) this.send(proto.dtmfMessage(this.nextSeq(), this.opts.streamSid, digit));
  }

  /** The engine ends the stream (maxDurationMs, stopStream, hangup, redirect). */
  stop(reason: string): Promise<void> {
    this.finish({ kind: 'stopped', reason });
    return this.closed;
  }

  private nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  private send(text: string): void {
    if (this.agent.readyState === WebSocket.OPEN) this.agent.send(text);
  }

  private toAgent(leg: MediaLeg, track: proto.Track, frame: Buffer, at: number): void {
    if (this.done) return;
    if (this.agent.bufferedAmount > MAX_AGENT_BUFFERED_BYTES || this.agent.readyState !== WebSocket.OPEN) {
      this.counts.droppedToAgent += 1;
      this.opts.observer?.dropped('to-agent', 1);
      return;
    }
    const bytes = this.trackBytes.get(leg) ?? 0;
    this.trackBytes.set(leg, bytes + frame.length);
    this.counts.framesToAgent += 1;
    const chunk = Math.floor(bytes / 160) + 1;
    this.agent.send(proto.mediaMessage(this.nextSeq(), this.opts.streamSid, track, chunk, Math.floor(bytes / 8), frame));
    this.opts.observer?.relayed('to-agent', performance.now() - at);
  }

  private fromAgent(text: string): void {
    if (this.done) return;
    const msg = proto.parseAgentMessage(text);
    if (!msg) return;
    switch (msg.event) {
      case 'media':
        if (!this.playout) return;
        {
          const before = this.playout.dropped;
          this.playout.push(msg.payload);
          if (this.playout.dropped > before) this.dropToCaller(this.playout.dropped - before);
        }
        return;
      case 'mark':
        if (this.playout) this.playout.pushMark(msg.name);
        return;
      case 'clear': {
        if (!this.playout) return;
        this.counts.clears += 1;
        const cleared = this.playout.clear();
        this.opts.timeline('stream.clear', { stepId: this.opts.stepId, streamSid: this.opts.streamSid, clearedFrames: cleared });
        return;
      }
      case 'engine.exit':
        this.opts.timeline('stream.exit', { stepId: this.opts.stepId, streamSid: this.opts.streamSid, next: msg.next ?? null, variables: Object.keys(msg.variables) });
        this.finish({ kind: 'exit', variables: msg.variables, ...(msg.next === undefined ? {} : { next: msg.next }) });
        return;
    }
  }

  private echoMark(name: string): void {
    if (this.done) return;
    this.counts.marks += 1;
    this.send(proto.markMessage(this.nextSeq(), this.opts.streamSid, name));
    this.opts.timeline('stream.mark', { stepId: this.opts.stepId, streamSid: this.opts.streamSid, name });
  }

  private dropToCaller(frames: number): void {
    this.counts.droppedToCaller += frames;
    this.opts.observer?.dropped('to-caller', frames);
  }

  private finish(end: StreamEnd): void {
    if (this.done) return;
    this.done = true;
    this.end = end;
    this.playout?.stop();
    if (end.kind !== 'closed' && end.kind !== 'dropped') {
      this.send(proto.stopMessage(this.nextSeq(), this.opts.streamSid, this.opts.accountSid, this.opts.callSid));
      if (this.agent.readyState === WebSocket.OPEN) this.agent.close(1000);
    }
    this.opts.observer?.ended();
    this.opts.timeline('stream.stopped', {
      stepId: this.opts.stepId, streamSid: this.opts.streamSid,
      reason: end.kind === 'stopped' ? end.reason : end.kind, ...this.counts,
    });
    for (const l of [...this.listeners]) l();
    void Promise.all(this.legs.map(({ leg }) => leg.close())).catch((err: unknown) => {
      this.opts.logger.warn({ err, streamSid: this.opts.streamSid }, 'could not remove a stream\'s media channel');
    }).then(() => this.resolveClosed());
  }
}
