// `dial`: connects a second party (dial.ts), records the outcome, and goes to its branch.
import type { DialStep } from '../../domain/flow.js';
import { DIAL_DEFAULTS } from '../../domain/steps/dial.js';
import type { StepContext, StepResult } from './types.js';

const BRANCH = { answered: 'onAnswered', busy: 'onBusy', 'no-answer': 'onNoAnswer', failed: 'onFailed' } as const;

export async function exec(step: DialStep, ctx: StepContext): Promise<StepResult> {
  let outcome: string = 'canceled';
  try {
    const result = await ctx.dial({
      to: step.to, callerId: step.callerId, timeoutMs: step.timeoutMs ?? DIAL_DEFAULTS.timeoutMs, timeLimitMs: step.timeLimitMs,
      ringback: step.ringback ?? DIAL_DEFAULTS.ringback, announce: step.announce, record: step.record ?? DIAL_DEFAULTS.record, stepId: step.id,
    }, ctx.signal);
    outcome = result.outcome;
    if (result.outcome === 'canceled') return { kind: 'hangup' };
    const target = step[BRANCH[result.outcome]];
    return target === undefined ? { kind: 'next' } : { kind: 'next', stepId: target };
  } finally {
    if (step.variable) ctx.setVariable(step.variable, outcome);
  }
}
