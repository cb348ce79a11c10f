// EndSession: the client ends a session. A live call is handed to the engine to hang up (or, not
// yet answered, to cancel); a finished session is left exactly as it is.
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
    if (FINAL_STATES.includes(session.state)) return session;
    this.engine.endSession(session);
    return session;
  }
}
