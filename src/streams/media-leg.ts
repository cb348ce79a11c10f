// Asterisk's side of one track of a stream: a chan_websocket channel in server mode, which the
// engine connects to at /media/{connection id} (trace r of Asterisk 22.10.1: the channel enters the
// application when the socket connects, and the first message is a `MEDIA_START …` text line; audio
// is binary μ-law, 160 bytes per 20 ms; closing the socket hangs the channel up). The channel is
// put in a mixing bridge with what it should hear: the caller's channel itself (a stream that
// talks back), or a snoop on it (a listen-only track: `in` what the caller says, `out` what the
// caller hears), which leaves the caller free for the following steps (a dial moves it to its
// own bridge). Every id carries the stream mark (stream-ids.ts).
import WebSocket from 'ws';
import type { PortResult, StreamMediaPort, TelephonyPort } from '../telephony/port.js';
import { streamResourceId } from './stream-ids.js';

/** How long Asterisk may take to say MEDIA_START once the socket is open. */
const MEDIA_START_TIMEOUT_MS = 5_000;
/** Audio not yet written to Asterisk's socket beyond this is dropped (a stalled Asterisk socket). */
export const MAX_MEDIA_BUFFERED_BYTES = 64 * 1024;

export interface MediaLegDeps {
  port: TelephonyPort;
  media: StreamMediaPort;
}

export type MediaLegSource = { kind: 'caller' } | { kind: 'snoop'; spy: 'in' | 'out' };

export class MediaLeg {
  private closed = false;
  private onAudio: (frame: Buffer, at: number) => void = () => undefined;
  private onGone: () => void = () => undefined;

  private constructor(
    private readonly deps: MediaLegDeps,
    readonly channelId: string,
    readonly bridgeId: string,
    readonly snoopId: string | undefined,
    private readonly socket: WebSocket,
  ) {
    socket.on('message', (data, isBinary) => {
      if (isBinary && !this.closed) this.onAudio(data as Buffer, performance.now());
    });
    socket.on('close', () => {
      if (!this.closed) this.onGone();
    });
  }

  /** Sets up the channel, its socket and its bridge; on failure everything made is undone. */
  static async open(deps: MediaLegDeps, callChannelId: string, source: MediaLegSource): Promise<PortResult<MediaLeg>> {
    const channelId = streamResourceId(callChannelId, 'media');
    const bridgeId = streamResourceId(callChannelId, 'bridge');
    const snoopId = source.kind === 'snoop' ? streamResourceId(callChannelId, 'snoop') : undefined;
    let socket: WebSocket | undefined;
    let bridged = false;
    const undo = async (): Promise<void> => {
      socket?.close(1000);
      if (bridged) await deps.port.destroyBridge(bridgeId);
      await deps.port.hangup(channelId);
      if (snoopId) await deps.port.hangup(snoopId);
    };
    if (source.kind === 'snoop' && snoopId) {
      const snooped = await deps.media.snoop(callChannelId, snoopId, source.spy);
      if (!snooped.ok) return snooped;
    }
    const made = await deps.media.externalMediaSocket(channelId);
    if (!made.ok) {
      await undo();
      return made;
    }
    const connected = await connectMedia(deps.media, made.value.connectionId);
    if (!connected.ok) {
      await undo();
      return connected;
    }
    socket = connected.value;
    const bridge = await deps.port.createBridge(bridgeId, `stream ${callChannelId}`);
    if (!bridge.ok) {
      await undo();
      return bridge;
    }
    bridged = true;
    const joined = await deps.port.addToBridge(bridgeId, [snoopId ?? callChannelId, channelId]);
    if (!joined.ok) {
      await undo();
      return joined;
    }
    return { ok: true, value: new MediaLeg(deps, channelId, bridgeId, snoopId, socket) };
  }

  listen(onAudio: (frame: Buffer, at: number) => void, onGone: () => void): void {
    this.onAudio = onAudio;
    this.onGone = onGone;
  }

  /** Writes one frame; false when Asterisk's socket is backed up and the frame was dropped. */
  send(frame: Buffer): boolean {
    if (this.closed || this.socket.readyState !== WebSocket.OPEN || this.socket.bufferedAmount > MAX_MEDIA_BUFFERED_BYTES) return false;
    this.socket.send(frame, { binary: true });
    return true;
  }

  /** Closes the socket (Asterisk hangs the channel up, cause 16) and removes the bridge and snoop. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.socket.close(1000);
    await this.deps.port.destroyBridge(this.bridgeId);
    if (this.snoopId) await this.deps.port.hangup(this.snoopId);
  }
}

function connectMedia(media: StreamMediaPort, connectionId: string): Promise<PortResult<WebSocket>> {
  return new Promise((resolve) => {
    const socket = new WebSocket(media.mediaSocketUrl(connectionId), 'media', { headers: media.mediaSocketHeaders(connectionId), handshakeTimeout: MEDIA_START_TIMEOUT_MS });
    let settled = false;
    const settle = (result: PortResult<WebSocket>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('message', onFirst);
      if (!result.ok) socket.terminate();
      resolve(result);
    };
    const timer = setTimeout(() => settle({ ok: false, kind: 'failed', message: 'Asterisk did not start the media socket (no MEDIA_START)' }), MEDIA_START_TIMEOUT_MS);
    const onFirst = (data: WebSocket.RawData, isBinary: boolean): void => {
      if (!isBinary && String(data).startsWith('MEDIA_START')) settle({ ok: true, value: socket });
    };
    socket.on('message', onFirst);
    socket.on('error', (err) => settle({ ok: false, kind: 'unavailable', message: `media socket: ${err.message}` }));
    socket.on('close', () => settle({ ok: false, kind: 'failed', message: 'media socket closed before MEDIA_START' }));
  });
}
