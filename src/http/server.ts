// Listening: timeouts against slow clients (headers or body trickled), and connection tracking so
// that close() ends quickly instead of waiting on idle keep-alive sockets.
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '../config.js';
import { AppError } from '../domain/errors.js';
import { errorBody } from './respond.js';

export interface HttpServerOptions {
  /** Whole request headers must arrive within this. */
  headersTimeoutMs?: number;
  /** Whole request (headers and body) must arrive within this. */
  requestTimeoutMs?: number;
  /** How often Node checks the two timeouts above. */
  checkIntervalMs?: number;
  /** On close, in-flight requests get this long before their sockets are destroyed. */
  closeGraceMs?: number;
  /** Request line plus headers; beyond it the request is answered 431. */
  maxHeaderBytes?: number;
}

export interface RunningHttpServer {
  server: http.Server;
  port: number;
  close(): Promise<void>;
}

export const HTTP_DEFAULTS: Required<HttpServerOptions> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  checkIntervalMs: 1_000,
  closeGraceMs: 2_000,
  maxHeaderBytes: 16_384,
};

/**
 * What Node's HTTP parser refuses before the application sees the request (llhttp error codes), answered
 * in the API's error shape. Anything else it rejects (bad request line, header characters,
 * method, version, Transfer-Encoding with Content-Length) is a 400.
 */
const CLIENT_ERRORS: Record<string, [status: string, errorCode: string, message: string]> = {
  HPE_HEADER_OVERFLOW: ['431 Request Header Fields Too Large', 'RequestHeaderFieldsTooLarge', 'The request line and headers are larger than the server accepts (16 KiB by default)'],
  ERR_HTTP_REQUEST_TIMEOUT: ['408 Request Timeout', 'RequestTimeout', 'The request did not arrive in time'],
  ERR_HTTP_HEADERS_TIMEOUT: ['408 Request Timeout', 'RequestTimeout', 'The request headers did not arrive in time'],
  HPE_INVALID_METHOD: ['400 Bad Request', 'InvalidMethod', 'The request method is not a valid HTTP method'],
  HPE_INVALID_VERSION: ['400 Bad Request', 'InvalidHttpVersion', 'The request line has no valid HTTP version'],
  HPE_INVALID_URL: ['400 Bad Request', 'InvalidUrl', 'The request target is not a valid URL'],
  HPE_INVALID_CONSTANT: ['400 Bad Request', 'InvalidRequestLine', 'The request line must be METHOD target HTTP/1.1 (spaces in the target must be percent-encoded)'],
  HPE_INVALID_HEADER_TOKEN: ['400 Bad Request', 'InvalidHeader', 'A header name or value holds characters HTTP does not allow'],
  // Ambiguous body framing is how requests are smuggled past a proxy: refused, never guessed.
  HPE_INVALID_TRANSFER_ENCODING: ['400 Bad Request', 'AmbiguousBodyLength', 'Transfer-Encoding with Content-Length, or not ending in chunked, is refused'],
  HPE_UNEXPECTED_CONTENT_LENGTH: ['400 Bad Request', 'AmbiguousBodyLength', 'Content-Length is repeated or comes with Transfer-Encoding'],
};
const BAD_REQUEST: [string, string, string] = ['400 Bad Request', 'BadRequest', 'The request is not valid HTTP/1.1'];

/** Answers a parser rejection with a ResponseStatus body and closes, where the socket still can be written. */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  // A response already under way (pipelined request) must not be interleaved with a second one.
  const started = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (err.code === 'ECONNRESET' || !socket.writable || socket.destroyed || started) {
    socket.destroy();
    return;
  }
  const [status, errorCode, message] = CLIENT_ERRORS[err.code ?? ''] ?? BAD_REQUEST;
  const body = JSON.stringify(errorBody(new AppError('validation', errorCode, message)));
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`
    + `Connection: close\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n\r\n${body}`);
}

export function startHttpServer(
  listener: http.RequestListener,
  config: Pick<Config, 'port' | 'host' | 'httpKeepAliveTimeoutMs'>,
  options: HttpServerOptions = {},
): Promise<RunningHttpServer> {
  const o = { ...HTTP_DEFAULTS, ...options };
  const server = http.createServer({
    headersTimeout: o.headersTimeoutMs,
    requestTimeout: o.requestTimeoutMs,
    keepAliveTimeout: config.httpKeepAliveTimeoutMs,
    connectionsCheckingInterval: o.checkIntervalMs,
    maxHeaderSize: o.maxHeaderBytes,
  }, listener);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => answerClientError(err, socket));

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
