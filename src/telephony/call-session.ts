// One session, from originate (or an inbound call's arrival) to its final state: the conductor of
// its leg (the channel), its flow runner and its recorder. Its life, in phases:
//   placing  – created; originate sent (or the inbound call answered); the state follows ARI
//              (dialing, ringing, in-progress)
//   running  – the channel entered the application: the flow runs (it may be redirected, held)
//   ending   – the end is known (ChannelDestroyed, or concluded without a channel): the flow unwinds
//   ended    – the final state is written (with its one `session.ended` event)
// The final state is read from how the channel ended, unless the engine or the API asked for the
// end (`endRequest`: canceled before answer, completed after) or the flow failed.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import type { Flow, Session, SessionState } from '../domain/model.js';
import type { Store } from '../store/store.js';
import { canTransition, isFinal } from '../domain/session-state.js';
import type { TelephonyEvent, TelephonyPort } from './port.js';
import { CallLeg, type LegNews } from './call-leg.js';
import { FlowRunner, type RunLimits, type RunOutcome } from './flow-runner.js';
import { SessionRecorder, type Destinations, type EventsOut } from './session-recorder.js';
import type { StepContext, StepTiming } from './steps/types.js';
import { dialAndBridge } from './dial.js';
import { resolveDialTarget, type Route } from './dial-target.js';
import type { Speaker } from '../tts/speech.js';
import type { SessionSnapshot } from '../events/event-model.js';
import type { ControlResult } from '../services/call-engine.js';

export interface CallSessionDeps {
  port: TelephonyPort;
  store: Store;
  logger: Logger;
  limits: RunLimits;
  timing: StepTiming;
  speaker?: Speaker;
  /** How long to wait for ChannelDestroyed after our own hangup before concluding anyway. */
  hangupConfirmMs: number;
  events: EventsOut;
  destinations: Destinations;
  /** The last stored seq of the session (and its snapshot then). */
  start: { seq: number; snapshot?: SessionSnapshot };
  /** Called once, when the session reached its final state and its writes are done. */
  onEnd(session: CallSession): void;
  /** An inbound call: its channel is already in the application, ringing; the engine answers it. */
  inbound?: boolean;
  /** The endpoint for a number (routing rules and destination policy), or why it may not be called. */
  route(number: string): Route;
  /** True when the number is an enabled phone number of the account. */
  owns(accountId: string, number: string): Promise<boolean>;
  /** True when the account allows caller-ID pass-through (dial callerId `first-party`). */
  callerIdPassthrough(accountId: string): Promise<boolean>;
  /** Routes the events of a further channel or bridge of this session to it. */
  attach(session: CallSession, kind: 'channel' | 'bridge', id: string): void;
}

/** The dialplan context the transfer step continues a call in (asterisk-config/extensions.conf). */
export const TRANSFER_CONTEXT = 'engine-transfer';
/** The channel variable telling that context which endpoint to dial. */
export const TRANSFER_VARIABLE = 'ENGINE_TRANSFER_TO';

type Phase = 'placing' | 'running' | 'ending' | 'ended';


export class CallSession {
  readonly id: string;
  readonly channelId: string;
  /** The session as stored when the call was made. */
  readonly stored: Session;
  private phase: Phase = 'placing';
  private readonly leg: CallLeg;
  private readonly recorder: SessionRecorder;
  private readonly callAbort = new AbortController();
  private runner: FlowRunner | undefined;
  private runDone: Promise<RunOutcome> | undefined;
  /** Why the engine or the API ended the call (drain, EndSession). */
  private endRequest: string | undefined;
  private loopGuard: string | undefined;
  /** Events of the leg a dial step is connecting (dial.ts). */
  private dialedLeg: ((event: TelephonyEvent) => void) | undefined;
  /** Set from the transfer request on: the call's StasisEnd then ends the session `completed`. */
  private transferredTo: string | undefined;
  /** Asterisk acknowledged the originate (an inbound call: from the start): only then can the channel be missing from its list. */
  private originated: boolean;
  /** EndSession asked before Asterisk acknowledged the originate: hung up once it does. */
  private endBeforeOriginate: string | undefined;
  private readonly endedPromise: Promise<void>;
  private resolveEnded: () => void = () => undefined;
  private readonly log: Logger;

