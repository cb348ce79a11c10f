// What runs a flow on a call, written once for live calls (call-session.ts) and flow simulation
// (simulate/simulate-flow.ts): the routing of the call's events (bridge events to the timeline, a
// dialed leg's to its dial step, media events to the waits of the steps), the step context, the
// flow runner with its per-step abort, the dial step's wiring and the blind transfer. A simulated
// call differs from a live one only by what it is given: its port (a scripted callee) and its
// timers (a virtual clock), and where its timeline and variables go.
import type { Logger } from '../log.js';
import type { Flow } from '../domain/model.js';
import type { Speaker } from '../tts/speech.js';
import type { TelephonyEvent, TelephonyPort } from './port.js';
import { CallMedia } from './call-media.js';
import { FlowRunner, type RunLimits } from './flow-runner.js';
import { dialAndBridge, type DialContext } from './dial.js';
import type { DialTarget, Route } from './dial-target.js';
import type { StepContext, StepTiming } from './steps/types.js';
import type { Timers } from './wait.js';
import type { StreamHost } from '../streams/stream-host.js';
import type { TimelineWriter } from '../domain/timeline.js';

/** The dialplan context the transfer step continues a call in (asterisk-config/extensions.conf). */
export const TRANSFER_CONTEXT = 'engine-transfer';
/** The channel variable telling that context which endpoint to dial. */
export const TRANSFER_VARIABLE = 'ENGINE_TRANSFER_TO';

export interface CallRuntimeDeps {
  port: TelephonyPort;
  sessionId: string;
  channelId: string;
  timing: StepTiming;
  timers: Timers;
  hangupConfirmMs: number;
  speaker?: Speaker;
  /** The call's media streams, given the call's signal (their end with it). */
  streams?: (callSignal: AbortSignal) => StreamHost;
  logger: Logger;
  variables(): Record<string, string>;
  setVariable(name: string, value: string): void;
  timeline: TimelineWriter;
  /** A fresh id for a playback or recording of a step. */
  newId(kind: 'playback' | 'recording'): string;
  /** Ids of what a dial creates (default: dial.ts's random ones). */
  dialIds?: DialContext['newId'];
  /** Where a dial step's call goes and the number it shows (dial-target.ts). */
  resolveDial(to: string, callerId: string | undefined): Promise<DialTarget>;
  /** Where a transfer goes (dial-target.ts routeNumber). */
  route(to: string): Route;
  /** Routes the events of a new channel or bridge to this call (before it is created). */
  attach(kind: 'channel' | 'bridge', id: string): void;
  /** The call was handed to the dialplan for `to` (undefined: the hand-over failed after all). */
  transferring(to: string | undefined): void;
}

export class CallRuntime {
  readonly media = new CallMedia();
  /** Events of the leg a dial step is connecting (dial.ts). */
  private dialedLeg: ((event: TelephonyEvent) => void) | undefined;

  constructor(private readonly deps: CallRuntimeDeps) {}

  /**
   * Routes an event that is not about the call's own channel: a bridge's to the timeline, a
   * dialed leg's to its dial step (which unwinds even while the call ends). False: the event is
   * the call's own (its media events go to `media`, the rest to the call's leg).
   */
  handleOther(event: TelephonyEvent): boolean {
    if (event.type === 'bridge-entered' || event.type === 'bridge-left') {
      this.deps.timeline(`ari.${event.type}`, { bridgeId: event.bridgeId, leg: event.channelId }, event.at);
      return true;
    }
    if (event.type === 'bridge-destroyed') {
      this.deps.timeline('ari.bridge-destroyed', { bridgeId: event.bridgeId }, event.at);
      return true;
    }
    if ('channelId' in event && event.channelId !== undefined && event.channelId !== this.deps.channelId) {
      this.dialedLeg?.(event);
      return true;
    }
    return false;
  }

  /** The flow's runner on this call; `signal` is the call's (hangup, engine stop, loop guard). */
  runner(flow: Flow, signal: AbortSignal, limits: RunLimits, onLoopGuard: (reason: string) => void): FlowRunner {
    return new FlowRunner(flow, this.stepContext(signal), signal, limits, onLoopGuard);
  }

  private stepContext(callSignal: AbortSignal): Omit<StepContext, 'signal'> {
    const d = this.deps;
    return {
      sessionId: d.sessionId,
      channelId: d.channelId,
      port: d.port,
      media: this.media,
      timing: d.timing,
      timers: d.timers,
      ...(d.speaker ? { speaker: d.speaker } : {}),
      ...(d.streams ? { streams: d.streams(callSignal) } : {}),
      logger: d.logger,
      variables: () => d.variables(),
      setVariable: (name, value) => d.setVariable(name, value),
      timeline: (...args) => d.timeline(...args),
      newId: (kind) => d.newId(kind),
      dial: (req, signal) => dialAndBridge({
        port: d.port, sessionId: d.sessionId, firstChannelId: d.channelId, media: this.media,
        hangupConfirmMs: d.hangupConfirmMs, recordingGraceMs: d.timing.recordingGraceMs, timers: d.timers,
        ...(d.dialIds ? { newId: d.dialIds } : {}),
        timeline: (...args) => d.timeline(...args),
        resolve: (to, callerId) => d.resolveDial(to, callerId),
        attach: (kind, id) => d.attach(kind, id),
        setDialedLeg: (handler) => { this.dialedLeg = handler; },
      }, req, signal),
      transfer: (to) => this.transfer(to),
    };
  }

  /**
   * Blind transfer: the endpoint goes in a channel variable and the call continues in the
   * dialplan context that dials it (POST /channels/{id}/continue). Chosen over
   * POST /channels/{id}/redirect, which asks the far end to re-route (a SIP 302 or REFER) and so
   * works only with endpoints of the same technology whose far end accepts it — not on trunk
   * calls; continuing in the dialplan reaches any routed number, and the dialplan is ours.
   */
  private async transfer(to: string): Promise<{ ok: true } | { ok: false; reason: string }> {
    const d = this.deps;
    const route = d.route(to);
    if (!route.ok) return route;
    const set = await d.port.setVariable(d.channelId, TRANSFER_VARIABLE, route.endpoint);
    if (!set.ok) return { ok: false, reason: `transfer failed (${set.kind}): ${set.message}` };
    // Before the request: the call's StasisEnd may come before its answer.
    d.transferring(to);
    d.timeline('session.transferred', { leg: d.channelId, to, endpoint: route.endpoint, context: TRANSFER_CONTEXT });
    const res = await d.port.continueInDialplan(d.channelId, TRANSFER_CONTEXT, to, 1);
    if (!res.ok) {
      d.transferring(undefined);
      return { ok: false, reason: `transfer failed (${res.kind}): ${res.message}` };
    }
    return { ok: true };
  }
}
