// Runs a flow on a live call: the program counter, an AbortController per step (linked to the
// call's), and the live operations on it. A redirect stops the current step (not the call) and
// goes on with another flow or step, like jambonz's replaceApplication; a hold stops the current
// step and runs it again from its start on resume. The call's own signal (hangup, engine stop,
// loop guard) ends the run.
import type { Flow } from '../domain/model.js';
import type { FlowStep } from '../domain/flow.js';
import { execStep } from './steps/index.js';
import type { StepContext, StepResult } from './steps/types.js';
import { CallAborted, REAL_TIMERS, abortReason } from './wait.js';

export interface RunLimits { flowMaxSteps: number; flowMaxDurationMs: number }

/** Why the run ended: `failure` ends the session `failed`. */
export interface RunOutcome { failure?: string; reason?: string; transferred?: boolean }

type Interruption =
  | { kind: 'redirect'; flow: Flow; stepId: string | undefined }
  | { kind: 'hold' };

export class FlowRunner {
  private flow: Flow;
  private index = 0;
  private stepAbort: AbortController | undefined;
  private pending: Interruption | undefined;
  private held: { resume: () => void } | undefined;
  private holding = false;
  private done = false;
  /** Flow versions this run executed, in order (recorded on the session's timeline too). */
  readonly flowsRun: Array<{ flowId: string; flowVersion: number }> = [];

  constructor(
    flow: Flow,
    private readonly base: Omit<StepContext, 'signal'>,
    private readonly callSignal: AbortSignal,
    private readonly limits: RunLimits,
    private readonly onLoopGuard: (reason: string) => void,
  ) {
    this.flow = flow;
  }

  /** Replaces the program: the current step stops, the new flow runs from `stepId` (or its start). */
  redirect(flow: Flow, stepId: string | undefined): void {
    this.pending = { kind: 'redirect', flow, stepId };
    this.holding = false;
    this.held?.resume();
    this.stepAbort?.abort('redirected');
  }

  /** Pauses: the current step stops; `resume` runs it again from its start. */
  hold(): void {
    if (this.holding) return;
    this.holding = true;
    this.pending ??= { kind: 'hold' };
    this.stepAbort?.abort('on hold');
  }

  resume(): void {
    if (!this.holding) return;
    this.holding = false;
    if (this.pending?.kind === 'hold') this.pending = undefined;
    this.held?.resume();
  }

  isHeld(): boolean {
    return this.holding;
  }

  /** The run is over (the flow ended, failed or was stopped): nothing is left to redirect or hold. */
  isDone(): boolean {
    return this.done;
  }

  async run(): Promise<RunOutcome> {
    const { flowMaxSteps, flowMaxDurationMs } = this.limits;
    let failure: string | undefined;
    const timers = this.base.timers ?? REAL_TIMERS;
    const guard = timers.setTimeout(() => {
      failure ??= `loop guard: the flow ran longer than ${flowMaxDurationMs} ms`;
      this.onLoopGuard(failure);
    }, flowMaxDurationMs);
    const onCallAbort = (): void => this.stepAbort?.abort(this.callSignal.reason);
    this.callSignal.addEventListener('abort', onCallAbort, { once: true });
    let executed = 0;
    let transferred = false;
    this.started();
    try {
      while (!this.callSignal.aborted) {
        const turn = timers.turn();
        if (turn) await turn;
        if (this.holding) await this.waitResume();
        if (this.callSignal.aborted) break;
        if (this.pending?.kind === 'redirect') this.applyInterruption();
        const steps = this.flow.document.steps;
        const step: FlowStep | undefined = steps[this.index];
        if (!step) break;
        executed += 1;
        if (executed > flowMaxSteps) {
          failure = `loop guard: more than ${flowMaxSteps} steps executed`;
          break;
        }
        const result = await this.runStep(step);
        if (result === 'interrupted') {
          if (this.callSignal.aborted) break;
          this.applyInterruption();
          continue;
        }
        if (result.kind === 'hangup') break;
        if (result.kind === 'transferred') {
          transferred = true;
          break;
        }
        if (result.kind === 'failed') {
          failure = `step ${step.id}: ${result.reason}`;
          break;
        }
        if (this.pending?.kind === 'redirect') {
          // Asked while the step was finishing: the redirect still wins.
          this.applyInterruption();
          continue;
        }
        const target = result.stepId ?? step.next;
        if (target === undefined) {
          this.index += 1;
          continue;
        }
        const next = steps.findIndex((s) => s.id === target);
        if (next < 0) {
          failure = `step ${step.id}: unknown next step ${target}`;
          break;
        }
        this.index = next;
      }
    } finally {
      this.done = true;
      timers.clearTimeout(guard);
      this.callSignal.removeEventListener('abort', onCallAbort);
    }
    const reason = this.callSignal.aborted ? abortReason(this.callSignal) : undefined;
    this.base.timeline('flow.ended', failure ? { reason: failure } : reason ? { reason } : {});
    return { ...(failure ? { failure } : {}), ...(reason ? { reason } : {}), ...(transferred ? { transferred } : {}) };
  }

  private started(): void {
    this.flowsRun.push({ flowId: this.flow.id, flowVersion: this.flow.version });
    this.base.timeline('flow.started', { flowId: this.flow.id, flowVersion: this.flow.version });
  }

  private applyInterruption(): void {
    const p = this.pending;
    this.pending = undefined;
    if (p?.kind !== 'redirect') return;
    this.flow = p.flow;
    this.index = p.stepId === undefined ? 0 : Math.max(0, p.flow.document.steps.findIndex((s) => s.id === p.stepId));
    this.started();
  }

  private waitResume(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.held = undefined;
        this.callSignal.removeEventListener('abort', done);
        resolve();
      };
      this.held = { resume: done };
      this.callSignal.addEventListener('abort', done, { once: true });
    });
  }

  private async runStep(step: FlowStep): Promise<StepResult | 'interrupted'> {
    const abort = new AbortController();
    this.stepAbort = abort;
    if (this.callSignal.aborted) abort.abort(this.callSignal.reason);
    this.base.timeline('step.started', { stepId: step.id, type: step.type });
    let result: StepResult;
    try {
      result = await execStep(step, { ...this.base, signal: abort.signal });
    } catch (err) {
      if (err instanceof CallAborted || abort.signal.aborted) {
        this.base.timeline('step.interrupted', { stepId: step.id, reason: err instanceof CallAborted ? err.reason : abortReason(abort.signal) });
        return 'interrupted';
      }
      this.base.logger.error({ err, stepId: step.id }, 'step threw');
      result = { kind: 'failed', reason: `step ${step.id} failed unexpectedly` };
    } finally {
      this.stepAbort = undefined;
    }
    this.base.timeline('step.finished', {
      stepId: step.id, result: result.kind,
      ...(result.kind === 'next' && result.stepId ? { next: result.stepId } : {}),
      ...(result.kind === 'failed' ? { reason: result.reason } : {}),
    });
    return result;
  }
}
