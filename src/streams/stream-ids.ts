// Ids of what a stream creates in Asterisk (the WebSocket media channel, its bridge, a snoop),
// derived from the call's channel with a mark of their own, so that the engine tells their events
// (a StasisStart of a channel no session placed) from an inbound call's.
import { randomUUID } from 'node:crypto';

const STREAM_MARK = '-stream-';

export function streamResourceId(callChannelId: string, kind: 'media' | 'bridge' | 'snoop'): string {
  return `${callChannelId}${STREAM_MARK}${randomUUID().slice(0, 8)}-${kind}`;
}

/** True for a channel or bridge a stream made. */
export function isStreamResource(id: string): boolean {
  return id.includes(STREAM_MARK);
}

/** The call channel a stream resource was made for (undefined for any other id). */
export function callChannelOfStreamResource(id: string): string | undefined {
  const at = id.lastIndexOf(STREAM_MARK);
  return at > 0 ? id.slice(0, at) : undefined;
}

/** Twilio's stream ids are `MZ` and 32 hex digits. */
export const newStreamSid = (): string => `MZ${randomUUID().replace(/-/g, '')}`;
