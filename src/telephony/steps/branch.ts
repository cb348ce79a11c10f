// `branch`: goes to `cases[value of variable]`, else `default`, else on to the next step.
import type { BranchStep } from '../../domain/flow.js';
import type { StepContext, StepResult } from './types.js';

export async function exec(step: BranchStep, ctx: StepContext): Promise<StepResult> {
  const value = ctx.variables()[step.variable] ?? '';
  const target = Object.prototype.hasOwnProperty.call(step.cases, value) ? step.cases[value] : step.default;
  ctx.timeline('branch', { variable: step.variable, value, target: target ?? null });
  return target ? { kind: 'next', stepId: target } : { kind: 'next' };
}
