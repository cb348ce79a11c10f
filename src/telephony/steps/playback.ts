// `playback`: plays its media in order, then continues. A media that fails fails the step.
import type { PlaybackStep } from '../../domain/flow.js';
import type { StepContext, StepResult } from './types.js';
import { playMedia } from './media.js';

export async function exec(step: PlaybackStep, ctx: StepContext): Promise<StepResult> {
  const outcome = await playMedia(ctx, step.media);
  return outcome.kind === 'failed' ? { kind: 'failed', reason: outcome.reason } : { kind: 'next' };
}
