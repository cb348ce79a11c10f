// One channel of a session: what ARI said about it (dial status, answer, shutdown, gone: its
// state, as data), and its hangup with the wait for ChannelDestroyed that confirms it. Every timeline
// row it writes names it (`leg`: its channel id).
//
// A channel that entered the application from the dialplan (an inbound call) is watched only
// while it is in Stasis: Asterisk 22 sends StasisEnd as its last event and no ChannelDestroyed
// (trace l-inbound-from-phone), so for such a leg StasisEnd is the end, with the cause of its
// hangup request.
import { SOFTHANGUP_SHUTDOWN, finalStateOf, type FinalVerdict } from '../domain/session-state.js';
import type { PortResult, TelephonyEvent, TelephonyPort } from './port.js';
import type { TimelineWriter } from '../domain/timeline.js';

/** What a channel event means for the session that owns the leg. */
export type LegNews =
  | { kind: 'ringing'; at: string }
  | { kind: 'answered'; at: string }
  | { kind: 'entered-app'; at: string }
  | { kind: 'hangup-requested'; at: string }
  | { kind: 'left-app'; at: string }
  | { kind: 'destroyed'; cause: number; causeTxt: string; at: string };

/** What is known of a channel: plain data, changed only by its leg as ARI's events arrive. */
export interface LegState {
  readonly channelId: string;
  /** How the channel came to the application (see CallLeg). */
  readonly origin: 'originated' | 'inbound' | 'created';
  answered: boolean;
  /** Set once ChannelDestroyed arrived (or its absence was concluded). */
  gone: boolean;
  /** The engine asked for the hangup. */
  hungUpByUs: boolean;
  dialstatus: string | undefined;
  /** Asterisk is shutting down (a soft hangup with the shutdown cause). */
  asteriskShutdown: boolean;
  hangupCause: number | undefined;
}

export class CallLeg {
  private readonly state: LegState;
  private lastRecordedDialstatus: string | undefined;
  private confirmTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly channelId: string,
    private readonly port: TelephonyPort,
    private readonly hangupConfirmMs: number,
    private readonly timeline: TimelineWriter,
    /**
     * How the channel came to the application: originated (answered when it enters), inbound
     * (from the dialplan: StasisEnd is its last event), created (POST /channels/create: it enters
     * Down, before it is dialed).
     */
    origin: 'originated' | 'inbound' | 'created' = 'originated',
  ) {
    this.state = { channelId, origin, answered: false, gone: false, hungUpByUs: false, dialstatus: undefined, asteriskShutdown: false, hangupCause: undefined };
  }

  /** The leg as data (read-only: only ARI's events and the leg's own requests change it). */
  get now(): Readonly<LegState> {
    return this.state;
  }

  get answered(): boolean {
    return this.state.answered;
  }

  get gone(): boolean {
    return this.state.gone;
  }

  /** Translates a channel event into news for the session (undefined: nothing to act on). */
  handle(event: TelephonyEvent): LegNews | undefined {
    switch (event.type) {
      case 'dial': {
        if (!event.dialstatus) return undefined;
        this.state.dialstatus = event.dialstatus;
        if (event.dialstatus !== this.lastRecordedDialstatus) {
          this.lastRecordedDialstatus = event.dialstatus;
          this.timeline('ari.dial', { leg: this.channelId, dialstatus: event.dialstatus }, event.at);
        }
        if (event.dialstatus === 'RINGING' || event.dialstatus === 'PROGRESS') return { kind: 'ringing', at: event.at };
        return event.dialstatus === 'ANSWER' ? this.answer(event.at) : undefined;
      }
      case 'state-change':
        if (event.state === 'Ringing') return { kind: 'ringing', at: event.at };
        return event.state === 'Up' ? this.answer(event.at) : undefined;
      case 'stasis-start':
        if (this.state.origin === 'originated') this.state.answered = true;
        return { kind: 'entered-app', at: event.at };
      case 'hangup-request':
        if (event.soft && event.cause === SOFTHANGUP_SHUTDOWN) this.state.asteriskShutdown = true;
        if (event.cause !== undefined) this.state.hangupCause ??= event.cause;
        this.timeline('ari.hangup-request', { leg: this.channelId, ...(event.cause !== undefined ? { cause: event.cause } : {}), ...(event.soft ? { soft: true } : {}) }, event.at);
        return { kind: 'hangup-requested', at: event.at };
      case 'stasis-end':
        if (this.state.origin === 'inbound') {
          const cause = this.state.hangupCause ?? 16;
          return this.destroyed(cause, cause === 16 ? 'Normal Clearing' : `hangup cause ${cause}`, event.at);
        }
        return { kind: 'left-app', at: event.at };
      case 'channel-destroyed':
        return this.destroyed(event.cause, event.causeTxt, event.at);
      default:
        return undefined;
    }
  }

  private answer(at: string): LegNews | undefined {
    if (this.state.answered) return undefined;
    this.state.answered = true;
    return { kind: 'answered', at };
  }

  private destroyed(cause: number, causeTxt: string, at: string): LegNews | undefined {
    if (this.state.gone) return undefined;
    this.state.gone = true;
    this.dispose();
    this.timeline('ari.channel-destroyed', { leg: this.channelId, cause, causeTxt }, at);
    return { kind: 'destroyed', cause, causeTxt, at };
  }

  /** How the call ended, from what Asterisk said. */
  verdict(cause: number, causeTxt: string): FinalVerdict & { shutdown: boolean } {
    const { dialstatus, answered, asteriskShutdown } = this.state;
    const v = finalStateOf({ dialstatus, cause, causeTxt, answered, asteriskShutdown });
    return { ...v, shutdown: asteriskShutdown };
  }

  /**
   * Hangs up once; `onLost` runs when ChannelDestroyed does not follow within the confirm time
   * (events lost) with what is known then.
   */
  async hangup(onLost: (news: LegNews) => void): Promise<void> {
    if (this.state.hungUpByUs || this.state.gone) return;
    this.state.hungUpByUs = true;
    const res: PortResult = await this.port.hangup(this.channelId, 'normal');
    if (res.ok || res.kind === 'not-found') {
      const [cause, text] = res.ok ? [16, 'Normal Clearing (destroy event not received)'] : [0, 'channel already gone'];
      this.confirmTimer = setTimeout(() => {
        const news = this.destroyed(cause, text, new Date().toISOString());
        if (news) onLost(news);
      }, this.hangupConfirmMs);
      return;
    }
    // ARI unreachable: the reconciliation after the reconnect settles this session.
    this.timeline('error', { leg: this.channelId, op: 'hangup', kind: res.kind, message: res.message });
  }

  /** Answered by our own request (an inbound call): news unless ARI's state change came first. */
  answeredByUs(at: string): LegNews | undefined {
    return this.answer(at);
  }

  /** The channel is known gone without an event (originate refused, vanished during an outage). */
  markGone(): void {
    this.state.gone = true;
    this.dispose();
  }

  dispose(): void {
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
    this.confirmTimer = undefined;
  }
}
