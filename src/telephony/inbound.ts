// Calls that come in: a channel entering the Stasis application with the arguments the lab
// dialplan gives (`inbound`, the number dialed, the caller's number) is looked up by the number
// dialed — among the phone numbers when it is E.164, among the lab extensions otherwise; an owned
// number or enabled extension with an inbound flow gets an inbound session (answered, then the
// flow runs), anything else is refused with cause `congestion` (docs/api.md, "Inbound calls").
//
// While the lookup runs, the channel's events are held and replayed once its session is
// registered, so a caller hanging up during the lookup is not lost.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import type { Flow, Session } from '../domain/model.js';
import { isExtension } from '../domain/extension.js';
import { AppError } from '../domain/errors.js';
import type { InboundStore } from '../store/store.js';
import type { SessionDraft } from '../services/call-engine.js';
import type { TelephonyEvent, TelephonyPort } from './port.js';
import { hangUpUnowned, type RetryPolicy } from './retry.js';

/** The first argument the dialplan passes for a call into the engine (asterisk-config/extensions.conf). */
export const INBOUND_ARG = 'inbound';

/** Why an inbound call was refused (the `reason` label of the refusal counter). */
export type InboundRefusal = 'not-inbound' | 'unknown-number' | 'disabled' | 'no-inbound-flow' | 'flow-missing' | 'engine-stopping' | 'live-cap' | 'error';

export interface InboundDeps {
  port: TelephonyPort;
  store: InboundStore;
  logger: Logger;
  maxLiveCallsPerAccount: number;
  accepting(): boolean;
  /** Hang-ups of refused calls are retried by it while ARI is unreachable, until the engine stops. */
  retry: RetryPolicy;
  stopping: AbortSignal;
  /** Stores the session, then registers and starts its call (answer, then the flow). */
  start(draft: SessionDraft, flow: Flow): Promise<Session>;
  /** Told of every refusal (metrics). */
  refused(reason: InboundRefusal): void;
}

export class InboundCalls {
  /** Channels being looked up, with the events that arrived meanwhile. */
  private readonly held = new Map<string, TelephonyEvent[]>();
  readonly refusals: Record<InboundRefusal, number> = {
    'not-inbound': 0, 'unknown-number': 0, disabled: 0, 'no-inbound-flow': 0, 'flow-missing': 0, 'engine-stopping': 0, 'live-cap': 0, error: 0,
  };

  constructor(private readonly deps: InboundDeps) {}

  /** Holds an event of a channel being looked up; false when the channel is not one. */
  hold(event: TelephonyEvent): boolean {
    const channelId = 'channelId' in event ? event.channelId : undefined;
    const queue = channelId === undefined ? undefined : this.held.get(channelId);
    if (!queue) return false;
    if (queue.length < 64) queue.push(event);
    return true;
  }

  /** True while the channel is being looked up (its session does not exist yet). */
  lookingUp(channelId: string): boolean {
    return this.held.has(channelId);
  }

  /** A channel entered the application that no session owns. `replay` gets its held events. */
  arrive(event: Extract<TelephonyEvent, { type: 'stasis-start' }>, replay: (event: TelephonyEvent) => void): void {
    this.held.set(event.channelId, []);
    void this.accept(event).then((accepted) => {
      const events = this.held.get(event.channelId) ?? [];
      this.held.delete(event.channelId);
      if (accepted) for (const e of events) replay(e);
    });
  }

  private async accept(event: Extract<TelephonyEvent, { type: 'stasis-start' }>): Promise<boolean> {
    const [first, dialed = '', callerArg] = event.args;
    const caller = callerArg || event.caller || '';
    const log = this.deps.logger.child({ channelId: event.channelId, dialed, caller, ...(event.server !== undefined ? { server: event.server } : {}) });
    if (first !== INBOUND_ARG) return this.refuse(event.channelId, 'not-inbound', log, { args: event.args });
    if (!this.deps.accepting()) return this.refuse(event.channelId, 'engine-stopping', log);
    try {
      const number = await this.called(dialed);
      if (!number) return this.refuse(event.channelId, 'unknown-number', log);
      if (!number.enabled) return this.refuse(event.channelId, 'disabled', log, { accountId: number.accountId });
      if (!number.inboundFlowId) return this.refuse(event.channelId, 'no-inbound-flow', log, { accountId: number.accountId });
      const flow = await this.deps.store.getFlow(number.accountId, number.inboundFlowId);
      if (!flow) return this.refuse(event.channelId, 'flow-missing', log, { accountId: number.accountId });
      if ((await this.deps.store.countLiveSessions(number.accountId)) >= this.deps.maxLiveCallsPerAccount) {
        return this.refuse(event.channelId, 'live-cap', log, { accountId: number.accountId });
      }
      const session = await this.deps.start({
        id: randomUUID(), accountId: number.accountId, direction: 'inbound', flowId: flow.id, flowVersion: flow.version,
        numberToDial: number.number, callerId: caller, channelId: event.channelId, endpoint: event.channelName ?? '',
        dateCreated: new Date().toISOString(), ...(event.server !== undefined ? { asteriskServer: event.server } : {}),
        // Checked again by the store where the session is created: atomic across engines sharing PostgreSQL.
        admission: { maxLive: this.deps.maxLiveCallsPerAccount },
      }, flow);
      log.info({ sessionId: session.id, accountId: session.accountId, flowId: flow.id }, 'inbound call accepted');
      return true;
    } catch (err) {
      if (err instanceof AppError && err.errorCode === 'TooManyLiveCalls') return this.refuse(event.channelId, 'live-cap', log);
      log.error({ err }, 'inbound call could not be accepted');
      return this.refuse(event.channelId, 'error', log);
    }
  }

  /**
   * What the call dialed: a phone number (its `enabled` is about calling from it: it always takes
   * calls) or a lab extension (disabled: refused). Anything else is unknown.
   */
  private async called(dialed: string): Promise<{ accountId: string; number: string; enabled: boolean; inboundFlowId: string | null } | undefined> {
    if (isExtension(dialed)) return this.deps.store.extensionCalled(dialed);
    const number = await this.deps.store.phoneNumberCalled(dialed);
    return number && { ...number, enabled: true };
  }

  private refuse(channelId: string, reason: InboundRefusal, log: Logger, detail: Record<string, unknown> = {}): false {
    this.refusals[reason] += 1;
    this.deps.refused(reason);
    log.info({ reason, ...detail }, 'inbound call refused (hung up with cause congestion)');
    void hangUpUnowned(this.deps.port, channelId, 'congestion', this.deps.retry, this.deps.stopping).then((res) => {
      if (!res.ok && res.kind !== 'not-found') log.warn({ kind: res.kind }, 'could not hang up a refused call');
    });
    return false;
  }
}
