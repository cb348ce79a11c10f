// `pause`: silence for `ms` (cut short by a hangup).
import type { PauseStep } from '../../domain/flow.js';
import type { StepContext, StepResult } from './types.js';
import { sleep } from '../wait.js';

export async function exec(step: PauseStep, ctx: StepContext): Promise<StepResult> {
  await sleep(step.ms, ctx.signal, ctx.timers);
  return { kind: 'next' };
}