  constructor(session: Session, private readonly flow: Flow, private readonly deps: CallSessionDeps) {
    this.id = session.id;
    this.channelId = session.channelId;
    this.stored = session;
    this.log = deps.logger.child({ sessionId: session.id });
    this.recorder = new SessionRecorder(session, { store: deps.store, out: deps.events, destinations: deps.destinations, log: this.log }, deps.start);
    this.leg = new CallLeg(session.channelId, deps.port, deps.hangupConfirmMs, (type, data, at) => this.recorder.timeline(type, data, at), deps.inbound ? 'inbound' : 'originated');
    this.endedPromise = new Promise<void>((resolve) => { this.resolveEnded = resolve; });
    this.originated = deps.inbound === true;
  }

  isOriginated(): boolean {
    return this.originated;
  }

  /** Asterisk answered the originate request (or a retry found the channel made): the call goes on by events. */
  originateAcknowledged(data: Record<string, unknown>): void {
    this.originated = true;
    this.recorder.timeline('ari.originated', data);
    if (this.endBeforeOriginate !== undefined) this.stop(this.endBeforeOriginate);
  }

  /** EndSession: before the originate is acknowledged there is no channel to hang up yet. */
  requestEnd(reason: string): void {
    this.recorder.timeline('session.end-requested', {});
    if (this.originated || this.recorder.state === 'queued') this.stop(reason);
    else this.endBeforeOriginate = reason;
  }

  channelIds(): readonly string[] {
    return [this.channelId];
  }

  currentState(): SessionState {
    return this.recorder.state;
  }

  isAnswered(): boolean {
    return this.leg.answered;
  }

  /** Resolves once the session is final and its writes are done. */
  ended$(): Promise<void> {
    return this.endedPromise;
  }

  /** Live media registrations (0 once the call is over). */
  mediaRegistrations(): number {
    return this.leg.media.size();
  }

  timeline(type: string, data: Record<string, unknown>, at?: string): void {
    this.recorder.timeline(type, data, at);
  }

  private transition(to: SessionState, data: Record<string, unknown> = {}, at?: string): boolean {
    const from = this.recorder.state;
    return this.recorder.transition(to, from !== to && canTransition(from, to), data, at);
  }

  /** The originate request is about to be sent. */
  markDialing(): void {
    this.transition('dialing');
  }

  /** An inbound call entered the application: it rings, is answered, and its flow runs. */
  async acceptInbound(): Promise<void> {
    this.transition('ringing');
    const res = await this.deps.port.answer(this.channelId);
    if (this.phase !== 'placing') return;
    if (!res.ok) {
      this.timeline('error', { op: 'answer', kind: res.kind, message: res.message });
      if (res.kind === 'not-found') this.conclude('canceled', 'the caller hung up before the call was answered');
      else this.stop(`answering the inbound call failed (${res.kind}): ${res.message}`);
      return;
    }
    const news = this.leg.answeredByUs(new Date().toISOString());
    if (news) this.onNews(news);
  }

  /** Ends the session without a channel to wait for (originate refused, channel vanished while ARI was away). */
  conclude(state: 'failed' | 'canceled', reason: string): void {
    if (this.phase === 'ending' || this.phase === 'ended') return;
    this.phase = 'ending';
    this.leg.markGone();
    this.abortCall(reason);
    void this.unwound().then(() => this.finish({ state, reason }));
  }

  // ---- events ----

  handle(event: TelephonyEvent): void {
    if (this.phase === 'ended') return;
    if (event.type === 'bridge-entered' || event.type === 'bridge-left' || event.type === 'bridge-destroyed') {
      this.recorder.timeline(`ari.${event.type}`, { bridgeId: event.bridgeId, ...('channelId' in event ? { leg: event.channelId } : {}) }, event.at);
      return;
    }
    if ('channelId' in event && event.channelId !== undefined && event.channelId !== this.channelId) {
      // A dialed leg: its dial step unwinds even while the session ends (its cause is recorded).
      this.dialedLeg?.(event);
      return;
    }
    if (this.phase === 'ending') return;
    const news = this.leg.handle(event);
    if (news) this.onNews(news);
  }

  private onNews(news: LegNews): void {
    switch (news.kind) {
      case 'ringing':
        this.transition('ringing', {}, news.at);
        break;
      case 'answered':
        this.transition('in-progress', {}, news.at);
        // An inbound call is already in the application: its flow starts once it is answered.
        if (this.deps.inbound) this.startFlow();
        break;
      case 'entered-app':
        this.transition('in-progress', {}, news.at);
        this.startFlow();
        break;
      case 'hangup-requested':
        this.abortCall(this.leg.hungUpByUs ? 'hung up by the engine' : 'far end hung up');
        break;
      case 'left-app':
        if (this.transferredTo !== undefined) {
          this.endTransferred(news.at);
          break;
        }
        this.abortCall(this.leg.hungUpByUs ? 'hung up by the engine' : 'channel left the application');
        break;
      case 'destroyed':
        this.onDestroyed(news.cause, news.causeTxt, news.at);
        break;
    }
  }

