// `set`: stores a rendered template in a session variable.
import type { SetVariableStep } from '../../domain/flow.js';
import { renderTemplate } from '../../domain/template.js';
import type { StepContext, StepResult } from './types.js';

/** Variables are bounded: a template cannot grow a session without limit. */
export const MAX_VARIABLE_LENGTH = 1024;

export async function exec(step: SetVariableStep, ctx: StepContext): Promise<StepResult> {
  const value = renderTemplate(step.value, ctx.variables()).slice(0, MAX_VARIABLE_LENGTH);
  ctx.setVariable(step.variable, value);
  return { kind: 'next' };
}
