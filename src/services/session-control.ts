// EndSession: the client ends a session. A live call is handed to the engine to hang up (or, not
// yet answered, to cancel); a finished session is left exactly as it is and the client told so
// with 409 SessionNotLive, like every other control of a session that is not live.
import { AppError } from '../domain/errors.js';
import type { Session } from '../domain/model.js';
import { FINAL_STATES } from '../domain/model.js';
import type { Store } from '../store/store.js';
import type { CallEngine } from './call-engine.js';

export class SessionControl {
  constructor(private readonly store: Store, private readonly engine: CallEngine) {}

  /** The session as it is once the end was requested (the final state follows by events). */
  async end(accountId: string, id: string): Promise<Session> {
    if (id.length === 0 || id.length > 128) throw AppError.notFound('Session');
    const session = await this.store.getSession(accountId, id);
    if (!session) throw AppError.notFound('Session');
    if (FINAL_STATES.includes(session.state)) {
      throw new AppError('conflict', 'SessionNotLive', `Session ${session.id} has already ended (state ${session.state}): nothing to end`);
    }
    this.engine.endSession(session);
    return session;
  }
}