  private onDestroyed(cause: number, causeTxt: string, at: string): void {
    if (this.phase === 'ending' || this.phase === 'ended') return;
    this.phase = 'ending';
    this.abortCall('channel destroyed');
    const verdict = this.leg.verdict(cause, causeTxt);
    // The flow unwinds first (its last timeline entries), then the final state.
    void this.unwound().then((outcome) => {
      const failure = this.loopGuard ?? outcome?.failure;
      if (verdict.shutdown) this.finish(verdict, at);
      else if (failure && this.leg.answered) this.finish({ state: 'failed', reason: failure }, at);
      else if (this.endRequest && !this.leg.answered) this.finish({ state: 'canceled', reason: this.endRequest }, at);
      else if (this.endRequest) this.finish({ state: 'completed', reason: `${this.endRequest}; ${verdict.reason}` }, at);
      else this.finish(verdict, at);
    });
  }

  /** The transferred call left the application: the engine's part is done. */
  private endTransferred(at: string): void {
    if (this.phase === 'ending' || this.phase === 'ended') return;
    this.phase = 'ending';
    this.leg.markGone();
    void this.unwound().then(() => this.finish({ state: 'completed', reason: `transferred to ${this.transferredTo}` }, at));
  }

  private unwound(): Promise<RunOutcome | undefined> {
    return this.runDone ?? Promise.resolve(undefined);
  }

  private finish(verdict: { state: SessionState; reason: string }, at?: string): void {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    this.leg.dispose();
    if (this.leg.media.droppedDigits > 0) this.recorder.timeline('dtmf.dropped', { count: this.leg.media.droppedDigits });
    if (!this.transition(verdict.state, { reason: verdict.reason }, at)) {
      this.log.warn({ from: this.recorder.state, to: verdict.state }, 'final state not reachable from the current state');
      // Never left live: the final state is written anyway (with its one terminal event).
      if (!isFinal(this.recorder.state)) this.recorder.transition(verdict.state, true, { reason: verdict.reason }, at);
    }
    this.log.info({ state: this.recorder.state, reason: verdict.reason }, 'session ended');
    void this.recorder.settled().then(() => {
      this.resolveEnded();
      this.deps.onEnd(this);
    });
  }

  private abortCall(reason: string): void {
    if (!this.callAbort.signal.aborted) this.callAbort.abort(reason);
  }

  /** After a reconnect: events may have been lost; settle playbacks that ended meanwhile. */
  async resync(): Promise<void> {
    for (const id of this.leg.media.pendingPlaybacks()) {
      const res = await this.deps.port.playbackState(id);
      if (!res.ok && res.kind === 'not-found') {
        this.recorder.timeline('playback.lost', { playbackId: id });
        this.leg.media.markPlaybackLost(id);
      }
    }
  }

  // ---- ending the call from our side (engine stop, EndSession) ----

  /** Hangs up: a call not answered yet ends `canceled`, an answered one `completed`. */
  stop(reason: string): void {
    if (this.phase === 'ending' || this.phase === 'ended') return;
    this.endRequest = reason;
    if (this.recorder.state === 'queued') {
      this.conclude('canceled', reason);
      return;
    }
    this.abortCall(reason);
    // A running flow hangs up as it unwinds; before it, nothing else will.
    if (this.phase === 'placing') void this.leg.hangup((news) => this.onNews(news));
  }

  // ---- live control of the running flow ----

  private controllable(): ControlResult {
    if (this.phase === 'ending' || this.phase === 'ended') return { ok: false, reason: 'the call is ending' };
    if (this.phase !== 'running' || !this.runner) return { ok: false, reason: 'the call is not answered yet' };
    if (this.runner.isDone()) return { ok: false, reason: 'the flow has ended; the call is hanging up' };
    return { ok: true };
  }

