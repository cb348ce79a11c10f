// `stopStream`: ends a forked stream, named by the id of the step that started it.
import type { StopStreamStep } from '../../domain/flow.js';
import type { StepContext, StepResult } from './types.js';
import { throwIfAborted } from '../wait.js';

export async function exec(step: StopStreamStep, ctx: StepContext): Promise<StepResult> {
  throwIfAborted(ctx.signal);
  const stopped = ctx.streams ? await ctx.streams.stop(step.stream, 'stopStream') : false;
  if (!stopped) ctx.timeline('stream.not-running', { stepId: step.id, stream: step.stream });
  return { kind: 'next' };
}
