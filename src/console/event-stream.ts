// Reads one of the engine's Server-Sent Event streams with fetch(), so the token travels in the
// Authorization header (EventSource cannot send headers, and a token in a URL ends up in logs);
// reconnects after a drop with Last-Event-ID and a growing delay, and reports an answer saying the
// stream is unavailable (the per-account cap, 429; 503) so that the caller can fall back to polling.
import { authHeaders, errorOf, type ApiError } from './api.js';
import { EventStreamParser, type StreamEvent } from './sse-parser.js';

export interface StreamHandlers {
  /** Each connection, once the engine answered 200 (the first one and every reconnect). */
  onOpen?(): void;
  onEvent(e: StreamEvent): void;
  /** The engine refused the stream for now (429, 503): the stream is over, poll instead. */
  onUnavailable(err: ApiError): void;
  /** Any other refusal (404, 403...): the stream is over. A 401 has also signed out. */
  onError(err: ApiError): void;
  /** The connection dropped (or could not be made); a reconnect follows after `delayMs`. */
  onDrop?(delayMs: number): void;
}

const MAX_DELAY_MS = 30_000;

/** Follows the stream at `path` until stopped (the returned function). */
export function followStream(path: string, handlers: StreamHandlers): () => void {
  let stopped = false;
  let controller: AbortController | undefined;
  let timer: number | undefined;
  let lastEventId = '';
  let failures = 0;
  let retryMs = 1000;

  const connect = async (): Promise<void> => {
    controller = new AbortController();
    const headers = authHeaders('text/event-stream');
    if (lastEventId) headers['last-event-id'] = lastEventId;
    try {
      const res = await fetch(path, { headers, cache: 'no-store', signal: controller.signal });
      if (!res.ok) {
        const err = errorOf(res.status, await res.text());
        if (res.status === 429 || res.status === 503) handlers.onUnavailable(err);
        else handlers.onError(err);
        stopped = true;
        return;
      }
      if (!res.body) throw new Error('no body');
      failures = 0;
      handlers.onOpen?.();
      const parser = new EventStreamParser((e) => {
        lastEventId = e.id || lastEventId;
        if (!stopped) handlers.onEvent(e);
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done || stopped) break;
        parser.feed(value);
        if (parser.retryMs !== undefined) retryMs = parser.retryMs;
      }
    } catch {
      // A network error or the stream cut: reconnect below (an abort is a stop).
    }
    if (stopped) return;
    failures += 1;
    const delay = Math.min(MAX_DELAY_MS, retryMs * 2 ** (failures - 1)) * (0.8 + 0.4 * Math.random());
    handlers.onDrop?.(delay);
    timer = window.setTimeout(() => void connect(), delay);
  };
  void connect();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    controller?.abort();
  };
}