  redirect(flow: Flow, stepId: string | undefined): ControlResult {
    const can = this.controllable();
    if (!can.ok) return can;
    const runner = this.runner!;
    if (runner.isHeld()) {
      // A redirect takes the call off hold: the new flow does not play under the music.
      void this.deps.port.stopMoh(this.channelId).then((res) => {
        if (!res.ok && res.kind !== 'not-found') this.log.warn({ kind: res.kind }, 'stopping music on hold failed');
      });
      this.recorder.timeline('session.hold', { hold: false });
    }
    this.recorder.timeline('session.redirected', { flowId: flow.id, flowVersion: flow.version, ...(stepId ? { stepId } : {}) });
    runner.redirect(flow, stepId);
    return can;
  }

  async hold(on: boolean, mohClass: string | undefined): Promise<ControlResult> {
    const can = this.controllable();
    if (!can.ok) return can;
    const runner = this.runner!;
    if (on === runner.isHeld()) return can;
    if (on) {
      runner.hold();
      const res = await this.deps.port.startMoh(this.channelId, mohClass);
      if (!res.ok) {
        runner.resume();
        return { ok: false, reason: res.kind === 'not-found' || res.kind === 'conflict' ? 'the call has ended' : `music on hold failed: ${res.message}` };
      }
    } else {
      const res = await this.deps.port.stopMoh(this.channelId);
      if (!res.ok && res.kind !== 'not-found') this.log.warn({ kind: res.kind }, 'stopping music on hold failed');
      runner.resume();
    }
    this.recorder.timeline('session.hold', { hold: on, ...(on && mohClass ? { mohClass } : {}) });
    return can;
  }

  async sendDtmf(digits: string): Promise<ControlResult> {
    const can = this.controllable();
    if (!can.ok) return can;
    const res = await this.deps.port.sendDtmf(this.channelId, digits);
    if (!res.ok) return { ok: false, reason: res.kind === 'not-found' || res.kind === 'conflict' ? 'the call has ended' : `sending DTMF failed: ${res.message}` };
    this.recorder.timeline('dtmf.sent', { digits });
    return can;
  }

  // ---- the flow ----

  private startFlow(): void {
    if (this.phase !== 'placing') return;
    this.phase = 'running';
    this.runner = new FlowRunner(this.flow, this.stepContext(), this.callAbort.signal, this.deps.limits, (reason) => {
      this.loopGuard ??= reason;
      this.abortCall(reason);
    });
    this.runDone = this.runner.run().then(async (outcome) => {
      if (!this.leg.gone && !outcome.transferred) await this.leg.hangup((news) => this.onNews(news));
      return outcome;
    }, (err: unknown) => {
      this.log.error({ err }, 'flow runner failed');
      return { failure: 'internal error in the flow runner' };
    });
  }

  private stepContext(): Omit<StepContext, 'signal'> {
    return {
      sessionId: this.id,
      channelId: this.channelId,
      port: this.deps.port,
      media: this.leg.media,
      timing: this.deps.timing,
      ...(this.deps.speaker ? { speaker: this.deps.speaker } : {}),
      logger: this.log,
      variables: () => this.recorder.vars(),
      setVariable: (name, value) => this.recorder.setVariable(name, value),
      timeline: (type, data) => this.recorder.timeline(type, data),
      newId: (kind) => `${kind === 'playback' ? 'pb' : 'rec'}-${randomUUID()}`,
      dial: (req, signal) => dialAndBridge({
        port: this.deps.port, sessionId: this.id, firstChannelId: this.channelId, media: this.leg.media,
        hangupConfirmMs: this.deps.hangupConfirmMs, recordingGraceMs: this.deps.timing.recordingGraceMs,
        timeline: (type, data) => this.recorder.timeline(type, data),
        resolve: (to, callerId) => resolveDialTarget(this.deps, this.stored, to, callerId),
        attach: (kind, id) => this.deps.attach(this, kind, id),
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
    const route = this.deps.route(to);
    if (!route.ok) return route;
    const set = await this.deps.port.setVariable(this.channelId, TRANSFER_VARIABLE, route.endpoint);
    if (!set.ok) return { ok: false, reason: `transfer failed (${set.kind}): ${set.message}` };
    this.transferredTo = to;
    this.recorder.timeline('session.transferred', { leg: this.channelId, to, endpoint: route.endpoint, context: TRANSFER_CONTEXT });
    const res = await this.deps.port.continueInDialplan(this.channelId, TRANSFER_CONTEXT, to, 1);
    if (!res.ok) {
      this.transferredTo = undefined;
      return { ok: false, reason: `transfer failed (${res.kind}): ${res.message}` };
    }
    return { ok: true };
  }
}
