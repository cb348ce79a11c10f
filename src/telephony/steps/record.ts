// `record`: records the caller (ARI live recording, wav) until maxDuration, maxSilence, the
// finish key or the hangup; the recording's name goes to `variable`.
import type { RecordStep } from '../../domain/flow.js';
import { RECORD_DEFAULTS } from '../../domain/steps/record.js';
import type { StepContext, StepResult } from './types.js';
import { CallAborted, throwIfAborted, waitUntil } from '../wait.js';


/** ARI's terminateOn takes `none`, `any`, `*` or `#`. */
function terminateOn(finishOnKey: string | undefined): string {
  if (finishOnKey === undefined) return RECORD_DEFAULTS.finishOnKey;
  if (finishOnKey === '') return 'none';
  if (finishOnKey === '*' || finishOnKey === '#' || finishOnKey === 'any' || finishOnKey === 'none') return finishOnKey;
  return 'any';
}

export async function exec(step: RecordStep, ctx: StepContext): Promise<StepResult> {
  throwIfAborted(ctx.signal);
  const name = ctx.newId('recording');
  const maxDurationMs = step.maxDurationMs ?? RECORD_DEFAULTS.maxDurationMs;
  const watch = ctx.media.expectRecording(name);
  try {
    const res = await ctx.port.record(ctx.channelId, {
      name,
      format: 'wav',
      maxDurationSeconds: Math.max(1, Math.ceil(maxDurationMs / 1000)),
      maxSilenceSeconds: step.maxSilenceMs !== undefined ? Math.ceil(step.maxSilenceMs / 1000) : 0,
      beep: step.beep ?? RECORD_DEFAULTS.beep,
      terminateOn: terminateOn(step.finishOnKey),
    });
    if (!res.ok) {
      throwIfAborted(ctx.signal);
      if (res.kind === 'not-found') throw new CallAborted('channel gone');
      return { kind: 'failed', reason: `record refused (${res.kind}): ${res.message}` };
    }
    ctx.timeline('recording.started', { name });
    const outcome = await waitUntil(
      () => (watch.failed !== undefined ? { failed: watch.failed } : watch.finished ? { finished: watch.finished } : undefined),
      (onChange) => ctx.media.subscribe(onChange),
      ctx.signal,
      maxDurationMs + ctx.timing.recordingGraceMs,
      ctx.timers,
    );
    if (!outcome) return { kind: 'failed', reason: `recording ${name} did not finish within ${maxDurationMs} ms` };
    if ('failed' in outcome) return { kind: 'failed', reason: `recording failed: ${outcome.failed}` };
    ctx.timeline('recording.finished', { name, stepId: step.id, format: 'wav', ...outcome.finished });
    if (step.variable) ctx.setVariable(step.variable, name);
    return { kind: 'next' };
  } finally {
    ctx.media.forgetRecording(name);
  }
}
