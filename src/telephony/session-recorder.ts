// Everything a live session writes goes through here, as units of work (store `recordSession`):
// a state change with its timeline row and its outbox rows, a timeline row with its outbox row, a
// variable. A unit commits whole or not at all, so no event is announced for a state that is not
// stored and no state is stored without its event. The recorder owns the session's seq (the
// session's owner is its only writer), which is also the events' sequence number.
//
// Durability (docs/webhooks.md): units wait up to the store's row commit delay (50 ms) for
// company; the final state commits on the next tick. Nothing is sent or streamed before its
// commit. A crash may lose the last uncommitted units of a live session; the restart then ends
// that session (`failed`, with its one `session.ended`) from what is stored.
import type { Logger } from '../log.js';
import type { Session, SessionState } from '../domain/model.js';
import { isFinal } from '../domain/session-state.js';
import { entryOf, recordingOf, type StateRow, type TimelineArgs, type TimelineEntry } from '../domain/timeline.js';
import type { OutboxEvent, SessionUnit, SessionUnitWriter, SessionUpdate, TimelineRow } from '../store/store.js';
import {
  applyRow, eventId, eventTypeOf, initialSnapshot, renderEvent, wants,
  type EventType, type SessionEventJson, type SessionSnapshot,
} from '../events/event-model.js';

/** Where an event of a session goes: `callback` (its statusCallback) and the account's webhooks. */
export interface Destinations {
  targets(type: EventType): Array<{ target: string; url: string; secret: string }>;
}

export const NO_DESTINATIONS: Destinations = { targets: () => [] };

/**
 * Builds the destinations of a session from its statusCallback (signed with the account's
 * `callbackSecret`) and the account's subscriptions.
 */
export function destinationsOf(
  session: Pick<Session, 'statusCallback' | 'statusCallbackEvents'>,
  hooks: ReadonlyArray<{ id: string; url: string; events: string[]; secret: string }>,
  callbackSecret: string | undefined,
): Destinations {
  const callback = session.statusCallback && callbackSecret ? { url: session.statusCallback, secret: callbackSecret } : undefined;
  if (!callback && hooks.length === 0) return NO_DESTINATIONS;
  return {
    targets(type) {
      const out: Array<{ target: string; url: string; secret: string }> = [];
      if (callback && wants(session.statusCallbackEvents, type)) out.push({ target: 'callback', ...callback });
      for (const h of hooks) if (wants(h.events, type)) out.push({ target: h.id, url: h.url, secret: h.secret });
      return out;
    },
  };
}

/** What the recorder tells the event machinery, after a commit. */
export interface EventsOut {
  /** Anyone streaming this session live? (Nothing is rendered for the stream otherwise.) */
  listening(accountId: string, sessionId: string): boolean;
  published(event: SessionEventJson): void;
  /** The claim new outbox rows are written with: this process's delivery worker, or none. */
  claim(): { workerId: string; expires: string } | undefined;
  /** Outbox rows (these events, claimed as `claim()` said) were committed: the worker sends them. */
  outboxCommitted(events: readonly OutboxEvent[]): void;
}

export const NO_EVENTS_OUT: EventsOut = {
  listening: () => false, published: () => undefined, claim: () => undefined, outboxCommitted: () => undefined,
};

/** What a state change's row carries besides what the recorder adds (the state, and a final one's figures). */
export type StateChange = Pick<StateRow, 'reason' | 'previousOwner'>;

export class SessionRecorder {
  private seq: number;
  private snapshot: SessionSnapshot;
  private readonly variables: Record<string, string>;
  private writesInFlight = 0;
  private readonly drained: Array<() => void> = [];

  constructor(
    private readonly session: Session,
    private readonly deps: {
      store: SessionUnitWriter; out: EventsOut; destinations: Destinations; log: Logger;
      /** Told when a unit failed to commit (besides the log). */
      onWriteFailed?: (err: unknown) => void;
    },
    /** The last seq already stored, and the snapshot it left (a fresh session: its `queued` row). */
    start: { seq: number; snapshot?: SessionSnapshot },
  ) {
    this.seq = start.seq;
    this.snapshot = start.snapshot ?? { ...initialSnapshot(session), state: session.state };
    this.variables = { ...session.variables };
  }

