// `hangup`: ends the flow; the session hangs the channel up.
import type { HangupStep } from '../../domain/flow.js';
import type { StepContext, StepResult } from './types.js';

export async function exec(_step: HangupStep, _ctx: StepContext): Promise<StepResult> {
  return { kind: 'hangup' };
}
