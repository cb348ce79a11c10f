// The rows of a session's timeline: every kind declared here, once, with the data it carries. The
// call core writes them (call-runtime.ts, call-session.ts, call-leg.ts, the steps, the streams)
// through a `TimelineWriter`, so a row with a wrong or missing field does not compile; the store
// keeps them, and the event model, metrics, session legs and console text read them narrowed by type.
// Pure: bundled for the browser too.
import type { SessionState } from './model.js';
import type { DialOutcome } from './steps/dial.js';
import type { GatherEnd } from './steps/gather.js';
import type { StreamTracks } from './steps/stream.js';

export const TIMELINE_ROW_TYPES = [
  // the session's state
  'state',
  // Asterisk's side of the call's channel
  'ari.originated', 'ari.dial', 'ari.hangup-request', 'ari.channel-destroyed',
  'ari.bridge-entered', 'ari.bridge-left', 'ari.bridge-destroyed',
  // the flow and its steps
  'flow.started', 'flow.ended', 'step.started', 'step.finished', 'step.interrupted',
  'playback.started', 'playback.finished', 'playback.lost', 'say.text', 'say.skipped',
  'gather.input', 'dtmf', 'dtmf.sent', 'dtmf.dropped', 'branch',
  'recording.started', 'recording.finished',
  // the dial step's second leg and bridge
  'leg.created', 'leg.answered', 'leg.failed', 'dial.ended', 'bridge.created', 'bridge.destroyed', 'bridge.playback',
  // the session's control and faults
  'session.end-requested', 'session.redirected', 'session.hold', 'session.transferred', 'reconciled', 'error',
  // a flow simulation's scripted callee hung up
  'hangup',
  // media streams to WebSocket agents (the stream and stopStream steps, src/streams/)
  'stream.started', 'stream.mark', 'stream.clear', 'stream.exit', 'stream.stopped', 'stream.failed', 'stream.not-running',
] as const;

export type TimelineRowType = (typeof TIMELINE_ROW_TYPES)[number];

// The data of each row type, as written (and stored, and sent in events) as JSON. Object types
// rather than interfaces: they stay assignable to `Record<string, unknown>`, the data of a row read
// back. `leg` names the channel a row concerns (rows of a dial step's second leg, and of the call's).

/** A change of the session's state; a final one carries how the call went. */
export type StateRow = {
  state: SessionState;
  reason?: string;
  /** Another engine ended the session, its owner being gone (orphans.ts): that owner. */
  previousOwner?: string | null;
  /** Final states only (from here on). */
  answeredAt?: string | null;
  durationSec?: number;
  variables?: Record<string, string>;
};

/** What failed: the operation and the port's failure (ARI's `kind` and message). */
type ErrorRow = { leg?: string; op: string; kind: string; message: string; attempt?: number };

type StepRow = { stepId: string };
type StreamRow = { stepId: string; streamSid: string };

