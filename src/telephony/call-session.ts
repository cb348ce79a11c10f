// One call, from its stored `queued` session to its final state: the call's state machine. It
// owns the call's phase, conducts its leg (the channel's state, as data), its runtime (the flow
// and its steps: call-runtime.ts) and its recorder (what is stored). Its phases:
//   queued       stored; nothing sent to Asterisk yet
//   dialing      originate sent (Asterisk's answer may come after its first events)
//   ringing      the far end rings (an inbound call: from its arrival)
//   answered     the far end answered; the channel is not in the application yet (an inbound
//                call's flow starts here)
//   running      the channel is in the application: the flow runs (it may be redirected, held)
//   transferring handed to the dialplan: its StasisEnd ends the session `completed`
//   ending       the end is known (`end`): the flow unwinds
//   ended        the final state is written (with its one `session.ended` event)
// Every way a call ends goes through `end`: the channel destroyed (the final state read from how
// it ended, unless the engine or the API asked for the end — `endRequest`: canceled before
// answer, completed after — or the flow failed), ended without a channel to wait for (originate
// refused, vanished while ARI was away, drain), or transferred.
// Longer than 250 lines on purpose: the whole state machine of a call (every phase transition,
// every ending) reads in this one file; the live control of its running flow is at its end.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import type { Flow, Session, SessionState } from '../domain/model.js';
import { SessionWritesLostError, type SessionUnitWriter } from '../store/store.js';
import { canTransition, isFinal } from '../domain/session-state.js';
import type { TelephonyEvent, TelephonyPort } from './port.js';
import { CallLeg, type LegNews } from './call-leg.js';
import type { FlowRunner, RunLimits, RunOutcome } from './flow-runner.js';
import { SessionRecorder, type Destinations, type EventsOut, type StateChange } from './session-recorder.js';
import type { StepTiming } from './steps/types.js';
import { resolveDialTarget, type Route } from './dial-target.js';
import { CallRuntime } from './call-runtime.js';
import { REAL_TIMERS } from './wait.js';
import type { StreamService } from '../streams/streams.js';
import type { Speaker } from '../tts/speech.js';
import type { SessionSnapshot } from '../events/event-model.js';
import type { ControlResult } from '../services/call-engine.js';
import type { TimelineArgs, TimelineData } from '../domain/timeline.js';

export { TRANSFER_CONTEXT, TRANSFER_VARIABLE } from './call-runtime.js';

export interface CallSessionDeps {
  port: TelephonyPort;
  store: SessionUnitWriter;
  logger: Logger;
  limits: RunLimits;
  timing: StepTiming;
  speaker?: Speaker;
  /** Media streams to WebSocket agents (the stream step). */
  streams?: StreamService;
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

export type CallPhase = 'queued' | 'dialing' | 'ringing' | 'answered' | 'running' | 'transferring' | 'ending' | 'ended';

/** Phases before the flow runs. */
const BEFORE_FLOW: ReadonlySet<CallPhase> = new Set(['queued', 'dialing', 'ringing', 'answered']);

/** How a call ends (see `end`). */
type Ending =
  | { kind: 'destroyed'; cause: number; causeTxt: string; at: string }
  | { kind: 'concluded'; state: 'failed' | 'canceled'; reason: string }
  | { kind: 'transferred'; at: string };

export class CallSession {
  readonly id: string;
  readonly channelId: string;
  /** The session as stored when the call was made. */
  readonly stored: Session;
  private phase: CallPhase;
  private readonly leg: CallLeg;
  private readonly recorder: SessionRecorder;
  private readonly runtime: CallRuntime;
  private readonly callAbort = new AbortController();
  private runner: FlowRunner | undefined;
  private runDone: Promise<RunOutcome> | undefined;
  /** Why the engine or the API ended the call (drain, EndSession). */
  private endRequest: string | undefined;
  private loopGuard: string | undefined;
  /** The store gave up this call's writes (its database unreachable for too long): why. */
  private writesLost: string | undefined;
  /** Where the call was transferred (phase `transferring`). */
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
    this.phase = 'queued';
    this.originated = deps.inbound === true;
    this.log = deps.logger.child({ sessionId: session.id });
    this.recorder = new SessionRecorder(session, {
      store: deps.store, out: deps.events, destinations: deps.destinations, log: this.log,
      onWriteFailed: (err) => { if (err instanceof SessionWritesLostError) this.loseWrites(err.message); },
    }, deps.start);
    this.leg = new CallLeg(session.channelId, deps.port, deps.hangupConfirmMs, (...args) => this.recorder.timeline(...args), deps.inbound ? 'inbound' : 'originated');
    this.runtime = new CallRuntime({
      port: deps.port, sessionId: session.id, channelId: session.channelId, timing: deps.timing, timers: REAL_TIMERS,
      hangupConfirmMs: deps.hangupConfirmMs, ...(deps.speaker ? { speaker: deps.speaker } : {}), logger: this.log,
      ...(deps.streams ? { streams: (signal: AbortSignal) => deps.streams!.forCall({
        sessionId: session.id, accountId: session.accountId, channelId: session.channelId, signal,
        timeline: (...args) => this.recorder.timeline(...args), logger: this.log,
      }) } : {}),
      variables: () => this.recorder.vars(),
      setVariable: (name, value) => this.recorder.setVariable(name, value),
      timeline: (...args) => this.recorder.timeline(...args),
      newId: (kind) => `${kind === 'playback' ? 'pb' : 'rec'}-${randomUUID()}`,
      resolveDial: (to, callerId) => resolveDialTarget(deps, session, to, callerId),
      route: (to) => deps.route(to),
      attach: (kind, id) => deps.attach(this, kind, id),
      transferring: (to) => {
        this.transferredTo = to;
        if (to !== undefined && this.phase === 'running') this.phase = 'transferring';
        else if (to === undefined && this.phase === 'transferring') this.phase = 'running';
      },
    });
    this.endedPromise = new Promise<void>((resolve) => { this.resolveEnded = resolve; });
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

