// What the services need from the telephony side to place a call. Implemented by
// `telephony/engine.ts`; the HTTP layer and the services never see ARI.
import type { Flow, Session } from '../domain/model.js';

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
   * Originates the session's channel and runs the flow once it is answered. Resolves when the
   * originate request was answered (the call then proceeds by events); never throws: failures
   * are recorded on the session (state `failed` with a reason).
   */
  placeCall(session: Session, flow: Flow): Promise<void>;
  /**
   * Ends a live session of this process: an answered call is hung up (it ends `completed`), one
   * not yet answered is canceled (`canceled`). False when this process does not run it.
   */
  endSession(session: Session): boolean;
  /** Live sessions handled by this process. */
  liveCount(): number;
}
