// `stream`: the call's audio to a WebSocket agent in the Twilio Media Streams protocol and back
// (src/streams/, docs/streams.md). Held: the step lasts as long as the stream, forwarding the
// caller's DTMF, and picks its exit from how the stream ended; forked: the flow goes on at once.
import type { StreamStep } from '../../domain/flow.js';
import { renderTemplate } from '../../domain/template.js';
import type { StepContext, StepResult } from './types.js';
import type { StreamEnd } from '../../streams/stream-host.js';
import type { Track } from '../../streams/twilio-protocol.js';
import { REAL_TIMERS, throwIfAborted, waitUntil } from '../wait.js';

export const STREAM_DEFAULTS = { maxDurationMs: 3_600_000, connectTimeoutMs: 5_000 } as const;

export async function exec(step: StreamStep, ctx: StepContext): Promise<StepResult> {
  if (!ctx.streams) return { kind: 'failed', reason: 'streams are not available in this engine' };
  throwIfAborted(ctx.signal);
  const vars = ctx.variables();
  const customParameters = Object.fromEntries(Object.entries(step.parameters ?? {}).map(([k, v]) => [k, renderTemplate(v, vars)]));
  const tracks: Track[] = step.tracks === 'both' ? ['inbound', 'outbound'] : [step.tracks ?? 'inbound'];
  const relay = await ctx.streams.open({
    stepId: step.id, url: step.url, customParameters, tracks, fork: step.fork === true,
    connectTimeoutMs: step.connectTimeoutMs ?? STREAM_DEFAULTS.connectTimeoutMs,
  });
  if ('failed' in relay) {
    throwIfAborted(ctx.signal);
    ctx.timeline('stream.failed', { stepId: step.id, reason: relay.failed });
    return step.onFailed ? { kind: 'next', stepId: step.onFailed } : { kind: 'next' };
  }
  if (step.fork) {
    if (step.maxDurationMs !== undefined) {
      const timers = ctx.timers ?? REAL_TIMERS;
      const timer = timers.setTimeout(() => void relay.stop('maxDurationMs'), step.maxDurationMs);
      const unsubscribe = relay.subscribe(() => {
        unsubscribe();
        timers.clearTimeout(timer);
      });
    }
    return { kind: 'next' };
  }
  ctx.media.startCollecting();
  const forwardDigits = (): void => {
    for (const digit of ctx.media.takeDigits()) relay.dtmf(digit);
  };
  const unsubscribeDigits = ctx.media.subscribe(forwardDigits);
  let end: StreamEnd | undefined;
  try {
    forwardDigits();
    end = await waitUntil(() => relay.ended(), (onChange) => relay.subscribe(onChange), ctx.signal,
      step.maxDurationMs ?? STREAM_DEFAULTS.maxDurationMs, ctx.timers);
  } finally {
    unsubscribeDigits();
    ctx.media.stopCollecting();
    // Hangup, redirect or maxDurationMs: the agent gets `stop` (no exit is taken on a hangup: CallAborted).
    if (!relay.ended()) await relay.stop(ctx.signal.aborted ? 'interrupted' : 'maxDurationMs');
  }
  if (!end) return { kind: 'next' };
  switch (end.kind) {
    case 'exit':
      for (const [name, value] of Object.entries(end.variables)) ctx.setVariable(name, value);
      // The agent may only go where the flow allows (agentExits); anywhere else, the flow goes on.
      return end.next && step.agentExits?.includes(end.next) ? { kind: 'next', stepId: end.next } : { kind: 'next' };
    case 'dropped':
      return step.onDisconnected ? { kind: 'next', stepId: step.onDisconnected } : { kind: 'next' };
    case 'media-lost':
      throwIfAborted(ctx.signal);
      return step.onFailed ? { kind: 'next', stepId: step.onFailed } : { kind: 'next' };
    default:
      return { kind: 'next' };
  }
}
