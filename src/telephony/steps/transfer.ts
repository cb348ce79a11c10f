// `transfer` (blind): the call leaves the application for the dialplan, which dials `to`.
import type { TransferStep } from '../../domain/flow.js';
import type { StepContext, StepResult } from './types.js';

export async function exec(step: TransferStep, ctx: StepContext): Promise<StepResult> {
  const res = await ctx.transfer(step.to);
  return res.ok ? { kind: 'transferred' } : { kind: 'failed', reason: res.reason };
}
