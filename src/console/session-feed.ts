// Where the console's live data comes from, the one module the views use for it: the engine's
// event streams (GET /events for the live list, GET /sessions/{id}/events for one session), read
// by event-stream.ts. Polling the REST API is the fallback, used only when the engine says a
// stream is unavailable (its per-account cap); the views are told which of the two they get.
import { LIVE_STATES, FINAL_STATES } from '../domain/model.js';
import type { SessionEventJson } from '../events/event-model.js';
import { api, query, type ApiError, type PageOf, type SessionDetail, type SessionSummary } from './api.js';
import { followStream } from './event-stream.js';

export const POLL_MS = 1000;
/** Live sessions whose current step is looked up (one GET each) when the list is (re)loaded. */
const DETAIL_LIMIT = 20;

export type LiveSession = Pick<SessionSummary, 'id' | 'state' | 'numberToDial' | 'callerId' | 'flowId' | 'flowVersion' | 'dateCreated'> & {
  /** The step running now, from the timeline or the last session.step.started. */
  currentStep?: string;
  dateAnswered?: string;
};

/** How the data arrives: streamed, or polled because the stream was refused (and why). */
export type FeedMode = { kind: 'stream' } | { kind: 'reconnecting' } | { kind: 'polling'; reason: string };

export interface Feed<T> {
  onUpdate(value: T): void;
  onError(err: unknown): void;
  onMode?(mode: FeedMode): void;
}

export type Stop = () => void;

function stepLabel(data: Record<string, unknown>): string {
  return `${String(data.stepId)} (${String(data.type)})`;
}

function currentStep(detail: SessionDetail): string | undefined {
  for (let i = detail.timeline.length - 1; i >= 0; i -= 1) {
    const e = detail.timeline[i]!;
    if (e.type === 'step.started') return stepLabel(e.data);
    if (e.type === 'flow.ended') return undefined;
  }
  return undefined;
}

/** Polls until stopped; `fn` errors are reported to `onError`, and polling goes on. */
function poll(fn: () => Promise<void>, onError: (err: unknown) => void, done: () => boolean = () => false): Stop {
  let stopped = false;
  let timer: number | undefined;
  const tick = async (): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      onError(err);
    }
    if (!stopped && !done()) timer = window.setTimeout(() => void tick(), POLL_MS);
  };
  void tick();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}

/** The live sessions now, with the current step of the newest ones. */
async function loadLive(): Promise<LiveSession[]> {
  const pages = await Promise.all(LIVE_STATES.map((state) => api<PageOf<SessionSummary>>('GET', `/sessions${query({ state, countPerPage: 100 })}`)));
  const live: LiveSession[] = pages.flatMap((p) => p.items);
  const details = await Promise.all(live.slice(0, DETAIL_LIMIT).map((s) => api<SessionDetail>('GET', `/sessions/${encodeURIComponent(s.id)}`).catch(() => undefined)));
  details.forEach((d, i) => {
    const s = live[i]!;
    if (!d) return;
    s.state = d.state;
    const step = currentStep(d);
    if (step) s.currentStep = step;
    if (d.dateAnswered) s.dateAnswered = d.dateAnswered;
  });
  return live;
}

const newestFirst = (sessions: Iterable<LiveSession>): LiveSession[] => [...sessions].sort((a, b) => b.dateCreated.localeCompare(a.dateCreated));

/** One event applied to the live list: the snapshot's state and dates, the step, the end. */
function applyEvent(live: Map<string, LiveSession>, e: SessionEventJson): void {
  if (e.type === 'session.ended') {
    live.delete(e.sessionId);
    return;
  }
  const s = e.session;
  const known = live.get(e.sessionId);
  const next: LiveSession = {
    ...known, id: s.id, state: s.state, numberToDial: s.numberToDial, callerId: s.callerId, flowId: s.flowId, flowVersion: s.flowVersion, dateCreated: s.dateCreated,
  };
  if (s.dateAnswered) next.dateAnswered = s.dateAnswered;
  if (e.type === 'session.step.started') next.currentStep = stepLabel(e.data);
  if (e.type === 'session.redirected') delete next.currentStep;
  live.set(e.sessionId, next);
}

