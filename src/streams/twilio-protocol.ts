// The Twilio Media Streams protocol as Twilio documents it (twilio.com/docs/voice/media-streams/
// websocket-messages): what the engine sends (connected, start, media, dtmf, mark, stop) with the
// field names, order and types Twilio uses (every number a string, sequenceNumber counting every
// message after `connected` from 1), and what an agent sends (media, mark, clear), plus the
// engine's one extension, `engine.exit` (namespaced: a Twilio agent never sends it by accident).
// `media` messages are built by string concatenation: they are 50 per second per stream.

export const MEDIA_FORMAT = { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } as const;

export type Track = 'inbound' | 'outbound';

export interface StartInfo {
  streamSid: string;
  accountSid: string;
  callSid: string;
  tracks: Track[];
  customParameters: Record<string, string>;
}

export const connectedMessage = (): string => JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' });

export function startMessage(seq: number, s: StartInfo): string {
  return JSON.stringify({
    event: 'start', sequenceNumber: String(seq),
    start: { accountSid: s.accountSid, streamSid: s.streamSid, callSid: s.callSid, tracks: s.tracks, customParameters: s.customParameters, mediaFormat: MEDIA_FORMAT },
    streamSid: s.streamSid,
  });
}

/** `timestamp`: milliseconds of audio on this track before this chunk (chunk n starts at (n-1)·20 ms for 20 ms frames). */
export function mediaMessage(seq: number, streamSid: string, track: Track, chunk: number, timestamp: number, payload: Buffer): string {
  return `{"event":"media","sequenceNumber":"${seq}","media":{"track":"${track}","chunk":"${chunk}","timestamp":"${timestamp}","payload":"${payload.toString('base64')}"},"streamSid":"${streamSid}"}`;
}

export const dtmfMessage = (seq: number, streamSid: string, digit: string): string =>
  JSON.stringify({ event: 'dtmf', streamSid, sequenceNumber: String(seq), dtmf: { track: 'inbound_track', digit } });

export const markMessage = (seq: number, streamSid: string, name: string): string =>
  JSON.stringify({ event: 'mark', sequenceNumber: String(seq), streamSid, mark: { name } });

export const stopMessage = (seq: number, streamSid: string, accountSid: string, callSid: string): string =>
  JSON.stringify({ event: 'stop', sequenceNumber: String(seq), streamSid, stop: { accountSid, callSid } });

/** What an agent may send; anything else is ignored (and counted), as Twilio ignores it. */
export type AgentMessage =
  | { event: 'media'; payload: Buffer }
  | { event: 'mark'; name: string }
  | { event: 'clear' }
  | { event: 'engine.exit'; variables: Record<string, string>; next?: string };

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const STEP_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_EXIT_VARIABLES = 50;
const MAX_VARIABLE_LENGTH = 1000;
const MAX_MARK_NAME = 256;

/** Parses one text message of an agent; undefined when it is not one the engine acts on. */
export function parseAgentMessage(text: string): AgentMessage | undefined {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof msg !== 'object' || msg === null) return undefined;
  const m = msg as Record<string, unknown>;
  switch (m.event) {
    case 'media': {
      const payload = (m.media as { payload?: unknown } | undefined)?.payload;
      return typeof payload === 'string' ? { event: 'media', payload: Buffer.from(payload, 'base64') } : undefined;
    }
    case 'mark': {
      const name = (m.mark as { name?: unknown } | undefined)?.name;
      return typeof name === 'string' && name.length <= MAX_MARK_NAME ? { event: 'mark', name } : undefined;
    }
    case 'clear':
      return { event: 'clear' };
    case 'engine.exit': {
      const variables: Record<string, string> = {};
      const given = m.variables;
      if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given))) return undefined;
      for (const [k, v] of Object.entries(given ?? {}).slice(0, MAX_EXIT_VARIABLES)) {
        if (VARIABLE_NAME.test(k) && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) {
          variables[k] = String(v).slice(0, MAX_VARIABLE_LENGTH);
        }
      }
      const next = typeof m.next === 'string' && STEP_ID.test(m.next) ? m.next : undefined;
      return next === undefined ? { event: 'engine.exit', variables } : { event: 'engine.exit', variables, next };
    }
    default:
      return undefined;
  }
}
