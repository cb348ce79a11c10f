// `gather`: collects DTMF digits, with an optional prompt. The timer rules (docs/flows.md):
//  1. Digits are collected from the moment the gather starts: digits pressed during the prompt
//     count, and the first one stops the prompt (barge-in).
//  2. The first-digit timeout (`timeoutMs`) starts when the prompt ends (finished or stopped), or
//     when the gather starts if there is no prompt.
//  3. Once a digit is in, the inter-digit timeout (`interDigitTimeoutMs`, default `timeoutMs`)
//     runs instead, restarted by each digit (and by the end of the prompt).
//  4. `finishOnKey` ends the input at once; the key itself is not part of the digits.
//  5. `maxDigits` ends the input at once when reached (no need to press `finishOnKey`).
//  6. Whatever happens first wins; digits after the end belong to no gather and are dropped.
//  7. No digits → no input; digits that no branch matches → no match. Either repeats the prompt
//     while attempts remain, then goes to `noInput` / `noMatch` (or on to the next step).
import type { GatherStep } from '../../domain/flow.js';
import { GATHER_DEFAULTS, type GatherEnd } from '../../domain/steps/gather.js';
import type { StepContext, StepResult } from './types.js';
import { playMedia } from './media.js';
import { waitUntil } from '../wait.js';
import { MAX_BUFFERED_DIGITS } from '../call-media.js';

export const GATHER_MAX_ATTEMPTS = 10;

interface Collected {
  digits: string;
  end: GatherEnd;
}

async function collect(step: GatherStep, ctx: StepContext, attempt: number): Promise<Collected | { failed: string }> {
  const maxDigits = Math.max(1, Math.min(step.maxDigits ?? GATHER_DEFAULTS.maxDigits, MAX_BUFFERED_DIGITS));
  const firstTimeoutMs = step.timeoutMs ?? GATHER_DEFAULTS.timeoutMs;
  const interDigitTimeoutMs = step.interDigitTimeoutMs ?? firstTimeoutMs;
  let digits = '';
  let end: GatherEnd | undefined;

  /** Moves buffered digits into the input, applying finishOnKey and maxDigits; returns how many. */
  const consume = (): number => {
    let taken = 0;
    for (const digit of ctx.media.takeDigits()) {
      if (end !== undefined) break;
      taken += 1;
      ctx.timeline('dtmf', { digit, stepId: step.id, attempt });
      if (step.finishOnKey && digit === step.finishOnKey) {
        end = 'finish-key';
      } else {
        digits += digit;
        if (digits.length >= maxDigits) end = 'max-digits';
      }
    }
    return taken;
  };

  ctx.media.startCollecting();
  try {
    if (step.prompt && step.prompt.length > 0) {
      const outcome = await playMedia(ctx, step.prompt, () => {
        consume();
        return digits.length > 0 || end !== undefined;
      });
      if (outcome.kind === 'failed') return { failed: outcome.reason };
    }
    consume();
    while (end === undefined) {
      const timeoutMs = digits.length === 0 ? firstTimeoutMs : interDigitTimeoutMs;
      const gotDigit = await waitUntil(
        () => (consume() > 0 || end !== undefined ? true : undefined),
        (onChange) => ctx.media.subscribe(onChange),
        ctx.signal,
        timeoutMs,
        ctx.timers,
      );
      if (!gotDigit) end = digits.length === 0 ? 'timeout' : 'inter-digit-timeout';
    }
    return { digits, end };
  } finally {
    ctx.media.stopCollecting();
  }
}

export async function exec(step: GatherStep, ctx: StepContext): Promise<StepResult> {
  const attempts = Math.max(1, Math.min(step.attempts ?? GATHER_DEFAULTS.attempts, GATHER_MAX_ATTEMPTS));
  const branches = step.branches ?? {};
  const hasBranches = Object.keys(branches).length > 0;
  for (let attempt = 1; ; attempt += 1) {
    const result = await collect(step, ctx, attempt);
    if ('failed' in result) return { kind: 'failed', reason: result.failed };
    const { digits, end } = result;
    const last = attempt >= attempts;
    const matched = hasBranches && Object.prototype.hasOwnProperty.call(branches, digits) ? branches[digits] : undefined;
    const outcome = digits === '' ? 'no-input' : !hasBranches || matched ? 'input' : 'no-match';
    ctx.timeline('gather.input', { stepId: step.id, attempt, digits, end, outcome });
    if (outcome !== 'input' && !last) continue;
    if (step.variable) ctx.setVariable(step.variable, digits);
    if (outcome === 'no-input') return step.noInput ? { kind: 'next', stepId: step.noInput } : { kind: 'next' };
    if (outcome === 'no-match') return step.noMatch ? { kind: 'next', stepId: step.noMatch } : { kind: 'next' };
    return matched ? { kind: 'next', stepId: matched } : { kind: 'next' };
  }
}
