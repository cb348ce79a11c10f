// Playing media on the call, staged so no event is missed: the expectation is registered BEFORE
// the play request (PlaybackStarted can arrive before the REST answer), then PlaybackStarted is
// awaited (bounded), then PlaybackFinished (bounded: an unknown media scheme starts and never
// finishes). A playback that ends in state `failed` (missing sound) is not a finished one.
import type { StepContext } from './types.js';
import { CallAborted, throwIfAborted, waitUntil } from '../wait.js';

export type PlayOutcome =
  | { kind: 'done' }
  /** Stopped early on purpose (barge-in). */
  | { kind: 'stopped' }
  | { kind: 'failed'; reason: string };

/**
 * Plays `media` (in sequence, one ARI playback). `bargeIn`, re-checked on every media event of the
 * call, stops the playback as soon as it returns true (a digit was pressed).
 */
export async function playMedia(ctx: StepContext, media: string[], bargeIn?: () => boolean): Promise<PlayOutcome> {
  throwIfAborted(ctx.signal);
  const id = ctx.newId('playback');
  const watch = ctx.media.expectPlayback(id);
  const subscribe = (onChange: () => void): (() => void) => ctx.media.subscribe(onChange);
  let stopRequested = false;
  let requestAccepted = false;
  const maybeStop = (): void => {
    if (!bargeIn || stopRequested || !requestAccepted || watch.finished !== undefined || !bargeIn()) return;
    stopRequested = true;
    void ctx.port.stopPlayback(id);
  };
  const unsubscribe = ctx.media.subscribe(maybeStop);
  try {
    const res = await ctx.port.play(ctx.channelId, id, media);
    if (!res.ok) {
      throwIfAborted(ctx.signal);
      // The channel is gone: its hangup events are on their way; the flow just stops.
      if (res.kind === 'not-found') throw new CallAborted('channel gone');
      return { kind: 'failed', reason: `play refused (${res.kind}): ${res.message}` };
    }
    requestAccepted = true;
    maybeStop();
    const started = await waitUntil(() => (watch.started || watch.finished !== undefined ? true : undefined), subscribe, ctx.signal, ctx.timing.playbackStartTimeoutMs, ctx.timers);
    if (!started) {
      void ctx.port.stopPlayback(id);
      return { kind: 'failed', reason: `playback did not start within ${ctx.timing.playbackStartTimeoutMs} ms: ${media.join(',')}` };
    }
    ctx.timeline('playback.started', { playbackId: id, media });
    const finished = await waitUntil(() => watch.finished, subscribe, ctx.signal, ctx.timing.playbackMaxMs, ctx.timers);
    if (finished === undefined) {
      await ctx.port.stopPlayback(id);
      ctx.timeline('playback.finished', { playbackId: id, state: 'timeout' });
      return { kind: 'failed', reason: `playback did not finish within ${ctx.timing.playbackMaxMs} ms: ${media.join(',')}` };
    }
    ctx.timeline('playback.finished', { playbackId: id, state: finished, ...(stopRequested ? { stopped: true } : {}) });
    // `lost`: it ended while the events WebSocket was down; the flow goes on rather than stall.
    if (finished === 'done' || finished === 'lost') return stopRequested ? { kind: 'stopped' } : { kind: 'done' };
    throwIfAborted(ctx.signal);
    return { kind: 'failed', reason: `playback ${finished}: ${media.join(',')}` };
  } finally {
    unsubscribe();
    ctx.media.forgetPlayback(id);
  }
}
