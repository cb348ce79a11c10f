// The StreamMediaPort over a real Asterisk (or the simulator): the two requests a media stream adds
// to the TelephonyPort, sent with fetch on their own (they are a few per stream, far from the hot
// path the adapter's transport is tuned for). As trace r of Asterisk 22.10.1 shows, the
// externalMedia answer carries the connection id in `channelvars.MEDIA_WEBSOCKET_CONNECTION_ID`,
// and the channel enters the application only once a client connects to /media/{that id}.
import type { PortResult, StreamMediaPort } from '../port.js';
import { mapAriError } from './ari-errors.js';

export interface AriStreamMediaOptions {
  /** ARI's base URL without /ari (ARI_URL). */
  url: string;
  username: string;
  password: string;
  app: string;
  requestTimeoutMs?: number;
}

export function createAriStreamMedia(opts: AriStreamMediaOptions): StreamMediaPort {
  const base = new URL(opts.url);
  const authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
  const timeoutMs = opts.requestTimeoutMs ?? 10_000;

  const post = async (path: string, query: Record<string, string>): Promise<PortResult<unknown>> => {
    const url = new URL(`/ari${path}`, base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers: { authorization }, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause ?? err;
      return mapAriError(cause);
    }
    const text = await res.text().catch(() => '');
    if (res.ok) {
      try {
        return { ok: true, value: text ? JSON.parse(text) as unknown : undefined };
      } catch {
        return { ok: false, kind: 'failed', message: 'unreadable ARI answer' };
      }
    }
    return mapAriError(new Error(text), res.status);
  };

  return {
    async externalMediaSocket(channelId) {
      const res = await post('/channels/externalMedia', {
        channelId, app: opts.app, format: 'ulaw', transport: 'websocket', encapsulation: 'none', connection_type: 'server',
      });
      if (!res.ok) return res;
      const vars = (res.value as { channelvars?: Record<string, unknown> } | undefined)?.channelvars;
      const connectionId = vars?.MEDIA_WEBSOCKET_CONNECTION_ID;
      if (typeof connectionId !== 'string' || connectionId === '') {
        return { ok: false, kind: 'failed', message: 'externalMedia answered without MEDIA_WEBSOCKET_CONNECTION_ID' };
      }
      return { ok: true, value: { connectionId } };
    },
    mediaSocketUrl(connectionId) {
      const url = new URL(`/media/${encodeURIComponent(connectionId)}`, base);
      url.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
      return url.toString();
    },
    mediaSocketHeaders: () => ({ authorization }),
    async snoop(channelId, snoopId, spy) {
      const res = await post(`/channels/${encodeURIComponent(channelId)}/snoop`, { app: opts.app, spy, snoopId });
      return res.ok ? { ok: true, value: undefined } : res;
    },
  };
}
