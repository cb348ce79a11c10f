// Flow simulation: the live call's runtime (call-runtime.ts: event routing, the real flow runner
// and steps, the dial step's real bridging, transfer) against a scripted callee and scripted dialed parties (ScriptedCall, script.ts) on a virtual
// clock. Never touches a telephony server; the same input gives the same output.
import type { FlowDocument } from '../domain/flow.js';
import type { Flow, SessionState } from '../domain/model.js';
import { stepEdges } from '../domain/flow-graph.js';
import { CallRuntime } from '../telephony/call-runtime.js';
import { entryOf, type TimelineArgs, type TimelineEntry } from '../domain/timeline.js';
import { DEFAULT_STEP_TIMING } from '../telephony/steps/types.js';
import type { Logger } from '../log.js';
import type { Speaker } from '../tts/speech.js';
import { ScriptedCall, type PlayedMedia } from './scripted-call.js';
import { SIMULATED_TECH } from './dialed-parties.js';
import type { SimulationScript } from './script.js';
import { ScriptedStreams } from './scripted-agents.js';
import { VirtualClock } from './virtual-clock.js';

export interface SimulationLimits { flowMaxSteps: number; flowMaxDurationMs: number }

export interface SimulationExpect { state?: SessionState; variables?: Record<string, string>; path?: string[] }

export interface Scenario { name?: string; script: SimulationScript; expect?: SimulationExpect }

export interface SimulationResult {
  name?: string;
  state: SessionState;
  reason?: string;
  variables: Record<string, string>;
  path: string[];
  media: PlayedMedia[];
  timeline: Array<{ atMs: number } & TimelineEntry>;
  durationMs: number;
  /** Expectations that failed (empty: all held, or none given). */
  failures: string[];
}

const DEFAULT_RING_MS = 1000;
const CHANNEL = 'simulated-channel';
/** The engine's default wait for ChannelDestroyed after its own hangup. */
const HANGUP_CONFIRM_MS = 5000;

/** The caller ID a dialed party sees when the dial step names none: the session's own number, which a simulation does not have. */
const SESSION_NUMBER = 'session-number';

const OUTCOME: Record<string, SessionState> = { busy: 'busy', 'no-answer': 'no-answer', congestion: 'failed', reject: 'failed', fail: 'failed' };

