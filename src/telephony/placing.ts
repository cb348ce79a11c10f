// Placing a call, in one call: the engine builds the session's first unit (its `queued` row and
// events, with the destinations read once), the caller's `commit` stores the session with it in
// one transaction, and only then is the call made and its channel originated. Nothing is kept
// between two calls: a commit that throws leaves nothing behind, and a committed session always
// gets its call (placed, or ended with the reason it was not).
import type { Logger } from '../log.js';
import type { Flow, Session } from '../domain/model.js';
import type { NewSession } from '../store/store.js';
import type { CommitSession, PlacedCall, SessionDraft } from '../services/call-engine.js';
import type { TelephonyPort } from './port.js';
import type { CallSession } from './call-session.js';
import type { LiveCalls } from './live-calls.js';
import type { Owner } from './owner.js';
import { SessionRecorder, type Destinations, type EventsOut } from './session-recorder.js';
import { hangUpUnowned, waitRetry, type RetryPolicy } from './retry.js';

/** The variable carrying the session id on the channel (visible in Asterisk's CDRs and logs). */
export const SESSION_ID_VARIABLE = 'ENGINE_SESSION_ID';

export interface PlacingDeps {
  port: TelephonyPort;
  owner: Owner;
  events: EventsOut;
  logger: Logger;
  calls: LiveCalls<CallSession>;
  originateTimeoutSec: number;
  retry: RetryPolicy;
  /** Fires when the engine stops: no retry waits past it. */
  stopping: AbortSignal;
  accepting(): boolean;
  destinationsFor(session: Pick<Session, 'accountId' | 'statusCallback' | 'statusCallbackEvents'>): Promise<Destinations>;
  /** The call of a session just stored (seq 1 written), not registered yet. */
  newCall(session: Session, flow: Flow, destinations: Destinations, inbound: boolean): CallSession;
}

/** Stores the session (owned by this engine) with its first unit, and makes its call. */
export async function startCall(deps: PlacingDeps, draft: SessionDraft, flow: Flow, commit: CommitSession, inbound: boolean): Promise<CallSession> {
  const owner = { id: deps.owner.id, leaseExpires: deps.owner.leaseExpires() };
  const session: NewSession = { ...draft, owner };
  const view: Session = {
    ...draft, direction: draft.direction ?? 'outbound', state: 'queued', variables: {}, endReason: null, dateAnswered: null, dateEnded: null,
    statusCallback: draft.statusCallback ?? null, statusCallbackEvents: draft.statusCallbackEvents ?? null,
    ownerId: owner.id, leaseExpires: owner.leaseExpires,
  };
  const destinations = await deps.destinationsFor(view);
  const unit = SessionRecorder.firstUnit(view, destinations, deps.events.claim());
  const stored = await commit(session, unit);
  // The session and its first events are committed: the delivery worker may send them.
  if (unit.outbox) deps.events.outboxCommitted(unit.outbox);
  return deps.newCall(stored, flow, destinations, inbound);
}

/** An outgoing call: stored, then originated (in the background: `originated` says when Asterisk answered). */
export async function placeCall(deps: PlacingDeps, draft: SessionDraft, flow: Flow, commit: CommitSession): Promise<PlacedCall> {
  // The server is chosen before the commit, so the stored session names it (none up: originate
  // retries, choosing again, and the session ends `failed` as with one server that is down).
  const placed = deps.port.placement?.placeOn(draft.channelId);
  const call = await startCall(deps, placed?.ok ? { ...draft, asteriskServer: placed.value } : draft, flow, commit, false);
  const originated = originate(deps, call).catch((err: unknown) => {
    deps.logger.error({ err, sessionId: call.id }, 'placing the call failed');
    call.conclude('failed', 'internal error while placing the call');
  });
  return { session: call.stored, originated };
}

/** Originates the call's channel, retrying while ARI is unreachable; failures end the session. */
async function originate(deps: PlacingDeps, call: CallSession): Promise<void> {
  const session = call.stored;
  if (!deps.accepting()) {
    call.conclude('canceled', 'engine stopping: the call was not placed');
    return;
  }
  // Registered before originate: Asterisk's events can arrive before its REST answer.
  deps.calls.register(call);
  call.markDialing();
  for (let attempt = 0; ; attempt += 1) {
    const res = await deps.port.originate({
      channelId: session.channelId,
      endpoint: session.endpoint,
      callerId: session.callerId,
      timeoutSec: deps.originateTimeoutSec,
      variables: { [SESSION_ID_VARIABLE]: session.id },
      appArgs: [session.id],
    });
    if (res.ok || res.kind === 'conflict') {
      // 409 on a retry: the earlier attempt did create the channel (same id), the call goes on.
      call.originateAcknowledged({ channelId: session.channelId, endpoint: session.endpoint, attempt: attempt + 1, ...(res.ok ? {} : { existed: true }) });
      return;
    }
    call.timeline('error', { op: 'originate', kind: res.kind, message: res.message, attempt: attempt + 1 });
    if (res.kind === 'unavailable' && attempt + 1 < deps.retry.attempts && (await waitRetry(attempt, deps.retry, deps.stopping))) continue;
    if (res.kind === 'unavailable') {
      // A timed-out request may still have created the channel: make sure no call goes on unowned.
      void hangUpUnowned(deps.port, session.channelId, 'normal', deps.retry, deps.stopping);
      call.conclude('failed', `originate failed: ARI unavailable (${res.message})`);
    } else {
      call.conclude('failed', `originate refused by Asterisk (${res.kind}): ${res.message}`);
    }
    return;
  }
}
