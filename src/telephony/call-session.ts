// One call, from originate to ChannelDestroyed. The state follows the real ARI events (each
// transition stamped in the timeline); the flow runs on StasisStart under an AbortController that
// a hangup, StasisEnd, ChannelDestroyed, the loop guards or the engine's stop cancel. The call ends
// by hanging up, and the final state is set when ChannelDestroyed tells how it ended.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import type { Flow, Session, SessionState } from '../domain/model.js';
import type { FlowStep } from '../domain/flow.js';
import type { Store, SessionUpdate } from '../store/store.js';
import { SOFTHANGUP_SHUTDOWN, canTransition, finalStateOf, isFinal } from '../domain/session-state.js';
import type { PortResult, TelephonyEvent, TelephonyPort } from './port.js';
import { CallMedia } from './call-media.js';
import { execStep } from './steps/index.js';
import type { StepContext, StepResult, StepTiming } from './steps/types.js';
import { CallAborted } from './wait.js';

export interface CallSessionDeps {
  port: TelephonyPort;
  store: Store;
  logger: Logger;
  limits: { flowMaxSteps: number; flowMaxDurationMs: number };
  timing: StepTiming;
  /** How long to wait for ChannelDestroyed after our own hangup before concluding anyway. */
  hangupConfirmMs: number;
  /** Called once, when the session reached its final state and its timeline is written. */
  onEnd(session: CallSession): void;
}

export class CallSession {
  readonly id: string;
  readonly channelId: string;
  private state: SessionState;
  private readonly variables: Record<string, string>;
  private readonly media = new CallMedia();
  private readonly flowAbort = new AbortController();
  private answered = false;
  private dialstatus: string | undefined;
  private lastRecordedDialstatus: string | undefined;
  private flowStarted = false;
  private flowDone: Promise<void> | undefined;
  /** Why the flow failed (step failure, loop guard): the session then ends `failed`. */
  private flowFailure: string | undefined;
  /** Set when the engine ends the call (stop/drain): ringing calls end `canceled`. */
  private stopReason: string | undefined;
  private weHungUp = false;
  private asteriskShutdown = false;
  private channelGone = false;
  /** The end is known (ChannelDestroyed or conclude); `ended` once the final state is written. */
  private concluding = false;
  private ended = false;
  private writesInFlight = 0;
  private readonly writesDrained: Array<() => void> = [];
  private durationTimer: NodeJS.Timeout | undefined;
  private confirmTimer: NodeJS.Timeout | undefined;
  private readonly endedPromise: Promise<void>;
  private resolveEnded: () => void = () => undefined;
  private readonly log: Logger;

  constructor(session: Session, private readonly flow: Flow, private readonly deps: CallSessionDeps) {
    this.id = session.id;
    this.channelId = session.channelId;
    this.state = session.state;
    this.variables = { ...session.variables };
    this.log = deps.logger.child({ sessionId: session.id });
    this.endedPromise = new Promise<void>((resolve) => { this.resolveEnded = resolve; });
  }

  currentState(): SessionState {
    return this.state;
  }

  isAnswered(): boolean {
    return this.answered;
  }

  /** Resolves once the session is final and its writes are done. */
  ended$(): Promise<void> {
    return this.endedPromise;
  }

  /** Live media registrations (0 once the call is over). */
  mediaRegistrations(): number {
    return this.media.size();
  }

  // ---- timeline and state ----

  /**
   * Queued at once: the store's commit queue keeps the order of the writes (and the timeline's
   * seq), so a write need not wait for the previous one's commit. A count of the writes in flight
   * (not a promise chain: about 30 writes a call) tells `finish` when all have settled.
   */
  private write(op: () => Promise<void>): void {
    let issued: Promise<void>;
    try {
      issued = op();
    } catch (err) {
      issued = Promise.reject(err);
    }
    this.writesInFlight += 1;
    issued.then(this.writeSettled, this.writeFailed);
  }

  private readonly writeSettled = (): void => {
    this.writesInFlight -= 1;
    if (this.writesInFlight === 0) {
      const waiters = this.writesDrained.splice(0);
      for (const resolve of waiters) resolve();
    }
  };

  private readonly writeFailed = (err: unknown): void => {
    this.log.error({ err }, 'session write failed');
    this.writeSettled();
  };

  /** Resolves once no write is in flight. */
  private writesDone(): Promise<void> {
    if (this.writesInFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.writesDrained.push(resolve));
  }

  timeline(type: string, data: Record<string, unknown>, at?: string): void {
    this.write(() => this.deps.store.appendSessionEvent(this.id, type, data, at));
  }

  private transition(to: SessionState, data: Record<string, unknown> = {}, at?: string): boolean {
    if (this.state === to || !canTransition(this.state, to)) return false;
    this.state = to;
    const stamp = at ?? new Date().toISOString();
    const change: SessionUpdate = { state: to };
    if (to === 'in-progress') change.dateAnswered = stamp;
    if (isFinal(to)) {
      change.dateEnded = stamp;
      if (typeof data.reason === 'string') change.endReason = data.reason;
    }
    this.write(() => this.deps.store.updateSession(this.id, change));
    this.timeline('state', { state: to, ...data }, stamp);
    return true;
  }

