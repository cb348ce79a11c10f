// Live event streams (served as Server-Sent Events by the HTTP layer): a session's stream replays
// its timeline as events, then follows it live and closes after `session.ended`; the account's
// stream follows all its sessions. `Last-Event-ID` resumes after the event it names. Listeners
// are attached before the replay is read, so nothing falls between the two. Streams per account
// are capped. The events are the webhooks' JSON (events/event-model.ts).
import { AppError } from '../domain/errors.js';
import type { Session } from '../domain/model.js';
import type { Store } from '../store/store.js';
import type { EventBus } from '../events/event-bus.js';
import { eventsOfTimeline, parseEventId, type SessionEventJson } from '../events/event-model.js';
import { isFinal } from '../domain/session-state.js';

export interface StreamSink {
  send(event: SessionEventJson): void;
  close(): void;
  /** Registers what to undo when the client goes away. */
  onClose(cleanup: () => void): void;
}

const RESUME_SESSIONS_MAX = 500;

export class EventStreams {
  private readonly open = new Map<string, number>();
  private readonly sinks = new Set<StreamSink>();

  constructor(private readonly store: Store, private readonly bus: EventBus, private readonly maxPerAccount: number) {}

  /** Counts the stream before its first byte (so the cap is a clean 429); released when it closes. */
  private admit(accountId: string): (sink: StreamSink) => void {
    const n = this.open.get(accountId) ?? 0;
    if (n >= this.maxPerAccount) {
      throw new AppError('rate-limited', 'TooManyStreams', `The account has ${this.maxPerAccount} event streams open, its limit`, [], 5);
    }
    this.open.set(accountId, n + 1);
    return (sink) => {
      this.sinks.add(sink);
      sink.onClose(() => {
        this.sinks.delete(sink);
        const left = (this.open.get(accountId) ?? 1) - 1;
        if (left > 0) this.open.set(accountId, left);
        else this.open.delete(accountId);
      });
    };
  }

  /** Closes every stream (events may have been missed): clients resume with Last-Event-ID. */
  closeAll(): void {
    for (const sink of [...this.sinks]) sink.close();
  }

  /** Checks the session and the cap (errors before any byte is sent), then returns the runner. */
  async session(accountId: string, sessionId: string, lastEventId: string | undefined): Promise<(sink: StreamSink) => Promise<void>> {
    const session = sessionId.length > 0 && sessionId.length <= 128 ? await this.store.getSession(accountId, sessionId) : undefined;
    if (!session) throw AppError.notFound('Session');
    const after = resumePoint(session, lastEventId);
    const admitted = this.admit(accountId);
    return async (sink) => {
      admitted(sink);
      let sent = after;
      let done = false;
      const deliver = (e: SessionEventJson): void => {
        if (done || e.sequence <= sent) return;
        sent = e.sequence;
        sink.send(e);
        if (e.type === 'session.ended') {
          done = true;
          sink.close();
        }
      };
      const buffered: SessionEventJson[] = [];
      let replaying = true;
      const off = this.bus.onSession(session.id, (e) => (replaying ? buffered.push(e) : deliver(e)));
      sink.onClose(off);
      const replay = eventsOfTimeline(session, await this.store.listSessionEvents(session.id));
      replaying = false;
      for (const e of [...replay, ...buffered.sort((a, b) => a.sequence - b.sequence)]) deliver(e);
      const stored = await this.store.getSession(accountId, session.id);
      if (!done && stored && isFinal(stored.state) && replay.every((e) => e.type !== 'session.ended')) {
        // Ended without a terminal event in the timeline (never happens for sessions of this engine).
        done = true;
        sink.close();
      }
    };
  }

  async account(accountId: string, lastEventId: string | undefined): Promise<(sink: StreamSink) => Promise<void>> {
    const resumeAfter = lastEventId ? await this.eventTime(accountId, lastEventId) : undefined;
    const admitted = this.admit(accountId);
    return async (sink) => {
      admitted(sink);
      const sentBySession = new Map<string, number>();
      const deliver = (e: SessionEventJson): void => {
        if (e.sequence <= (sentBySession.get(e.sessionId) ?? 0)) return;
        sentBySession.set(e.sessionId, e.sequence);
        sink.send(e);
      };
      const buffered: SessionEventJson[] = [];
      let replaying = resumeAfter !== undefined;
      const off = this.bus.onAccount(accountId, (e) => (replaying ? buffered.push(e) : deliver(e)));
      sink.onClose(off);
      if (resumeAfter) {
        if (resumeAfter.sessionId) sentBySession.set(resumeAfter.sessionId, resumeAfter.seq);
        const missed: SessionEventJson[] = [];
        for (const id of await this.store.sessionsWithEventsSince(accountId, resumeAfter.at, RESUME_SESSIONS_MAX)) {
          const s = await this.store.getSession(accountId, id);
          if (!s) continue;
          missed.push(...eventsOfTimeline(s, await this.store.listSessionEvents(id)).filter((e) => e.time >= resumeAfter.at));
        }
        missed.sort((a, b) => a.time.localeCompare(b.time) || a.sequence - b.sequence);
        replaying = false;
        for (const e of [...missed, ...buffered]) deliver(e);
      }
    };
  }

  /** Where an account stream resumes: the time of the event named by Last-Event-ID. */
  private async eventTime(accountId: string, lastEventId: string): Promise<{ at: string; sessionId?: string; seq: number } | undefined> {
    const parsed = parseEventId(lastEventId);
    if (!parsed) return undefined;
    const key = parsed.sessionKey;
    if (key.length !== 32) return undefined;
    const id = `${key.slice(0, 8)}-${key.slice(8, 12)}-${key.slice(12, 16)}-${key.slice(16, 20)}-${key.slice(20)}`;
    const s = await this.store.getSession(accountId, id);
    if (!s) return undefined;
    const row = (await this.store.listSessionEvents(id)).find((e) => e.seq === parsed.seq);
    return row ? { at: row.at, sessionId: id, seq: parsed.seq } : undefined;
  }
}

/** The seq a session stream resumes after (0: from the start). */
function resumePoint(session: Session, lastEventId: string | undefined): number {
  if (!lastEventId) return 0;
  const parsed = parseEventId(lastEventId);
  return parsed && parsed.sessionKey === session.id.replace(/-/g, '') ? parsed.seq : 0;
}
