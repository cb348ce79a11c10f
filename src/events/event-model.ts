// The events a session emits, one definition for webhooks and the live stream: which timeline
// rows are events (and of which type), their stable ids, the session snapshot they carry, and
// their JSON. Pure: a replay of the stored timeline renders exactly the JSON sent live.
import { storedEntry, type TimelineEntry, type TimelineRowType } from '../domain/timeline.js';
import type { CallDirection, Session, SessionEvent, SessionState } from '../domain/model.js';
import { isFinal } from '../domain/session-state.js';

export const EVENT_TYPES = [
  'session.queued', 'session.dialing', 'session.ringing', 'session.answered',
  'session.step.started', 'session.step.finished', 'session.dtmf', 'session.recording.ready',
  'session.redirected', 'session.hold', 'session.ended',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** What a subscription gets when it names no event types: the state changes. */
export const DEFAULT_EVENTS: readonly EventType[] = [
  'session.queued', 'session.dialing', 'session.ringing', 'session.answered', 'session.ended',
];

/** The terminal event: every destination of a session gets it, whatever it subscribed to. */
export const TERMINAL_EVENT: EventType = 'session.ended';

const STATE_EVENTS: Partial<Record<SessionState, EventType>> = {
  queued: 'session.queued', dialing: 'session.dialing', ringing: 'session.ringing', 'in-progress': 'session.answered',
};

const ROW_EVENTS: Partial<Record<TimelineRowType, EventType>> = {
  'step.started': 'session.step.started',
  'step.finished': 'session.step.finished',
  dtmf: 'session.dtmf',
  'recording.finished': 'session.recording.ready',
  'session.redirected': 'session.redirected',
  'session.hold': 'session.hold',
};

/** A timeline row as the events are made from it (as written, or read back: `eventsOfTimeline`). */
export type EventRow = { seq: number; at: string } & TimelineEntry;

/** The event type of a timeline row, or undefined for rows that are not events (ARI details). */
export function eventTypeOf(row: EventRow): EventType | undefined {
  if (row.type === 'state') {
    const { state } = row.data;
    return isFinal(state) ? 'session.ended' : STATE_EVENTS[state];
  }
  if (row.type === 'recording.finished') return row.data.state === 'done' ? 'session.recording.ready' : undefined;
  return ROW_EVENTS[row.type];
}

/** Stable: the same on every retry and after a restart (derived from the session and seq). */
export function eventId(sessionId: string, seq: number): string {
  return `evt_${sessionId.replace(/-/g, '')}_${seq}`;
}

/** Parses an event id back (Last-Event-ID); undefined when it is not one of ours. */
export function parseEventId(id: string): { sessionKey: string; seq: number } | undefined {
  const m = /^evt_([0-9a-zA-Z]+)_(\d{1,9})$/.exec(id);
  return m ? { sessionKey: m[1]!, seq: Number(m[2]) } : undefined;
}

export interface SessionSnapshot {
  id: string;
  direction: CallDirection;
  state: SessionState;
  flowId: string;
  flowVersion: number;
  numberToDial: string;
  callerId: string;
  dateCreated: string;
  dateAnswered: string | null;
  dateEnded: string | null;
  endReason: string | null;
}

export function initialSnapshot(s: Session): SessionSnapshot {
  return {
    id: s.id, direction: s.direction, state: 'queued', flowId: s.flowId, flowVersion: s.flowVersion, numberToDial: s.numberToDial,
    callerId: s.callerId, dateCreated: s.dateCreated, dateAnswered: null, dateEnded: null, endReason: null,
  };
}

/** The snapshot after a timeline row: only state rows change it. */
export function applyRow(snapshot: SessionSnapshot, row: EventRow): SessionSnapshot {
  if (row.type !== 'state') return snapshot;
  const { state, reason } = row.data;
  const next: SessionSnapshot = { ...snapshot, state };
  if (state === 'in-progress') next.dateAnswered = row.at;
  if (isFinal(state)) {
    next.dateEnded = row.at;
    if (reason !== undefined) next.endReason = reason;
  }
  return next;
}

export interface SessionEventJson {
  id: string;
  type: EventType;
  sessionId: string;
  accountId: string;
  sequence: number;
  time: string;
  data: Record<string, unknown>;
  session: SessionSnapshot;
}

export function renderEvent(accountId: string, type: EventType, row: EventRow, snapshot: SessionSnapshot): SessionEventJson {
  return {
    id: eventId(snapshot.id, row.seq), type, sessionId: snapshot.id, accountId, sequence: row.seq, time: row.at,
    data: row.data, session: snapshot,
  };
}

/** Does a subscription (its event list) want this type? The terminal event always. */
export function wants(events: readonly string[] | null | undefined, type: EventType): boolean {
  if (type === TERMINAL_EVENT) return true;
  return (events && events.length > 0 ? events : DEFAULT_EVENTS).includes(type);
}

/** Replays a stored timeline into its events (for the live stream's catch-up). */
export function eventsOfTimeline(session: Session, stored: ReadonlyArray<Pick<SessionEvent, 'seq' | 'at' | 'type' | 'data'>>): SessionEventJson[] {
  let snapshot = initialSnapshot(session);
  const out: SessionEventJson[] = [];
  for (const read of stored) {
    // A type no longer declared is neither an event nor a state change.
    const row = storedEntry(read);
    if (!row) continue;
    snapshot = applyRow(snapshot, row);
    const type = eventTypeOf(row);
    if (type) out.push(renderEvent(session.accountId, type, row, snapshot));
  }
  return out;
}
