// The rows of a session's timeline: every kind declared here, once. The call core writes them
// (call-runtime.ts, call-session.ts, call-leg.ts, the steps), the store keeps them, and the event
// model, metrics and console text read them by these names. Pure: bundled for the browser too.

export const TIMELINE_ROW_TYPES = [
  // the session's state (data: state, and on a final state reason, answeredAt, durationSec, variables)
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

/** A recording of a session, registered with the row that reports it done. */
export interface RecordingRegistration {
  id: string;
  stepId: string | null;
  format: string;
  durationSec: number | null;
  at: string;
}

/** The recording a timeline row registers, if it is a `recording.finished` row of a done recording. */
export function recordingOf(type: string, data: Record<string, unknown>, at: string): RecordingRegistration | undefined {
  if (type !== 'recording.finished' || data.state !== 'done' || typeof data.name !== 'string') return undefined;
  return {
    id: data.name,
    stepId: typeof data.stepId === 'string' ? data.stepId : null,
    format: typeof data.format === 'string' ? data.format : 'wav',
    durationSec: typeof data.durationSec === 'number' ? data.durationSec : null,
    at,
  };
}
