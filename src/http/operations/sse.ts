// Writes a stream operation's events as Server-Sent Events: `id:` is the event id (what a client
// sends back as Last-Event-ID), `event:` its type, `data:` the webhooks' JSON; heartbeats are
// comment lines. Errors raised before the first byte (404, 429) never reach here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamSink } from '../../services/event-streams.js';

export async function serveStream(req: IncomingMessage, res: ServerResponse, heartbeatMs: number, start: (sink: StreamSink) => Promise<void>): Promise<void> {
  const cleanups: Array<() => void> = [];
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    for (const c of cleanups.splice(0)) c();
    res.end();
  };
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  res.write('retry: 2000\n\n');
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
  req.on('close', close);
  const sink: StreamSink = {
    send: (e) => {
      if (!closed) res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
    },
    close,
    onClose: (cleanup) => {
      if (closed) cleanup();
      else cleanups.push(cleanup);
    },
  };
  try {
    await start(sink);
  } catch {
    // The stream already started: it can only end.
    close();
  }
}
