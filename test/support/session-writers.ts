// Test-only session writers, over the Store contract (createSessionWith, recordSession, lastSeqs), so
// that they work on every dialect. The engine writes sessions as units (telephony/session-recorder.ts);
// tests and benchmarks that need a session in some state write it with these.
import { recordingOf, storedEntry } from '../../src/domain/timeline.js';
import type { Session } from '../../src/domain/model.js';
import type { IdempotencyKey, NewSession, SessionUpdate, Store, TimelineRow } from '../../src/store/store.js';

type Writer = Pick<Store, 'createSessionWith' | 'recordSession' | 'lastSeqs'>;

/** The last seq assigned per session, per store (a chain, so that appends issued together get consecutive seqs). */
const lastSeq = new WeakMap<object, Map<string, Promise<number>>>();

/** A session in `queued`, with no timeline. */
export function createSession(store: Writer, session: NewSession, idempotency?: IdempotencyKey): Promise<Session> {
  return store.createSessionWith(session, {}, idempotency);
}

/** A change of state (and end reason, dates) alone. */
export function updateSession(store: Writer, id: string, change: SessionUpdate): Promise<void> {
  if (change.state === undefined && change.endReason === undefined && change.dateAnswered === undefined && change.dateEnded === undefined) {
    return Promise.resolve();
  }
  return store.recordSession(id, { change });
}

export function setSessionVariable(store: Writer, id: string, name: string, value: string): Promise<void> {
  return store.recordSession(id, { variables: [{ name, value }] });
}

/**
 * Appends a timeline row with the next seq (the stored maximum + 1, then counted here), and the
 * recording it reports done, in one unit, as the recorder does.
 */
export function appendSessionEvent(store: Writer, sessionId: string, type: string, data: Record<string, unknown>, at = new Date().toISOString()): Promise<void> {
  let seqs = lastSeq.get(store);
  if (!seqs) {
    seqs = new Map();
    lastSeq.set(store, seqs);
  }
  const previous = seqs.get(sessionId) ?? store.lastSeqs([sessionId]).then((m) => m.get(sessionId) ?? 0);
  const seq = previous.then((n) => n + 1);
  seqs.set(sessionId, seq.catch(() => previous));
  return seq.then((n) => {
    // Store tests write rows of any type and shape (the store keeps what it is given), not only the declared ones.
    const row = { seq: n, at, type, data } as TimelineRow;
    const entry = storedEntry(row);
    const recording = entry && recordingOf(entry, at);
    return store.recordSession(sessionId, { timeline: [row], ...(recording ? { recordings: [recording] } : {}) });
  });
}
