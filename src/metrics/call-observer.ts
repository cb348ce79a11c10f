// Call metrics read from what the engine already writes: the store's session rows and timeline
// (states, steps, gather input) and the port's StasisStart. Nothing in the call path calls it.
import type { TimelineEntry } from '../domain/timeline.js';
import type { Session } from '../domain/model.js';
import { FINAL_STATES } from '../domain/model.js';
import type { EngineMetrics } from './engine-metrics.js';

interface TrackedCall {
  channelId: string;
  dialingAt?: number;
  originated: boolean;
  stasisAt?: number;
  firstStepSeen: boolean;
  step?: { type: string; at: number };
}

const FINAL = new Set<string>(FINAL_STATES);

export class CallObserver {
  private readonly calls = new Map<string, TrackedCall>();
  private readonly byChannel = new Map<string, string>();

  constructor(private readonly metrics: EngineMetrics, private readonly now: () => number = () => performance.now()) {}

  placed(session: Session): void {
    this.metrics.callsPlaced.inc();
    this.metrics.liveCalls.inc();
    this.calls.set(session.id, { channelId: session.channelId, originated: false, firstStepSeen: false });
    this.byChannel.set(session.channelId, session.id);
  }

  stasisStart(channelId: string): void {
    const id = this.byChannel.get(channelId);
    const call = id === undefined ? undefined : this.calls.get(id);
    if (call && call.stasisAt === undefined) call.stasisAt = this.now();
  }

  timeline(sessionId: string, row: TimelineEntry): void {
    switch (row.type) {
      case 'state':
        this.state(sessionId, row.data.state);
        return;
      case 'ari.originated': {
        const call = this.calls.get(sessionId);
        if (call?.dialingAt !== undefined && !call.originated) {
          call.originated = true;
          this.metrics.originateSeconds.observe({ outcome: 'ok' }, (this.now() - call.dialingAt) / 1000);
        }
        return;
      }
      case 'step.started': {
        const call = this.calls.get(sessionId);
        if (!call) return;
        const at = this.now();
        if (!call.firstStepSeen && call.stasisAt !== undefined) this.metrics.stasisToFirstStepSeconds.observe((at - call.stasisAt) / 1000);
        call.firstStepSeen = true;
        call.step = { type: row.data.type, at };
        return;
      }
      case 'step.finished':
        this.stepEnded(sessionId, row.data.result);
        return;
      case 'step.interrupted':
        this.stepEnded(sessionId, 'interrupted');
        return;
      case 'gather.input':
        this.metrics.gatherOutcomes.inc({ outcome: row.data.outcome });
        return;
      default:
        return;
    }
  }

  private stepEnded(sessionId: string, result: string): void {
    const call = this.calls.get(sessionId);
    if (!call?.step) return;
    this.metrics.stepSeconds.observe({ type: call.step.type, result }, (this.now() - call.step.at) / 1000);
    call.step = undefined;
  }

  private state(sessionId: string, state: string): void {
    const call = this.calls.get(sessionId);
    if (state === 'dialing') {
      if (call) call.dialingAt = this.now();
      return;
    }
    if (!FINAL.has(state)) return;
    // Sessions a previous process left live end here too (reconciliation): counted, not tracked.
    this.metrics.callsEnded.inc({ state });
    if (!call) return;
    if (call.dialingAt !== undefined && !call.originated) {
      this.metrics.originateSeconds.observe({ outcome: 'failed' }, (this.now() - call.dialingAt) / 1000);
    }
    this.calls.delete(sessionId);
    this.metrics.liveCalls.dec();
    this.byChannel.delete(call.channelId);
  }
}
