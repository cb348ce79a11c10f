// What the services need from the telephony side to place and steer calls. Implemented by
// `telephony/engine.ts`; the HTTP layer and the services never see ARI.
import type { Flow, Session, SessionState } from '../domain/model.js';
import type { NewSession, SessionUnit } from '../store/store.js';

/** A session to create, before the engine gives it an owner. */
export type SessionDraft = Omit<NewSession, 'owner'> & { dateCreated: string };

/** Stores a new session with its first unit, in one transaction. */
export type CommitSession = (session: NewSession, unit: SessionUnit) => Promise<Session>;

export interface PlacedCall {
  session: Session;
  /** Resolves once Asterisk answered the originate request (or it failed, recorded on the session). */
  originated: Promise<void>;
}

/** A refused control says why (the call is not answered yet, it is ending...). */
export type ControlResult = { ok: true } | { ok: false; reason: string };

/** A call this process runs, as the live-control operations see it. */
export interface LiveControl {
  currentState(): SessionState;
  redirect(flow: Flow, stepId: string | undefined): ControlResult;
  hold(on: boolean, mohClass: string | undefined): Promise<ControlResult>;
  sendDtmf(digits: string): Promise<ControlResult>;
}

/** One Asterisk server as /ready shows it: by name only (never its URL or credentials). */
export interface AsteriskServerStatus { name: string; up: boolean; liveCalls: number }

export interface CallEngine {
  /** True while ARI is connected: POST /sessions/outgoing answers 503 otherwise. */
  isReady(): boolean;
  /**
   * For /ready: ARI connected, and the reconciliation that follows every (re)connection done
   * (sessions left live by a previous run settled, this process's calls checked against ARI).
   */
  readiness(): { ari: boolean; reconciled: boolean; servers?: AsteriskServerStatus[] };
  /** ARI endpoint for an E.164 number, from the routing rules. */
  endpointFor(numberToDial: string): string;
  /**
   * Places a new call, in one call: the engine makes the session's first unit (its `queued` row
   * and events) and its owner, `commit` stores the session with that unit in one transaction,
   * then the channel is originated and the flow runs once it is answered. Resolves with the stored
   * session once committed; rejects only when `commit` does (then nothing was placed). Failures
   * after the commit are recorded on the session (state `failed` with a reason).
   */
  placeCall(draft: SessionDraft, flow: Flow, commit: CommitSession): Promise<PlacedCall>;
  /** The live call of a session this process runs; undefined when it is not live here. */
  live(sessionId: string): LiveControl | undefined;
  /**
   * Ends a live session of this process: an answered call is hung up (it ends `completed`), one
   * not yet answered is canceled (`canceled`). False when this process does not run it.
   */
  endSession(session: Session): boolean;
  /** Live sessions handled by this process. */
  liveCount(): number;
}
