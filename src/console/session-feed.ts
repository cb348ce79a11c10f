// Where the console's live data comes from: polling the REST API. The engine has no event stream
// yet; when GET /events (SSE) exists, this module is the one to switch: the views only see
// `watchLive` and `watchSession` callbacks.
import { LIVE_STATES, FINAL_STATES } from '../domain/model.js';
import { api, query, type PageOf, type SessionDetail, type SessionSummary } from './api.js';

export const POLL_MS = 1000;
/** Live sessions whose current step is looked up (one GET each per poll). */
const DETAIL_LIMIT = 20;

export interface LiveSession extends SessionSummary {
  /** The step running now, from the timeline (the list does not carry it). */
  currentStep?: string;
  dateAnswered?: string;
}

export type Stop = () => void;

function currentStep(detail: SessionDetail): string | undefined {
  for (let i = detail.timeline.length - 1; i >= 0; i -= 1) {
    const e = detail.timeline[i]!;
    if (e.type === 'step.started') return `${String(e.data.stepId)} (${String(e.data.type)})`;
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

/** The live sessions of the account (newest first), with their current step. */
export function watchLive(onUpdate: (sessions: LiveSession[]) => void, onError: (err: unknown) => void): Stop {
  return poll(async () => {
    const pages = await Promise.all(LIVE_STATES.map((state) => api<PageOf<SessionSummary>>('GET', `/sessions${query({ state, countPerPage: 100 })}`)));
    const live: LiveSession[] = pages.flatMap((p) => p.items).sort((a, b) => b.dateCreated.localeCompare(a.dateCreated));
    const details = await Promise.all(live.slice(0, DETAIL_LIMIT).map((s) => api<SessionDetail>('GET', `/sessions/${encodeURIComponent(s.id)}`).catch(() => undefined)));
    details.forEach((d, i) => {
      const s = live[i]!;
      if (!d) return;
      s.state = d.state;
      const step = currentStep(d);
      if (step) s.currentStep = step;
      if (d.dateAnswered) s.dateAnswered = d.dateAnswered;
    });
    onUpdate(live);
  }, onError);
}

/** One session until it is final (then one last update). */
export function watchSession(id: string, onUpdate: (session: SessionDetail) => void, onError: (err: unknown) => void): Stop {
  let final = false;
  return poll(async () => {
    const s = await api<SessionDetail>('GET', `/sessions/${encodeURIComponent(id)}`);
    final = FINAL_STATES.includes(s.state as never);
    onUpdate(s);
  }, onError, () => final);
}