  /** The originate request is about to be sent. */
  markDialing(): void {
    this.transition('dialing');
  }

  /**
   * Ends the session without a channel to wait for (originate refused, channel vanished while ARI
   * was away). Stops the flow if it runs.
   */
  conclude(state: 'failed' | 'canceled', reason: string): void {
    if (this.concluding) return;
    this.concluding = true;
    this.channelGone = true;
    this.abortFlow(reason);
    void (this.flowDone ?? Promise.resolve()).then(() => this.finish({ state, reason }));
  }

  // ---- events ----

  handle(event: TelephonyEvent): void {
    if (this.concluding) return;
    if (this.media.handle(event)) return;
    switch (event.type) {
      case 'dial':
        this.onDial(event.dialstatus, event.at);
        break;
      case 'state-change':
        if (event.state === 'Ringing') this.transition('ringing', {}, event.at);
        else if (event.state === 'Up') this.onAnswered(event.at);
        break;
      case 'stasis-start':
        this.onAnswered(event.at);
        this.startFlow();
        break;
      case 'hangup-request':
        if (event.soft && event.cause === SOFTHANGUP_SHUTDOWN) this.asteriskShutdown = true;
        this.timeline('ari.hangup-request', { ...(event.cause !== undefined ? { cause: event.cause } : {}), ...(event.soft ? { soft: true } : {}) }, event.at);
        this.abortFlow(this.weHungUp ? 'hung up by the engine' : 'far end hung up');
        break;
      case 'stasis-end':
        this.abortFlow(this.weHungUp ? 'hung up by the engine' : 'channel left the application');
        break;
      case 'channel-destroyed':
        this.onDestroyed(event.cause, event.causeTxt, event.at);
        break;
      default:
        break;
    }
  }

  private onDial(dialstatus: string, at: string): void {
    if (!dialstatus) return;
    this.dialstatus = dialstatus;
    if (dialstatus !== this.lastRecordedDialstatus) {
      this.lastRecordedDialstatus = dialstatus;
      this.timeline('ari.dial', { dialstatus }, at);
    }
    if (dialstatus === 'RINGING' || dialstatus === 'PROGRESS') this.transition('ringing', {}, at);
    else if (dialstatus === 'ANSWER') this.onAnswered(at);
  }

  private onAnswered(at: string): void {
    if (this.answered) return;
    this.answered = true;
    this.transition('in-progress', {}, at);
  }

  private onDestroyed(cause: number, causeTxt: string, at: string): void {
    if (this.concluding) return;
    this.concluding = true;
    this.channelGone = true;
    this.abortFlow('channel destroyed');
    this.timeline('ari.channel-destroyed', { cause, causeTxt }, at);
    const verdict = finalStateOf({ dialstatus: this.dialstatus, cause, causeTxt, answered: this.answered, asteriskShutdown: this.asteriskShutdown });
    // Wait for the flow to unwind (its last timeline entries) before the final state.
    void (this.flowDone ?? Promise.resolve()).then(() => {
      if (this.asteriskShutdown) this.finish(verdict, at);
      else if (this.flowFailure && this.answered) this.finish({ state: 'failed', reason: this.flowFailure }, at);
      else if (this.stopReason && !this.answered) this.finish({ state: 'canceled', reason: this.stopReason }, at);
      else if (this.stopReason) this.finish({ state: 'completed', reason: `${this.stopReason}; ${verdict.reason}` }, at);
      else this.finish(verdict, at);
    });
  }

  private finish(verdict: { state: SessionState; reason: string }, at?: string): void {
    if (this.ended) return;
    this.ended = true;
    if (this.durationTimer) clearTimeout(this.durationTimer);
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
    if (this.media.droppedDigits > 0) this.timeline('dtmf.dropped', { count: this.media.droppedDigits });
    if (!this.transition(verdict.state, { reason: verdict.reason }, at)) {
      this.log.warn({ from: this.state, to: verdict.state }, 'final state not reachable from the current state');
      if (!isFinal(this.state)) {
        this.state = verdict.state;
        const state = verdict.state;
        this.write(() => this.deps.store.updateSession(this.id, { state, endReason: verdict.reason, dateEnded: at ?? new Date().toISOString() }));
      }
    }
    this.log.info({ state: this.state, reason: verdict.reason }, 'session ended');
    void this.writesDone().then(() => {
      this.resolveEnded();
      this.deps.onEnd(this);
    });
  }

  private abortFlow(reason: string): void {
    if (!this.flowAbort.signal.aborted) this.flowAbort.abort(reason);
  }

  /** After a reconnect: events may have been lost; settle playbacks that ended meanwhile. */
  async resync(): Promise<void> {
    for (const id of this.media.pendingPlaybacks()) {
      const res = await this.deps.port.playbackState(id);
      if (!res.ok && res.kind === 'not-found') {
        this.timeline('playback.lost', { playbackId: id });
        this.media.markPlaybackLost(id);
      }
    }
  }

