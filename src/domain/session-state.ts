// The session state machine and how a call's end is read from ARI. Pure rules: no ARI, no I/O.
//
// queued → dialing → ringing → in-progress → completed, or one of busy / no-answer / failed /
// canceled. Skips forward are allowed (a Local channel is answered without ringing), nothing goes
// back, and a final state is never left.
import type { SessionState } from './model.js';
import { FINAL_STATES } from './model.js';

const NEXT: Record<SessionState, readonly SessionState[]> = {
  // An inbound call starts ringing (it arrives in state Ring).
  queued: ['dialing', 'ringing', 'failed', 'canceled'],
  dialing: ['ringing', 'in-progress', 'busy', 'no-answer', 'failed', 'canceled'],
  ringing: ['in-progress', 'busy', 'no-answer', 'failed', 'canceled'],
  // Once answered, the call completes, or fails (flow error, loop guard, lost channel).
  'in-progress': ['completed', 'failed'],
  completed: [],
  busy: [],
  'no-answer': [],
  failed: [],
  canceled: [],
};

export function canTransition(from: SessionState, to: SessionState): boolean {
  return NEXT[from].includes(to);
}

export function isFinal(state: SessionState): boolean {
  return FINAL_STATES.includes(state);
}

/** Q.850 causes Asterisk reports in ChannelDestroyed / ChannelHangupRequest. */
export const CAUSE = {
  UNKNOWN: 0,
  UNALLOCATED: 1,
  NO_ROUTE_DESTINATION: 3,
  NORMAL_CLEARING: 16,
  USER_BUSY: 17,
  NO_USER_RESPONSE: 18,
  NO_ANSWER: 19,
  SUBSCRIBER_ABSENT: 20,
  CALL_REJECTED: 21,
  CONGESTION: 34,
} as const;

export interface CallOutcome {
  /** The last non-empty `dialstatus` of the Dial events relating to our channel (ANSWER, BUSY...). */
  dialstatus?: string;
  /** ChannelDestroyed cause of our channel. */
  cause?: number;
  causeTxt?: string;
  /** True once the channel was answered (StasisStart, or Dial ANSWER). */
  answered: boolean;
  /** Asterisk asked the channel to hang up because it is shutting down or restarting. */
  asteriskShutdown?: boolean;
}

/**
 * In a soft ChannelHangupRequest, `cause` carries Asterisk's soft-hangup flags, not a Q.850 cause:
 * 32 is an explicit hangup (DELETE /channels), 4 is AST_SOFTHANGUP_SHUTDOWN (core stop/restart).
 */
export const SOFTHANGUP_SHUTDOWN = 4;

export interface FinalVerdict {
  state: Extract<SessionState, 'completed' | 'busy' | 'no-answer' | 'failed'>;
  reason: string;
}

/**
 * The final state of a call from what Asterisk said about it. The dial status is read first:
 * through a Local channel a busy callee ends our channel with cause 0 ("Unknown") while Dial says
 * BUSY, so the cause alone cannot tell busy from failure. Without a conclusive dial status (a
 * PJSIP call that times out sends no NOANSWER), the cause decides.
 */
export function finalStateOf(outcome: CallOutcome): FinalVerdict {
  const cause = outcome.cause;
  const causeText = cause === undefined ? 'no cause' : `cause ${cause}${outcome.causeTxt ? ` (${outcome.causeTxt})` : ''}`;
  const dial = (outcome.dialstatus ?? '').toUpperCase();
  const why = (what: string): string => (dial ? `${what}: dialstatus ${dial}, ${causeText}` : `${what}: ${causeText}`);

  if (outcome.asteriskShutdown) return { state: 'failed', reason: why('Asterisk shut down or restarted during the call') };
  if (outcome.answered) return { state: 'completed', reason: why('call ended after answer') };
  switch (dial) {
    case 'BUSY':
      return { state: 'busy', reason: why('callee busy') };
    case 'NOANSWER':
      return { state: 'no-answer', reason: why(cause === CAUSE.CALL_REJECTED ? 'callee rejected the call' : 'no answer') };
    case 'CONGESTION':
    case 'CHANUNAVAIL':
    case 'INVALIDARGS':
    case 'CANCEL':
    case 'DONTCALL':
    case 'TORTURE':
      return { state: 'failed', reason: why('call failed') };
    default:
      break;
  }
  switch (cause) {
    case CAUSE.USER_BUSY:
      return { state: 'busy', reason: why('callee busy') };
    case CAUSE.NO_USER_RESPONSE:
    case CAUSE.NO_ANSWER:
    case CAUSE.SUBSCRIBER_ABSENT:
      return { state: 'no-answer', reason: why('no answer') };
    case CAUSE.CALL_REJECTED:
      return { state: 'no-answer', reason: why('callee rejected the call') };
    default:
      return { state: 'failed', reason: why('call failed') };
  }
}
