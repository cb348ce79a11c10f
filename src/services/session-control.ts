// EndSession: the client ends a session. A live call is handed to the engine to hang up (or, not
// yet answered, to cancel); a call another engine runs is ended there (remote-control.ts); a
// finished session is left exactly as it is and the client told so with 409 SessionNotLive, like
// every other control of a session that is not live.
import { AppError } from '../domain/errors.js';
import type { Session } from '../domain/model.js';
import { FINAL_STATES } from '../domain/model.js';
import type { Store } from '../store/store.js';
import type { CallEngine } from './call-engine.js';
import type { ControlForwarder } from './remote-control.js';

function notLive(session: Session, why: string): AppError {
  return new AppError('conflict', 'SessionNotLive', `Session ${session.id} ${why} (state ${session.state}): nothing to end`);
}

export class SessionControl {
  constructor(private readonly store: Store, private readonly engine: CallEngine, private readonly forwarder?: ControlForwarder) {}

  /** The session as it is once the end was requested (the final state follows by events). */
  async end(accountId: string, id: string, forwarding = true): Promise<Session> {
    if (id.length === 0 || id.length > 128) throw AppError.notFound('Session');
    const session = await this.store.getSession(accountId, id);
    if (!session) throw AppError.notFound('Session');
    if (FINAL_STATES.includes(session.state)) throw notLive(session, 'has already ended');
    if (this.engine.endSession(session)) return session;
    if (forwarding && this.forwarder && (await this.forwarder.forward(session, { op: 'end', accountId, sessionId: id, input: {} }))) return session;
    // Not running here and no other owner: it ended meanwhile, or it is not placed yet.
    const now = await this.store.getSession(accountId, id);
    throw notLive(now ?? session, now && FINAL_STATES.includes(now.state) ? 'has already ended' : 'is not running on any engine');
  }
}