export type TimelineData = {
  state: StateRow;
  /** Asterisk acknowledged the originate (`existed`: a retry found the channel made by an earlier attempt). */
  'ari.originated': { channelId: string; endpoint: string; attempt: number; existed?: true };
  'ari.dial': { leg: string; dialstatus: string };
  'ari.hangup-request': { leg: string; cause?: number; soft?: true };
  'ari.channel-destroyed': { leg: string; cause: number; causeTxt: string };
  'ari.bridge-entered': { bridgeId: string; leg: string };
  'ari.bridge-left': { bridgeId: string; leg: string };
  'ari.bridge-destroyed': { bridgeId: string };
  'flow.started': { flowId: string; flowVersion: number };
  /** `reason`: why the flow stopped early (its failure, or the call's abort). */
  'flow.ended': { reason?: string };
  'step.started': StepRow & { type: string };
  /** `result`: the step's result kind (next, hangup, transferred, failed). */
  'step.finished': StepRow & { result: string; next?: string; reason?: string };
  'step.interrupted': StepRow & { reason: string };
  'playback.started': { playbackId: string; media: string[] };
  /** `state`: ARI's (done, failed...), `lost` (ended while ARI was away) or `timeout` (ours). */
  'playback.finished': { playbackId: string; state: string; stopped?: true };
  'playback.lost': { playbackId: string };
  'say.text': { text: string; voice?: string; language?: string };
  'say.skipped': { reason: string };
  'gather.input': StepRow & { attempt: number; digits: string; end: GatherEnd; outcome: 'input' | 'no-input' | 'no-match' };
  dtmf: StepRow & { digit: string; attempt: number };
  'dtmf.sent': { digits: string };
  /** Digits pressed while nothing collected them. */
  'dtmf.dropped': { count: number };
  branch: { variable: string; value: string; target: string | null };
  /** `bridgeId`: a dial step's recording of its bridge (else the record step's, of the call). */
  'recording.started': { name: string; bridgeId?: string };
  /**
   * `state`: ARI's (`done` registers the recording), or `failed`/`lost` for a bridge's recording
   * that failed or whose end never came.
   */
  'recording.finished': StepRow & { name: string; format: string; bridgeId?: string; state: string; durationSec?: number };
  'leg.created': { leg: string; role: 'dialed'; endpoint: string; number: string; callerId: string };
  'leg.answered': { leg: string };
  'leg.failed': { leg: string; kind: string; message: string };
  /** No `leg` when the dial ended before one was made (no route). */
  'dial.ended': { leg?: string; outcome: DialOutcome; reason: string };
  'bridge.created': { bridgeId: string; type: 'mixing' };
  /** `kind`: why destroying it failed. */
  'bridge.destroyed': { bridgeId: string; kind?: string };
  /** `kind` and `message`: the playback was refused. */
  'bridge.playback': { bridgeId: string; playbackId: string; media: string[]; kind?: string; message?: string };
  'session.end-requested': Record<string, never>;
  'session.redirected': { flowId: string; flowVersion: number; stepId?: string };
  'session.hold': { hold: boolean; mohClass?: string };
  'session.transferred': { leg: string; to: string; endpoint: string; context: string };
  /** The call's channel was (not) found by the reconciliation after ARI came back. */
  reconciled: { found: boolean };
  error: ErrorRow;
  hangup: { by: 'callee' };
  'stream.started': StreamRow & { tracks: Array<Exclude<StreamTracks, 'both'>>; bidirectional: boolean };
  'stream.mark': StreamRow & { name: string };
  'stream.clear': StreamRow & { clearedFrames: number };
  /** The agent asked to leave the stream (`variables`: the names it set). */
  'stream.exit': StreamRow & { next: string | null; variables: string[] };
  'stream.stopped': StreamRow & {
    reason: string;
    framesToAgent: number; framesToCaller: number; droppedToAgent: number; droppedToCaller: number; marks: number; clears: number;
  };
  'stream.failed': StepRow & { reason: string };
  'stream.not-running': StepRow & { stream: string };
};

/**
 * One row, discriminated by its type. (`TimelineData[P]` fails to compile for a type declared in
 * TIMELINE_ROW_TYPES without its data.)
 */
export type TimelineEntry = { [K in TimelineRowType]: { type: K; data: TimelineData[K] } }[TimelineRowType];

/** A timeline write's arguments: a row type, the data it declares, and when (absent: now). */
export type TimelineArgs = { [K in TimelineRowType]: [type: K, data: TimelineData[K], at?: string] }[TimelineRowType];

/** Writes one row of the timeline (a tuple union rather than a generic: a non-literal type cannot carry another type's data). */
export type TimelineWriter = (...args: TimelineArgs) => void;

/** The row a write's arguments make. */
export function entryOf(args: TimelineArgs): TimelineEntry {
  // One of TimelineArgs: its type and data belong to the same row type.
  return { type: args[0], data: args[1] } as TimelineEntry;
}

const ROW_TYPES: ReadonlySet<string> = new Set(TIMELINE_ROW_TYPES);

/**
 * A row read back (from the store or the API) as the union, when its type is a declared one. Its
 * data is taken as this code writes that type: a row stored by an older version may lack a field
 * added since, so a reader of stored rows guards such a field (said where it does).
 */
export function storedEntry<R extends { type: string; data: Record<string, unknown> }>(row: R): (Omit<R, 'type' | 'data'> & TimelineEntry) | undefined {
  return ROW_TYPES.has(row.type) ? (row as Omit<R, 'type' | 'data'> & TimelineEntry) : undefined;
}

/** A recording of a session, registered with the row that reports it done. */
export interface RecordingRegistration {
  id: string;
  stepId: string | null;
  format: string;
  durationSec: number | null;
  at: string;
}

/** The recording a timeline row registers, if it is a `recording.finished` row of a done recording. */
export function recordingOf(row: TimelineEntry, at: string): RecordingRegistration | undefined {
  if (row.type !== 'recording.finished' || row.data.state !== 'done') return undefined;
  const { name, stepId, format, durationSec } = row.data;
  return { id: name, stepId, format, durationSec: durationSec ?? null, at };
}
