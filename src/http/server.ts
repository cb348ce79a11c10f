// Listening: timeouts against slow clients (headers or body trickled), and connection tracking so
// that close() ends quickly instead of waiting on idle keep-alive sockets.
import http from 'node:http';
import type { Socket } from 'node:net';
import type express from 'express';
import type { Config } from '../config.js';

export interface HttpServerOptions {
  /** Whole request headers must arrive within this. */
  headersTimeoutMs?: number;
  /** Whole request (headers and body) must arrive within this. */
  requestTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  /** How often Node checks the two timeouts above. */
  checkIntervalMs?: number;
  /** On close, in-flight requests get this long before their sockets are destroyed. */
  closeGraceMs?: number;
}

export interface RunningHttpServer {
  server: http.Server;
  port: number;
  close(): Promise<void>;
}

export const HTTP_DEFAULTS: Required<HttpServerOptions> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
  closeGraceMs: 2_000,
};

export function startHttpServer(
  app: express.Express,
  config: Pick<Config, 'port' | 'host'>,
  options: HttpServerOptions = {},
): Promise<RunningHttpServer> {
  const o = { ...HTTP_DEFAULTS, ...options };
  const server = http.createServer({
    headersTimeout: o.headersTimeoutMs,
    requestTimeout: o.requestTimeoutMs,
    keepAliveTimeout: o.keepAliveTimeoutMs,
    connectionsCheckingInterval: o.checkIntervalMs,
  }, app);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // A client error (malformed request line, timeout) answers 400/408 and closes; never a crash.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (socket.writable && !socket.destroyed) {
      const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    } else socket.destroy();
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      const force = setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, o.closeGraceMs);
      force.unref();
      server.once('close', () => clearTimeout(force));
    });
    return closing;
  };

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      resolve({ server, port, close });
    });
  });
}
