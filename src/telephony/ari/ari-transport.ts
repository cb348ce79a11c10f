// Every ARI REST request, sent with node:http over one bounded keep-alive agent. Not through
// ari-client: its REST path (swagger-client 2.0.26 with its "shred" HTTP client) never settles a
// call whose connection is refused or reset, has no deadline, sends through Node's unbounded global
// agent, applies one process-wide Basic credential (the last client connected wins) and costs
// several times the CPU per request; none of that can be changed through ari-client's public API.
// Requests are built as ari-client builds them: path under /ari, query values encoded with
// encodeURIComponent, a JSON body, HTTP Basic credentials.
import http from 'node:http';
import https from 'node:https';
import type { ClientRequest } from 'node:http';

export interface TransportOptions {
  /** http(s)://host:port of Asterisk. */
  origin: string;
  username: string;
  password: string;
  /** Upper bound of one REST call, queueing for a socket included. */
  requestTimeoutMs: number;
  /** Keep-alive pool size: far below Asterisk's default of 100 HTTP sessions. */
  maxSockets: number;
}

/** What Asterisk answered; `body` is kept only for an error status (>= 400). */
export interface AriResponse {
  status: number;
  body: string;
  /** With `read`: the body of a success (JSON, a stored recording's file) and its type. */
  data?: Buffer;
  contentType?: string;
}

/** Query parameters in the order given; undefined ones are left out (as ari-client does). */
export type QueryParams = ReadonlyArray<readonly [string, string | number | boolean | undefined]>;

export interface RequestOptions {
  /** Keep the body of a success, up to this many bytes (larger: ERR_ARI_TOO_LARGE). */
  read?: { maxBytes: number };
  /** A deadline other than requestTimeoutMs. */
  timeoutMs?: number;
}

/** Asterisk's error bodies are a line of JSON; anything longer is cut, not buffered without end. */
const MAX_ERROR_BODY = 64 * 1024;

function codedError(message: string, code: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

export class AriTransport {
  private readonly agent: http.Agent;
  private readonly authHeader: string;
  private readonly target: URL;
  private readonly send: typeof http.request;

  constructor(private readonly opts: TransportOptions) {
    this.authHeader = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
    this.target = new URL(opts.origin);
    const secure = this.target.protocol === 'https:';
    this.send = secure ? https.request : http.request;
    const agentOptions = { keepAlive: true, maxSockets: opts.maxSockets, maxFreeSockets: opts.maxSockets, timeout: 60_000 };
    this.agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  /** The Authorization header value (the events WebSocket sends it too). */
  get authorization(): string {
    return this.authHeader;
  }

  /**
   * Sends one ARI request: `path` under /ari (segments already URI-encoded), `body` as JSON.
   * Rejects with a coded Node error when the socket fails or the deadline (queueing for a socket
   * included) runs out; an HTTP error status is a response.
   */
  request(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, query: QueryParams = [], body?: unknown, options: RequestOptions = {},
  ): Promise<AriResponse> {
    let search = '';
    for (const [name, value] of query) {
      if (value === undefined) continue;
      search += `${search === '' ? '?' : '&'}${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
    }
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders = {
      'User-Agent': 'ari-flow-engine', Accept: 'application/json', Authorization: this.authHeader,
    };
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    const read = options.read;
    return new Promise<AriResponse>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      };
      const succeed = (response: AriResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(response);
      };
      const req: ClientRequest = this.send({
        protocol: this.target.protocol, hostname: this.target.hostname, port: this.target.port,
        method, path: `/ari${path}${search}`, headers, agent: this.agent,
      }, (res) => {
        const status = res.statusCode ?? 0;
        let text = '';
        const chunks: Buffer[] = [];
        let size = 0;
        if (status < 400 && read) {
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > read.maxBytes) res.destroy(codedError(`ARI response larger than ${read.maxBytes} bytes`, 'ERR_ARI_TOO_LARGE'));
            else chunks.push(chunk);
          });
        } else if (status < 400) {
          res.resume();
        } else {
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (text.length < MAX_ERROR_BODY) text += chunk;
          });
        }
        res.once('end', () => succeed({
          status, body: text.slice(0, MAX_ERROR_BODY),
          ...(read && status < 400 ? { data: Buffer.concat(chunks), contentType: String(res.headers['content-type'] ?? 'application/octet-stream') } : {}),
        }));
        res.on('error', fail);
        // A reset or a timeout in the middle of the body: the call did not complete.
        res.once('close', () => {
          if (!res.complete) fail(codedError('ARI response cut off', 'ECONNRESET'));
        });
      });
      const timer = setTimeout(() => {
        const err = codedError('ARI request timed out', 'ERR_ARI_TIMEOUT');
        req.destroy(err);
        fail(err);
      }, options.timeoutMs ?? this.opts.requestTimeoutMs);
      req.on('error', fail);
      req.end(payload);
    });
  }

  socketsInUse(): number {
    let n = 0;
    for (const list of Object.values(this.agent.sockets)) n += list?.length ?? 0;
    return n;
  }

  destroy(): void {
    this.agent.destroy();
  }
}
