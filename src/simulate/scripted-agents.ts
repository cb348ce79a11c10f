// Stream steps in a flow simulation: scripted agents instead of WebSocket servers, acting at
// virtual times counted from the stream's start (the `agents` of a simulation script, by the
// stream step's url). What an agent can do is what decides a stream step's outcome: say something
// (`sayMs` of audio, with a `mark` echoed once it has played), `clear` it, end with `exit`
// (variables, next), or close the socket (`close`: clean or drop). An agent that is `unreachable`
// sends the step to onFailed; an agent the script does not name is reached and stays silent.
// The timeline gets the rows a live stream writes (stream.started/mark/clear/exit/stopped).
import type { TimelineWriter } from '../domain/timeline.js';
import type { StreamEnd, StreamHandle, StreamHost, StreamRequest } from '../streams/stream-host.js';
import type { Timers } from '../telephony/wait.js';

export interface AgentAction {
  /** Milliseconds after the stream started. */
  atMs: number;
  /** Audio this long, played in real (virtual) time. */
  sayMs?: number;
  /** A mark after that audio: echoed once it has played. */
  mark?: string;
  clear?: true;
  exit?: { variables?: Record<string, string>; next?: string };
  close?: 'clean' | 'drop';
}

export interface AgentScript {
  unreachable?: boolean;
  actions?: AgentAction[];
}

const FRAME_MS = 20;
const ACTION_KEYS = ['atMs', 'sayMs', 'mark', 'clear', 'exit', 'close'];
const MAX_ACTIONS = 100;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The `agents` of a simulation script, checked; throws an Error naming the offending field. */
export function readAgents(raw: unknown, where: string): Record<string, AgentScript> {
  if (!isObject(raw)) throw new Error(`${where}: must be an object mapping stream urls to agent scripts`);
  const out: Record<string, AgentScript> = {};
  for (const [url, agent] of Object.entries(raw)) {
    const at = `${where}[${JSON.stringify(url)}]`;
    if (!isObject(agent)) throw new Error(`${at}: must be an object (unreachable, actions)`);
    for (const key of Object.keys(agent)) if (key !== 'unreachable' && key !== 'actions') throw new Error(`${at}.${key}: not a known property (known: unreachable, actions)`);
    const script: AgentScript = {};
    if (agent.unreachable !== undefined) {
      if (typeof agent.unreachable !== 'boolean') throw new Error(`${at}.unreachable: must be true or false`);
      script.unreachable = agent.unreachable;
    }
    if (agent.actions !== undefined) {
      if (!Array.isArray(agent.actions) || agent.actions.length > MAX_ACTIONS) throw new Error(`${at}.actions: must be a list of at most ${MAX_ACTIONS} actions`);
      script.actions = agent.actions.map((a, i) => readAction(a, `${at}.actions[${i}]`));
    }
    out[url] = script;
  }
  return out;
}

function readAction(raw: unknown, at: string): AgentAction {
  if (!isObject(raw)) throw new Error(`${at}: must be an object`);
  for (const key of Object.keys(raw)) if (!ACTION_KEYS.includes(key)) throw new Error(`${at}.${key}: not a known property (known: ${ACTION_KEYS.join(', ')})`);
  const ms = (key: string): number | undefined => {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 14_400_000) throw new Error(`${at}.${key}: must be a whole number of milliseconds`);
    return v;
  };
  const action: AgentAction = { atMs: ms('atMs') ?? 0 };
  const sayMs = ms('sayMs');
  if (sayMs !== undefined) action.sayMs = sayMs;
  if (raw.mark !== undefined) {
    if (typeof raw.mark !== 'string') throw new Error(`${at}.mark: must be a string`);
    action.mark = raw.mark;
  }
  if (raw.clear !== undefined) {
    if (raw.clear !== true) throw new Error(`${at}.clear: must be true`);
    action.clear = true;
  }
  if (raw.exit !== undefined) {
    if (!isObject(raw.exit)) throw new Error(`${at}.exit: must be an object (variables, next)`);
    const { variables, next } = raw.exit;
    if (variables !== undefined && (!isObject(variables) || Object.values(variables).some((v) => typeof v !== 'string'))) throw new Error(`${at}.exit.variables: must map names to strings`);
    if (next !== undefined && typeof next !== 'string') throw new Error(`${at}.exit.next: must be a step id`);
    action.exit = { ...(variables ? { variables: variables as Record<string, string> } : {}), ...(typeof next === 'string' ? { next } : {}) };
  }
  if (raw.close !== undefined) {
    if (raw.close !== 'clean' && raw.close !== 'drop') throw new Error(`${at}.close: must be clean or drop`);
    action.close = raw.close;
  }
  return action;
}

/** A call's streams in a simulation. */
export class ScriptedStreams implements StreamHost {
  private readonly forks = new Map<string, ScriptedStream>();
  private seq = 0;

