// What the services need from the telephony side to place and steer calls. Implemented by
// `telephony/engine.ts`; the HTTP layer and the services never see ARI.
import type { Flow, Session, SessionState } from '../domain/model.js';
import type { NewSession, SessionUnit } from '../store/store.js';

/** A refused control says why (the call is not answered yet, it is ending...). */
export type ControlResult = { ok: true } | { ok: false; reason: string };

/** A call this process runs, as the live-control operations see it. */
export interface LiveControl {
  currentState(): SessionState;
  redirect(flow: Flow, stepId: string | undefined): ControlResult;
  hold(on: boolean, mohClass: string | undefined): Promise<ControlResult>;
  sendDtmf(digits: string): Promise<ControlResult>;
}

export interface CallEngine {
  /** True while ARI is connected: POST /sessions/outgoing answers 503 otherwise. */
  isReady(): boolean;
  /**
   * For /ready: ARI connected, and the reconciliation that follows every (re)connection done
   * (sessions left live by a previous run settled, this process's calls checked against ARI).
   */
  readiness(): { ari: boolean; reconciled: boolean };
  /** ARI endpoint for an E.164 number, from the routing rules. */
  endpointFor(numberToDial: string): string;
  /**
   * A new session as this engine will run it: its owner, and the first unit (the `queued` row
   * and its events) to create it with, in one transaction.
   */
  admit(session: NewSession & { dateCreated: string }): Promise<{ session: NewSession; unit: SessionUnit }>;
  /**
   * Originates the session's channel and runs the flow once it is answered. Resolves when the
   * originate request was answered (the call then proceeds by events); never throws: failures
   * are recorded on the session (state `failed` with a reason).
   */
  placeCall(session: Session, flow: Flow): Promise<void>;
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