export async function simulateFlow(
  document: FlowDocument, scenario: Scenario, limits: SimulationLimits, logger: Logger,
): Promise<SimulationResult> {
  const clock = new VirtualClock();
  const timeline: SimulationResult['timeline'] = [];
  const variables: Record<string, string> = {};
  // Rows are timed by the virtual clock (an event's own time is not used).
  const record = (...args: TimelineArgs): void => { timeline.push({ atMs: clock.now(), ...entryOf(args) }); };
  const script = scenario.script;
  const result = script.result ?? 'answer';
  const ring = script.answerAfterMs ?? DEFAULT_RING_MS;
  const finish = (state: SessionState, reason: string | undefined, media: PlayedMedia[]): SimulationResult => {
    const path = timeline.flatMap((e) => (e.type === 'step.started' ? [e.data.stepId] : []));
    const out: SimulationResult = {
      ...(scenario.name !== undefined ? { name: scenario.name } : {}),
      state, ...(reason ? { reason } : {}), variables, path, media, timeline, durationMs: clock.now(), failures: [],
    };
    out.failures = checkExpect(scenario.expect, out);
    return out;
  };

  record('state', { state: 'dialing' });
  if (result !== 'answer') {
    await clock.run(new Promise<void>((resolve) => clock.setTimeout(resolve, ring)));
    const state = OUTCOME[result]!;
    record('state', { state });
    return finish(state, `callee: ${result}`, []);
  }

  const callAbort = new AbortController();
  let transferredTo: string | undefined;
  const call = new ScriptedCall(CHANNEL, clock, script, () => {
    record('hangup', { by: 'callee' });
    callAbort.abort('far end hung up');
  });
  const flow: Flow = { id: 'simulated', accountId: 'simulation', name: document.name, version: 1, document, dateCreated: '', dateModified: '' };
  let ids = 0;
  const newId = (kind: string): string => `${kind}-${++ids}`;
  // Speech is not synthesized: a placeholder URI stands for it, and the text shows in `media`.
  let spoken = 0;
  const speaker: Speaker = {
    speak: (request) => {
      const media = `sound:http://simulation.invalid/tts/${++spoken}.wav`;
      call.spoken.set(media, request.text);
      return Promise.resolve({ ok: true, media });
    },
  };
  // The live call's runtime, on the scripted port and the virtual clock. No routing or caller-ID
  // check (a simulation has no account): a number goes to the party the script gives it.
  const runtime = new CallRuntime({
    port: call, sessionId: 'simulation', channelId: CHANNEL, timing: DEFAULT_STEP_TIMING, timers: clock, hangupConfirmMs: HANGUP_CONFIRM_MS,
    speaker, logger,
    streams: (signal) => new ScriptedStreams(script.agents ?? {}, clock, record, signal),
    variables: () => ({ ...variables }),
    setVariable: (name, value) => { variables[name] = value; },
    timeline: (...args) => record(...args),
    newId,
    dialIds: (kind) => (kind === 'leg' || kind === 'bridge' ? `${CHANNEL}-${kind}-${++ids}` : newId(kind === 'playback' ? 'pb' : 'rec')),
    resolveDial: (to, callerId) => Promise.resolve({ ok: true, endpoint: `${SIMULATED_TECH}${to}`, callerNumber: callerId ?? SESSION_NUMBER }),
    route: (to) => ({ ok: true, endpoint: `${SIMULATED_TECH}${to}` }),
    attach: () => undefined,
    transferring: (to) => { transferredTo = to; },
  });
  call.onEvent((event) => {
    if (!runtime.handleOther(event)) runtime.media.handle(event);
  });
  const runner = runtime.runner(flow, callAbort.signal, limits, (reason) => callAbort.abort(reason));

  const run = (async () => {
    await new Promise<void>((resolve) => clock.setTimeout(resolve, ring));
    record('state', { state: 'in-progress' });
    call.answered();
    return runner.run();
  })();
  const outcome = await clock.run(run);
  const state: SessionState = outcome.failure ? 'failed' : 'completed';
  record('state', { state });
  // As the call core ends a transferred call: completed, saying where it went.
  const reason = outcome.failure ?? (outcome.transferred && transferredTo !== undefined ? `transferred to ${transferredTo}` : outcome.reason);
  return finish(state, reason, call.played);
}

function checkExpect(expect: SimulationExpect | undefined, r: SimulationResult): string[] {
  if (!expect) return [];
  const failures: string[] = [];
  if (expect.state !== undefined && expect.state !== r.state) failures.push(`state: expected ${expect.state}, got ${r.state}`);
  for (const [name, value] of Object.entries(expect.variables ?? {})) {
    if (r.variables[name] !== value) failures.push(`variables.${name}: expected ${JSON.stringify(value)}, got ${JSON.stringify(r.variables[name] ?? null)}`);
  }
  if (expect.path !== undefined && expect.path.join('>') !== r.path.join('>')) {
    failures.push(`path: expected ${expect.path.join(' > ')}, got ${r.path.join(' > ')}`);
  }
  return failures;
}

export interface Coverage {
  /** Per step id: the scenarios (by index or name) that reached it. */
  steps: Array<{ stepId: string; reachedBy: string[] }>;
  /** Exits (branches, cases, onward edges) and whether a scenario took them. */
  edges: Array<{ from: string; to: string; label: string; takenBy: string[] }>;
  unreachedSteps: string[];
}

/** Which steps and exits each scenario reached, and which none did. */
export function coverage(document: FlowDocument, results: SimulationResult[]): Coverage {
  const label = (r: SimulationResult, i: number): string => r.name ?? `#${i + 1}`;
  const steps = document.steps.map((s) => ({ stepId: s.id, reachedBy: results.filter((r) => r.path.includes(s.id)).map((r) => label(r, results.indexOf(r))) }));
  const edges = document.steps.flatMap((s, i) => stepEdges(s, i, document.steps).map((e) => ({
    from: s.id, to: e.target, label: e.label,
    takenBy: results.filter((r) => r.path.some((id, k) => id === s.id && r.path[k + 1] === e.target)).map((r) => label(r, results.indexOf(r))),
  })));
  return { steps, edges, unreachedSteps: steps.filter((s) => s.reachedBy.length === 0).map((s) => s.stepId) };
}