function parseEvent(data: string): SessionEventJson | undefined {
  try {
    return JSON.parse(data) as SessionEventJson;
  } catch {
    return undefined;
  }
}

function unavailable(err: ApiError): FeedMode {
  return { kind: 'polling', reason: err.message };
}

/**
 * The live sessions of the account (newest first). The stream opens first and its events wait
 * until the list is loaded, so nothing that happens in between is lost; after a reconnect the
 * list is loaded again (Last-Event-ID also replays what was missed).
 */
export function watchLive(feed: Feed<LiveSession[]>): Stop {
  const live = new Map<string, LiveSession>();
  let waiting: SessionEventJson[] | undefined;
  let fallback: Stop | undefined;
  let stopped = false;
  const publish = (): void => {
    if (!stopped) feed.onUpdate(newestFirst(live.values()));
  };
  const stopStream = followStream('/events', {
    onOpen: () => {
      feed.onMode?.({ kind: 'stream' });
      waiting = [];
      loadLive().then((sessions) => {
        live.clear();
        for (const s of sessions) live.set(s.id, s);
        for (const e of waiting ?? []) applyEvent(live, e);
        waiting = undefined;
        publish();
      }, feed.onError);
    },
    onEvent: (m) => {
      const e = parseEvent(m.data);
      if (!e) return;
      if (waiting) waiting.push(e);
      else {
        applyEvent(live, e);
        publish();
      }
    },
    onDrop: () => feed.onMode?.({ kind: 'reconnecting' }),
    onUnavailable: (err) => {
      feed.onMode?.(unavailable(err));
      fallback = poll(async () => {
        const sessions = await loadLive();
        if (!stopped) feed.onUpdate(newestFirst(sessions));
      }, feed.onError);
    },
    onError: feed.onError,
  });
  return () => {
    stopped = true;
    stopStream();
    fallback?.();
  };
}

/**
 * One session until it is final. The stream replays its events then follows it; each event (a
 * burst coalesced into one) reloads the session, whose timeline also holds the rows that are not
 * events (prompts, ARI details) and whose variables the events do not carry. `refresh` loads it
 * again now (after an action whose timeline row makes no event).
 */
export function watchSession(id: string, feed: Feed<SessionDetail>): Stop & { refresh(): void } {
  const path = `/sessions/${encodeURIComponent(id)}`;
  let stopped = false;
  let loading: Promise<void> | undefined;
  let again = false;
  let fallback: Stop | undefined;
  let stopStream: Stop = () => undefined;
  const load = (): void => {
    if (loading) {
      again = true;
      return;
    }
    loading = api<SessionDetail>('GET', path).then((s) => {
      if (stopped) return;
      feed.onUpdate(s);
      if (FINAL_STATES.includes(s.state as never)) stopStream();
    }, feed.onError).finally(() => {
      loading = undefined;
      if (again && !stopped) {
        again = false;
        load();
      }
    });
  };
  stopStream = followStream(`${path}/events`, {
    onOpen: () => {
      feed.onMode?.({ kind: 'stream' });
      load();
    },
    onEvent: (m) => {
      // The engine closes the stream after the end: not a drop to reconnect after.
      if (m.event === 'session.ended') stopStream();
      load();
    },
    onDrop: () => feed.onMode?.({ kind: 'reconnecting' }),
    onUnavailable: (err) => {
      feed.onMode?.(unavailable(err));
      let final = false;
      fallback = poll(async () => {
        const s = await api<SessionDetail>('GET', path);
        final = FINAL_STATES.includes(s.state as never);
        feed.onUpdate(s);
      }, feed.onError, () => final);
    },
    onError: feed.onError,
  });
  return Object.assign(() => {
    stopped = true;
    stopStream();
    fallback?.();
  }, { refresh: load });
}
