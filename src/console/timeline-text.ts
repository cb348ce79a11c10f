// A session's timeline entry in words, for the session page: what happened, and which kind of
// thing it was (state, step, media, input, leg, error) for its marker.
import type { TimelineEntry } from './api.js';
import { storedEntry } from '../domain/timeline.js';

export type EntryKind = 'state' | 'step' | 'media' | 'input' | 'leg' | 'error' | 'other';

// Rows come from the API as stored, possibly by an earlier version (a field added since is
// missing): values are shown through `str` (missing: empty), lists through `list` (a single value too).
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : v === undefined || v === null ? '' : JSON.stringify(v));

const list = (v: unknown): string => (Array.isArray(v) ? v.map(str).join(', ') : str(v));

export function describeEntry(e: TimelineEntry): { kind: EntryKind; text: string } {
  const row = storedEntry(e);
  if (!row) return { kind: 'other', text: `${e.type} ${str(e.data)}` };
  const { type, data: d } = row;
  switch (type) {
    case 'state':
      return { kind: 'state', text: `State: ${str(d.state)}${d.reason ? ` (${str(d.reason)})` : ''}` };
    case 'ari.originated':
      return { kind: 'leg', text: `Call placed to ${str(d.endpoint)}${d.attempt > 1 ? ` (attempt ${str(d.attempt)})` : ''}` };
    case 'ari.dial':
      return { kind: 'leg', text: `Dial status: ${str(d.dialstatus)}` };
    case 'ari.hangup-request':
      return { kind: 'leg', text: `Hangup requested${d.cause !== undefined ? ` (cause ${str(d.cause)})` : ''}` };
    case 'ari.channel-destroyed':
      return { kind: 'leg', text: `Channel ended: ${str(d.causeTxt)} (cause ${str(d.cause)})` };
    case 'leg.created':
      return { kind: 'leg', text: `Dialing ${str(d.number)} (${str(d.endpoint)})` };
    case 'leg.answered':
      return { kind: 'leg', text: 'Dialed party answered' };
    case 'leg.failed':
      return { kind: 'leg', text: `Dialed party could not be reached: ${str(d.message)}` };
    case 'dial.ended':
      return { kind: 'leg', text: `Dial ended: ${str(d.outcome)}${d.reason ? ` (${str(d.reason)})` : ''}` };
    case 'bridge.created':
      return { kind: 'leg', text: 'Bridge created' };
    case 'bridge.destroyed':
      return { kind: 'leg', text: 'Bridge destroyed' };
    case 'bridge.playback':
      return { kind: 'media', text: `Playing on the bridge ${list(d.media)}` };
    case 'ari.bridge-entered':
      return { kind: 'leg', text: `${str(d.leg)} entered the bridge` };
    case 'ari.bridge-left':
      return { kind: 'leg', text: `${str(d.leg)} left the bridge` };
    case 'ari.bridge-destroyed':
      return { kind: 'leg', text: 'Asterisk destroyed the bridge' };
    case 'session.transferred':
      return { kind: 'leg', text: `Transferred to ${str(d.to)}` };
    case 'reconciled':
      return { kind: 'leg', text: d.found ? 'Channel found again after reconnecting' : 'Channel gone after reconnecting' };
    case 'flow.started':
      return { kind: 'step', text: `Flow ${str(d.flowId)} version ${str(d.flowVersion)} started` };
    case 'flow.ended':
      return { kind: 'step', text: `Flow ended${d.reason ? `: ${str(d.reason)}` : ''}` };
    case 'step.started':
      return { kind: 'step', text: `Step ${str(d.stepId)} (${str(d.type)}) started` };
    case 'step.finished':
      return { kind: 'step', text: `Step ${str(d.stepId)} finished: ${str(d.result)}${d.next ? `, next ${str(d.next)}` : ''}${d.reason ? ` (${str(d.reason)})` : ''}` };
    case 'step.interrupted':
      return { kind: 'step', text: `Step ${str(d.stepId)} interrupted: ${str(d.reason)}` };
    case 'playback.started':
      return { kind: 'media', text: `Playing ${list(d.media)}` };
    case 'playback.finished':
      return { kind: 'media', text: `Playback ${str(d.state)}${d.stopped ? ' (stopped)' : ''}` };
    case 'playback.lost':
      return { kind: 'media', text: 'Playback lost while ARI was away' };
    case 'say.text':
      return { kind: 'media', text: `Saying "${str(d.text)}"${d.voice ? ` (voice ${str(d.voice)})` : ''}` };
    case 'say.skipped':
      return { kind: 'media', text: `Nothing said: ${str(d.reason)}` };
    case 'recording.started':
      return { kind: 'media', text: `Recording ${str(d.name)}` };
    case 'recording.finished':
      return { kind: 'media', text: `Recording ${str(d.name)} ${str(d.state)}` };
    case 'dtmf':
      return { kind: 'input', text: `Digit ${str(d.digit)} pressed` };
    case 'dtmf.sent':
      return { kind: 'input', text: `Digits ${str(d.digits)} sent to the far end` };
    case 'session.hold':
      return { kind: 'state', text: d.hold ? 'Put on hold' : 'Taken off hold' };
    case 'session.redirected':
      return { kind: 'step', text: `Redirected to flow ${str(d.flowId)} v${str(d.flowVersion)}${d.stepId ? ` at step ${str(d.stepId)}` : ''}` };
    case 'dtmf.dropped':
      return { kind: 'input', text: `${str(d.count)} digits dropped (nothing was collecting)` };
    case 'gather.input':
      return { kind: 'input', text: `Gathered "${str(d.digits)}": ${str(d.outcome)} (attempt ${str(d.attempt)}, ended by ${str(d.end)})` };
    case 'branch':
      return { kind: 'step', text: `Branch on ${str(d.variable)} = "${str(d.value)}" → ${d.target ? str(d.target) : 'the next step'}` };
    case 'stream.started':
      return { kind: 'media', text: `Stream ${str(d.streamSid)} started (${list(d.tracks)}${d.bidirectional ? ', both ways' : ', listening'})` };
    case 'stream.mark':
      return { kind: 'media', text: `Stream mark ${str(d.name)} played` };
    case 'stream.clear':
      return { kind: 'media', text: `Stream cleared by the agent (${str(d.clearedFrames)} frames dropped)` };
    case 'stream.exit':
      return { kind: 'step', text: `Agent asked to leave the stream${d.next ? ` for ${str(d.next)}` : ''}` };
    case 'stream.stopped':
      return { kind: 'media', text: `Stream ${str(d.streamSid)} stopped: ${str(d.reason)} (${str(d.framesToAgent)} frames to the agent, ${str(d.framesToCaller)} to the caller)` };
    case 'stream.failed':
      return { kind: 'error', text: `Stream could not start: ${str(d.reason)}` };
    case 'stream.not-running':
      return { kind: 'step', text: `No stream ${str(d.stream)} to stop` };
    case 'error':
      return { kind: 'error', text: `Error in ${str(d.op)}: ${str(d.kind)} ${str(d.message)}`.trim() };
    default:
      return { kind: 'other', text: `${e.type} ${str(d)}` };
  }
}
