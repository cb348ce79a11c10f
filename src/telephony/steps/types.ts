// What a step gets and what it returns. One file per step type in this folder; each exports
// `exec(step, ctx): Promise<StepResult>`. Steps never touch the store or ARI directly beyond the
// context, and every wait takes ctx.signal (a hangup rejects it with CallAborted).
import type { Logger } from '../../log.js';
import type { TelephonyPort } from '../port.js';
import type { CallMedia } from '../call-media.js';
import type { DialRequest, DialResult } from '../dial.js';
import type { Timers } from '../wait.js';
import type { Speaker } from '../../tts/speech.js';
import type { TimelineWriter } from '../../domain/timeline.js';
import type { StreamHost } from '../../streams/stream-host.js';

export type StepResult =
  /** Continue: with `stepId`, or (undefined) with the step's `next` or else the following step. */
  | { kind: 'next'; stepId?: string }
  /** The flow is over: hang up normally. */
  | { kind: 'hangup' }
  /** The call was handed to the dialplan (blind transfer): the flow is over, no hangup. */
  | { kind: 'transferred' }
  /** The step could not do its job: the session ends `failed` with this reason. */
  | { kind: 'failed'; reason: string };

export interface StepTiming {
  /** How long a started playback may take to report PlaybackStarted. */
  playbackStartTimeoutMs: number;
  /** Longest single playback (an unknown media scheme starts and never finishes). */
  playbackMaxMs: number;
  /** Grace added to a recording's maxDuration before it is considered lost. */
  recordingGraceMs: number;
}

export const DEFAULT_STEP_TIMING: StepTiming = {
  playbackStartTimeoutMs: 5_000,
  playbackMaxMs: 10 * 60_000,
  recordingGraceMs: 5_000,
};

export interface StepContext {
  sessionId: string;
  channelId: string;
  port: TelephonyPort;
  media: CallMedia;
  signal: AbortSignal;
  timing: StepTiming;
  /** Timers of every wait (default: Node's; a flow simulation's virtual clock). */
  timers?: Timers;
  /** Text to speech for `say` text (absent: not configured). */
  speaker?: Speaker;
  /** Media streams to WebSocket agents (absent: not configured). */
  streams?: StreamHost;
  logger: Logger;
  /** The session's variables as of now. */
  variables(): Record<string, string>;
  setVariable(name: string, value: string): void;
  /** Appends to the session's timeline (ordered, written asynchronously). */
  timeline: TimelineWriter;
  /** A fresh id for a playback or recording. */
  newId(kind: 'playback' | 'recording'): string;
  /** Connects a second party in a bridge (dial.ts); resolves once the bridge is over or the dial failed. */
  dial(req: DialRequest, signal: AbortSignal): Promise<DialResult>;
  /** Hands the call to the dialplan to reach `to` (blind transfer); the session then ends `completed`. */
  transfer(to: string): Promise<{ ok: true } | { ok: false; reason: string }>;
}
