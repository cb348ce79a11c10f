// The step registry: one executor per step type of the flow document.
import type { FlowStep } from '../../domain/flow.js';
import type { StepContext, StepResult } from './types.js';
import * as playback from './playback.js';
import * as gather from './gather.js';
import * as say from './say.js';
import * as pause from './pause.js';
import * as branch from './branch.js';
import * as set from './set.js';
import * as record from './record.js';
import * as hangup from './hangup.js';

export function execStep(step: FlowStep, ctx: StepContext): Promise<StepResult> {
  switch (step.type) {
    case 'playback': return playback.exec(step, ctx);
    case 'gather': return gather.exec(step, ctx);
    case 'say': return say.exec(step, ctx);
    case 'pause': return pause.exec(step, ctx);
    case 'branch': return branch.exec(step, ctx);
    case 'set': return set.exec(step, ctx);
    case 'record': return record.exec(step, ctx);
    case 'hangup': return hangup.exec(step, ctx);
    default: {
      const unknown: { type?: unknown } = step;
      return Promise.resolve({ kind: 'failed', reason: `unknown step type ${String(unknown.type)}` });
    }
  }
}

export type { StepContext, StepResult, StepTiming } from './types.js';
export { DEFAULT_STEP_TIMING } from './types.js';
