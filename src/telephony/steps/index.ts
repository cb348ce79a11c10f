// The runner table: one runner per step type, next to its definition in domain/steps/. The mapped
// type makes a step type without a runner (or a runner without a step type) a compile error.
import type { FlowStep, StepOf, StepType } from '../../domain/flow.js';
import type { StepContext, StepResult } from './types.js';
import * as playback from './playback.js';
import * as gather from './gather.js';
import * as say from './say.js';
import * as pause from './pause.js';
import * as branch from './branch.js';
import * as set from './set.js';
import * as record from './record.js';
import * as hangup from './hangup.js';
import * as dial from './dial.js';
import * as transfer from './transfer.js';
import * as stream from './stream.js';
import * as stopStream from './stop-stream.js';

type StepRunner<S> = (step: S, ctx: StepContext) => Promise<StepResult>;

const RUNNERS: { [K in StepType]: StepRunner<StepOf<K>> } = {
  playback: playback.exec,
  gather: gather.exec,
  say: say.exec,
  pause: pause.exec,
  branch: branch.exec,
  set: set.exec,
  record: record.exec,
  hangup: hangup.exec,
  dial: dial.exec,
  transfer: transfer.exec,
  stream: stream.exec,
  stopStream: stopStream.exec,
};

export function execStep(step: FlowStep, ctx: StepContext): Promise<StepResult> {
  const run = Object.prototype.hasOwnProperty.call(RUNNERS, step.type) ? RUNNERS[step.type] as StepRunner<FlowStep> : undefined;
  if (!run) return Promise.resolve({ kind: 'failed', reason: `unknown step type ${String((step as { type?: unknown }).type)}` });
  return run(step, ctx);
}

export type { StepContext, StepResult, StepTiming } from './types.js';
export { DEFAULT_STEP_TIMING } from './types.js';