  constructor(
    private readonly agents: Record<string, AgentScript>,
    private readonly clock: Timers & { now(): number },
    private readonly timeline: TimelineWriter,
    callSignal: AbortSignal,
  ) {
    callSignal.addEventListener('abort', () => {
      for (const s of this.forks.values()) void s.stop('hangup');
      this.forks.clear();
    }, { once: true });
  }

  open(req: StreamRequest): Promise<StreamHandle | { failed: string }> {
    const agent = this.agents[req.url] ?? {};
    if (agent.unreachable) return Promise.resolve({ failed: `the agent could not be reached (scripted: ${req.url})` });
    this.seq += 1;
    const stream = new ScriptedStream(req, agent, this.clock, this.timeline, `MZsimulated${this.seq}`);
    if (req.fork) {
      this.forks.set(req.stepId, stream);
      stream.subscribe(() => { if (this.forks.get(req.stepId) === stream) this.forks.delete(req.stepId); });
    }
    return Promise.resolve(stream);
  }

  async stop(stepId: string, reason: string): Promise<boolean> {
    const s = this.forks.get(stepId);
    if (!s) return false;
    this.forks.delete(stepId);
    await s.stop(reason);
    return true;
  }
}

class ScriptedStream implements StreamHandle {
  private end: StreamEnd | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly timers: unknown[] = [];
  private readonly startedAt: number;
  /** Virtual time the audio queued so far finishes playing. */
  private playingUntil: number;
  private framesToCaller = 0;
  private marks = 0;
  private clears = 0;
  private readonly pendingMarks: Array<{ name: string; timer: unknown }> = [];

  constructor(
    private readonly req: StreamRequest,
    agent: AgentScript,
    private readonly clock: Timers & { now(): number },
    private readonly timeline: TimelineWriter,
    private readonly streamSid: string,
  ) {
    this.startedAt = clock.now();
    this.playingUntil = this.startedAt;
    timeline('stream.started', { stepId: req.stepId, streamSid, tracks: req.tracks, bidirectional: !req.fork });
    for (const action of agent.actions ?? []) this.timers.push(clock.setTimeout(() => this.act(action), action.atMs));
  }

  ended(): StreamEnd | undefined {
    return this.end;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dtmf(): void {
    // A scripted agent acts at its own times only.
  }

  stop(reason: string): Promise<void> {
    this.finish({ kind: 'stopped', reason });
    return Promise.resolve();
  }

  private act(a: AgentAction): void {
    if (this.end) return;
    const now = this.clock.now();
    if (a.sayMs !== undefined && !this.req.fork) {
      const frames = Math.ceil(a.sayMs / FRAME_MS);
      this.playingUntil = Math.max(this.playingUntil, now) + frames * FRAME_MS;
      this.framesToCaller += frames;
    }
    if (a.mark !== undefined && !this.req.fork) {
      const name = a.mark;
      const timer = this.clock.setTimeout(() => this.echoMark(name), Math.max(0, this.playingUntil - now));
      this.pendingMarks.push({ name, timer });
      this.timers.push(timer);
    }
    if (a.clear && !this.req.fork) {
      this.clears += 1;
      // As a live stream does: the marks still waiting come back at once.
      for (const { name, timer } of this.pendingMarks.splice(0)) {
        this.clock.clearTimeout(timer);
        this.echoMark(name);
      }
      const cleared = Math.max(0, Math.ceil((this.playingUntil - now) / FRAME_MS));
      this.framesToCaller -= cleared;
      this.playingUntil = now;
      this.timeline('stream.clear', { stepId: this.req.stepId, streamSid: this.streamSid, clearedFrames: cleared });
    }
    if (a.exit) {
      this.timeline('stream.exit', { stepId: this.req.stepId, streamSid: this.streamSid, next: a.exit.next ?? null, variables: Object.keys(a.exit.variables ?? {}) });
      this.finish({ kind: 'exit', variables: a.exit.variables ?? {}, ...(a.exit.next === undefined ? {} : { next: a.exit.next }) });
    }
    if (a.close) this.finish(a.close === 'drop' ? { kind: 'dropped' } : { kind: 'closed' });
  }

  private echoMark(name: string): void {
    if (this.end) return;
    const i = this.pendingMarks.findIndex((m) => m.name === name);
    if (i >= 0) this.pendingMarks.splice(i, 1);
    this.marks += 1;
    this.timeline('stream.mark', { stepId: this.req.stepId, streamSid: this.streamSid, name });
  }

  private finish(end: StreamEnd): void {
    if (this.end) return;
    this.end = end;
    for (const t of this.timers) this.clock.clearTimeout(t);
    const elapsed = this.clock.now() - this.startedAt;
    const played = Math.min(this.framesToCaller, Math.floor(elapsed / FRAME_MS));
    this.timeline('stream.stopped', {
      stepId: this.req.stepId, streamSid: this.streamSid, reason: end.kind === 'stopped' ? end.reason : end.kind,
      framesToAgent: Math.floor(elapsed / FRAME_MS) * this.req.tracks.length, framesToCaller: played, droppedToAgent: 0, droppedToCaller: 0, marks: this.marks, clears: this.clears,
    });
    for (const l of [...this.listeners]) l();
  }
}