  /** The first unit of a new session: its `queued` row and event, written with the session itself. */
  static firstUnit(session: Session, destinations: Destinations, claim: { workerId: string; expires: string } | undefined): SessionUnit {
    const row: TimelineRow = { seq: 1, at: session.dateCreated, type: 'state', data: { state: 'queued' } };
    const snapshot = applyRow(initialSnapshot(session), row);
    return { timeline: [row], outbox: outboxFor(session, row, snapshot, destinations, 'session.queued', () => claim) };
  }

  get state(): SessionState {
    return this.snapshot.state;
  }

  vars(): Record<string, string> {
    return { ...this.variables };
  }

  /** Every row but a state change's is written here: `data` as its type declares it (domain/timeline.ts). */
  timeline(...args: TimelineArgs): void {
    this.write(entryOf(args), args[2] ?? new Date().toISOString());
  }

  /** A state change with its timeline row (and its event); false when the state machine refuses it. */
  transition(to: SessionState, allowed: boolean, data: StateChange = {}, at?: string): boolean {
    if (!allowed) return false;
    const stamp = at ?? new Date().toISOString();
    const change: SessionUpdate = { state: to };
    let rowData: StateRow = { state: to, ...data };
    if (to === 'in-progress') change.dateAnswered = stamp;
    if (isFinal(to)) {
      change.dateEnded = stamp;
      if (data.reason !== undefined) change.endReason = data.reason;
      const answeredAt = this.snapshot.dateAnswered;
      rowData = {
        ...rowData,
        answeredAt,
        durationSec: answeredAt ? Math.max(0, Math.round((Date.parse(stamp) - Date.parse(answeredAt)) / 1000)) : 0,
        variables: { ...this.variables },
      };
    }
    this.write({ type: 'state', data: rowData }, stamp, change, isFinal(to));
    return true;
  }

  setVariable(name: string, value: string): void {
    this.variables[name] = value;
    this.submit({ variables: [{ name, value }] }, [], false);
  }

  /** Resolves once every unit issued so far has committed (or failed). */
  settled(): Promise<void> {
    if (this.writesInFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.drained.push(resolve));
  }

  private write(entry: TimelineEntry, at: string, change?: SessionUpdate, urgent = false): void {
    this.seq += 1;
    const row: TimelineRow = { seq: this.seq, ...entry, at };
    this.snapshot = applyRow(this.snapshot, row);
    const type = eventTypeOf(row);
    const outbox = type ? outboxFor(this.session, row, this.snapshot, this.deps.destinations, type, () => this.deps.out.claim()) : [];
    const stream: SessionEventJson[] = type && this.deps.out.listening(this.session.accountId, this.session.id)
      ? [renderEvent(this.session.accountId, type, row, this.snapshot)] : [];
    const recording = recordingOf(entry, at);
    this.submit({
      ...(change ? { change } : {}), timeline: [row], ...(outbox.length > 0 ? { outbox } : {}), ...(recording ? { recordings: [recording] } : {}),
    }, stream, urgent);
  }

  private submit(unit: SessionUnit, stream: SessionEventJson[], urgent: boolean): void {
    let issued: Promise<void>;
    try {
      issued = this.deps.store.recordSession(this.session.id, unit, urgent);
    } catch (err) {
      issued = Promise.reject(err);
    }
    this.writesInFlight += 1;
    issued.then(() => {
      for (const e of stream) this.deps.out.published(e);
      if (unit.outbox) this.deps.out.outboxCommitted(unit.outbox);
      this.settle();
    }, (err: unknown) => {
      this.deps.log.error({ err }, 'session write failed');
      this.deps.onWriteFailed?.(err);
      this.settle();
    });
  }

  private settle(): void {
    this.writesInFlight -= 1;
    if (this.writesInFlight === 0) for (const resolve of this.drained.splice(0)) resolve();
  }
}

/** `claim` is asked only when the event has a destination (it reads the clock). */
function outboxFor(
  session: Session, row: TimelineRow, snapshot: SessionSnapshot, destinations: Destinations,
  type: EventType, claimOf: () => { workerId: string; expires: string } | undefined,
): OutboxEvent[] {
  const targets = destinations.targets(type);
  if (targets.length === 0) return [];
  const claim = claimOf();
  return [{
    id: eventId(session.id, row.seq), sessionId: session.id, accountId: session.accountId, seq: row.seq, type, at: row.at,
    body: JSON.stringify(renderEvent(session.accountId, type, row, snapshot)), targets, ...(claim ? { claim } : {}),
  }];
}