  isOriginated(): boolean {
    return this.originated;
  }

  /** Resolves once the session is final and its writes are done. */
  ended$(): Promise<void> {
    return this.endedPromise;
  }

  /** Live media registrations (0 once the call is over). */
  mediaRegistrations(): number {
    return this.runtime.media.size();
  }

  timeline(...args: TimelineArgs): void {
    this.recorder.timeline(...args);
  }

  // ---- the state machine: every transition of the phase is here ----

  private isEnding(): boolean {
    return this.phase === 'ending' || this.phase === 'ended';
  }

  /** The stored state follows; false when the session's state machine refuses the step. */
  private transition(to: SessionState, data: StateChange = {}, at?: string): boolean {
    const from = this.recorder.state;
    return this.recorder.transition(to, from !== to && canTransition(from, to), data, at);
  }

  /** The originate request is about to be sent. */
  markDialing(): void {
    if (this.phase === 'queued') this.phase = 'dialing';
    this.transition('dialing');
  }

  /** Asterisk answered the originate request (or a retry found the channel made): the call goes on by events. */
  originateAcknowledged(data: TimelineData['ari.originated']): void {
    this.originated = true;
    this.recorder.timeline('ari.originated', data);
    if (this.endBeforeOriginate !== undefined) this.stop(this.endBeforeOriginate);
  }

  /** An inbound call entered the application: it rings, is answered, and its flow runs. */
  async acceptInbound(): Promise<void> {
    this.phase = 'ringing';
    this.transition('ringing');
    const res = await this.deps.port.answer(this.channelId);
    if (!BEFORE_FLOW.has(this.phase)) return;
    if (!res.ok) {
      this.timeline('error', { op: 'answer', kind: res.kind, message: res.message });
      if (res.kind === 'not-found') this.conclude('canceled', 'the caller hung up before the call was answered');
      else this.stop(`answering the inbound call failed (${res.kind}): ${res.message}`);
      return;
    }
    const news = this.leg.answeredByUs(new Date().toISOString());
    if (news) this.onNews(news);
  }

  handle(event: TelephonyEvent): void {
    if (this.phase === 'ended') return;
    // Bridges and a dialed leg: recorded and unwound even while the session ends.
    if (this.runtime.handleOther(event)) return;
    if (this.phase === 'ending') return;
    if (this.runtime.media.handle(event)) return;
    const news = this.leg.handle(event);
    if (news) this.onNews(news);
  }

  private onNews(news: LegNews): void {
    switch (news.kind) {
      case 'ringing':
        if (this.phase === 'queued' || this.phase === 'dialing') this.phase = 'ringing';
        this.transition('ringing', {}, news.at);
        break;
      case 'answered':
        if (BEFORE_FLOW.has(this.phase)) this.phase = 'answered';
        this.transition('in-progress', {}, news.at);
        // An inbound call is already in the application: its flow starts once it is answered.
        if (this.deps.inbound) this.startFlow();
        break;
      case 'entered-app':
        this.transition('in-progress', {}, news.at);
        this.startFlow();
        break;
      case 'hangup-requested':
        this.abortCall(this.leg.now.hungUpByUs ? 'hung up by the engine' : 'far end hung up');
        break;
      case 'left-app':
        if (this.phase === 'transferring') this.end({ kind: 'transferred', at: news.at });
        else this.abortCall(this.leg.now.hungUpByUs ? 'hung up by the engine' : 'channel left the application');
        break;
      case 'destroyed':
        this.end({ kind: 'destroyed', cause: news.cause, causeTxt: news.causeTxt, at: news.at });
        break;
    }
  }