  // ---- the engine ending the call ----

  /** Engine stop after the drain time: hang up, and end as canceled (not answered) or completed. */
  stop(reason: string): void {
    if (this.concluding) return;
    this.stopReason = reason;
    if (this.state === 'queued') {
      this.conclude('canceled', reason);
      return;
    }
    this.abortFlow(reason);
    if (!this.flowStarted) void this.hangup();
  }

  // ---- the flow ----

  private startFlow(): void {
    if (this.flowStarted || this.ended) return;
    this.flowStarted = true;
    this.flowDone = this.runFlow().catch((err: unknown) => {
      this.log.error({ err }, 'flow runner failed');
    });
  }

  private stepContext(): StepContext {
    return {
      sessionId: this.id,
      channelId: this.channelId,
      port: this.deps.port,
      media: this.media,
      signal: this.flowAbort.signal,
      timing: this.deps.timing,
      logger: this.log,
      variables: () => ({ ...this.variables }),
      setVariable: (name, value) => {
        this.variables[name] = value;
        this.write(() => this.deps.store.setSessionVariable(this.id, name, value));
      },
      timeline: (type, data) => this.timeline(type, data),
      newId: (kind) => `${kind === 'playback' ? 'pb' : 'rec'}-${randomUUID()}`,
    };
  }

  private async runFlow(): Promise<void> {
    const steps = this.flow.document.steps;
    const indexOf = new Map<string, number>(steps.map((s, i) => [s.id, i]));
    const { flowMaxSteps, flowMaxDurationMs } = this.deps.limits;
    this.durationTimer = setTimeout(() => {
      this.flowFailure ??= `loop guard: the flow ran longer than ${flowMaxDurationMs} ms`;
      this.abortFlow(this.flowFailure);
    }, flowMaxDurationMs);
    const ctx = this.stepContext();
    let index = 0;
    let executed = 0;
    this.timeline('flow.started', { flowId: this.flow.id, flowVersion: this.flow.version });
    while (index < steps.length && !ctx.signal.aborted) {
      const step: FlowStep | undefined = steps[index];
      if (!step) break;
      executed += 1;
      if (executed > flowMaxSteps) {
        this.flowFailure = `loop guard: more than ${flowMaxSteps} steps executed`;
        break;
      }
      this.timeline('step.started', { stepId: step.id, type: step.type });
      let result: StepResult;
      try {
        result = await execStep(step, ctx);
      } catch (err) {
        if (err instanceof CallAborted || ctx.signal.aborted) {
          this.timeline('step.interrupted', { stepId: step.id, reason: err instanceof CallAborted ? err.reason : String(ctx.signal.reason) });
          break;
        }
        this.log.error({ err, stepId: step.id }, 'step threw');
        result = { kind: 'failed', reason: `step ${step.id} failed unexpectedly` };
      }
      this.timeline('step.finished', { stepId: step.id, result: result.kind, ...(result.kind === 'next' && result.stepId ? { next: result.stepId } : {}), ...(result.kind === 'failed' ? { reason: result.reason } : {}) });
      if (result.kind === 'hangup') break;
      if (result.kind === 'failed') {
        this.flowFailure = `step ${step.id}: ${result.reason}`;
        break;
      }
      const target = result.stepId ?? step.next;
      if (target === undefined) {
        index += 1;
        continue;
      }
      const next = indexOf.get(target);
      if (next === undefined) {
        this.flowFailure = `step ${step.id}: unknown next step ${target}`;
        break;
      }
      index = next;
    }
    if (this.durationTimer) clearTimeout(this.durationTimer);
    this.timeline('flow.ended', this.flowFailure ? { reason: this.flowFailure } : ctx.signal.aborted ? { reason: String(ctx.signal.reason) } : {});
    if (!this.channelGone) await this.hangup();
  }

  private async hangup(): Promise<void> {
    if (this.weHungUp || this.channelGone) return;
    this.weHungUp = true;
    const res: PortResult = await this.deps.port.hangup(this.channelId, 'normal');
    if (res.ok) {
      // ChannelDestroyed normally follows at once; if the event was lost, do not wait forever.
      this.confirmTimer = setTimeout(() => {
        if (!this.concluding) this.onDestroyed(16, 'Normal Clearing (destroy event not received)', new Date().toISOString());
      }, this.deps.hangupConfirmMs);
      return;
    }
    if (res.kind === 'not-found') {
      // Already gone; if ChannelDestroyed was missed (events lost), conclude from what we know.
      this.confirmTimer = setTimeout(() => {
        if (!this.concluding) this.onDestroyed(0, 'channel already gone', new Date().toISOString());
      }, this.deps.hangupConfirmMs);
      return;
    }
    // ARI unreachable: the reconciliation after the reconnect settles this session.
    this.log.warn({ kind: res.kind, message: res.message }, 'hangup failed');
    this.timeline('error', { op: 'hangup', kind: res.kind, message: res.message });
  }
}