  private startFlow(): void {
    if (!BEFORE_FLOW.has(this.phase)) return;
    this.phase = 'running';
    this.runner = this.runtime.runner(this.flow, this.callAbort.signal, this.deps.limits, (reason) => {
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

  /** Ends the session without a channel to wait for (originate refused, channel vanished while ARI was away, drain). */
  conclude(state: 'failed' | 'canceled', reason: string): void {
    this.end({ kind: 'concluded', state, reason });
  }

  /** Hangs up: a call not answered yet ends `canceled`, an answered one `completed`. */
  stop(reason: string): void {
    if (this.isEnding()) return;
    this.endRequest = reason;
    if (this.recorder.state === 'queued') {
      this.conclude('canceled', reason);
      return;
    }
    this.abortCall(reason);
    // A running flow hangs up as it unwinds; before it, nothing else will.
    if (BEFORE_FLOW.has(this.phase)) void this.leg.hangup((news) => this.onNews(news));
  }

  /** The call's writes cannot be kept: it is hung up and ends `failed` with the reason (written once the database is back). */
  private loseWrites(reason: string): void {
    if (this.isEnding()) return;
    this.writesLost = reason;
    if (this.recorder.state === 'queued') this.conclude('failed', reason);
    else this.stop(reason);
  }

  /** EndSession: before the originate is acknowledged there is no channel to hang up yet. */
  requestEnd(reason: string): void {
    this.recorder.timeline('session.end-requested', {});
    if (this.originated || this.recorder.state === 'queued') this.stop(reason);
    else this.endBeforeOriginate = reason;
  }

  /**
   * The one way a call ends: the phase becomes `ending`, the flow unwinds (its last timeline
   * rows), then the final state is written (`settle`).
   */
  private end(ending: Ending): void {
    if (this.isEnding()) return;
    this.phase = 'ending';
    if (ending.kind === 'destroyed') {
      this.abortCall('channel destroyed');
      const verdict = this.leg.verdict(ending.cause, ending.causeTxt);
      void this.unwound().then((outcome) => {
        const failure = this.loopGuard ?? outcome?.failure;
        const answered = this.leg.answered;
        if (verdict.shutdown) this.settle(verdict, ending.at);
        else if (this.writesLost) this.settle({ state: 'failed', reason: this.writesLost }, ending.at);
        else if (failure && answered) this.settle({ state: 'failed', reason: failure }, ending.at);
        else if (this.endRequest && !answered) this.settle({ state: 'canceled', reason: this.endRequest }, ending.at);
        else if (this.endRequest) this.settle({ state: 'completed', reason: `${this.endRequest}; ${verdict.reason}` }, ending.at);
        else this.settle(verdict, ending.at);
      });
      return;
    }
    this.leg.markGone();
    if (ending.kind === 'concluded') {
      this.abortCall(ending.reason);
      void this.unwound().then(() => this.settle({ state: ending.state, reason: ending.reason }));
      return;
    }
    // Transferred: the transfer step ends the flow itself (no abort).
    void this.unwound().then(() => this.settle({ state: 'completed', reason: `transferred to ${this.transferredTo}` }, ending.at));
  }

  private unwound(): Promise<RunOutcome | undefined> {
    return this.runDone ?? Promise.resolve(undefined);
  }

  private settle(verdict: { state: SessionState; reason: string }, at?: string): void {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    this.leg.dispose();
    if (this.runtime.media.droppedDigits > 0) this.recorder.timeline('dtmf.dropped', { count: this.runtime.media.droppedDigits });
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
    for (const id of this.runtime.media.pendingPlaybacks()) {
      const res = await this.deps.port.playbackState(id);
      if (!res.ok && res.kind === 'not-found') {
        this.recorder.timeline('playback.lost', { playbackId: id });
        this.runtime.media.markPlaybackLost(id);
      }
    }
  }

  // ---- live control of the running flow ----

  private controllable(): ControlResult {
    if (this.isEnding()) return { ok: false, reason: 'the call is ending' };
    if (BEFORE_FLOW.has(this.phase) || !this.runner) return { ok: false, reason: 'the call is not answered yet' };
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
}
