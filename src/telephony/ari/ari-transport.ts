// The HTTP side of ari-client, made safe. ari-client sends REST through swagger-client's "shred"
// HTTP client, which (1) never settles a call whose connection fails (the socket error goes to a
// `request_error` event nobody listens to), (2) has no timeout, and (3) uses Node's global agent.
// swagger-client applies every registered "authorization" to each request before sending it, and
// the request is created synchronously inside the ari-client call: that is where this module
// plugs in a bounded keep-alive agent and learns which ClientRequest belongs to which call, so
// that a refused, reset or slow request settles with a Node error code.
// The engine's hot calls (originate, answer, play, stop playback, hangup) skip swagger-client and
// shred altogether: `request()` sends them with node:http over the same bounded agent.
import http from 'node:http';
import https from 'node:https';
import type { ClientRequest, RequestOptions } from 'node:http';

export interface TransportOptions {
  /** http(s)://host:port of Asterisk. */
  origin: string;
  username: string;
  password: string;
  /** Upper bound of one REST call, queueing included. */
  requestTimeoutMs: number;
  /** Keep-alive pool size: far below Asterisk's default of 100 HTTP sessions. */
  maxSockets: number;
}

/** What Asterisk answered to a direct request; `body` is kept only for an error status (>= 400). */
export interface DirectResponse {
  status: number;
  body: string;
  /** With `download`: the body of a success (a stored recording's file) and its type. */
  data?: Buffer;
  contentType?: string;
}

/** Query parameters in the order given; undefined ones are left out (as swagger-client does). */
export type QueryParams = ReadonlyArray<readonly [string, string | number | boolean | undefined]>;

/** Asterisk's error bodies are a line of JSON; anything longer is cut, not buffered without end. */
const MAX_ERROR_BODY = 64 * 1024;

/** One REST call in flight: fails with a coded error when its socket fails or time runs out. */
export interface TrackedCall {
  readonly failure: Promise<never>;
  dispose(): void;
}

interface CallSlot {
  attach(req: ClientRequest): void;
}

type AddRequest = (this: http.Agent, req: ClientRequest, options: RequestOptions) => void;
const baseAddRequest = (http.Agent.prototype as unknown as { addRequest: AddRequest }).addRequest;
const baseHttpsAddRequest = (https.Agent.prototype as unknown as { addRequest: AddRequest }).addRequest;

function codedError(message: string, code: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

export class AriTransport {
  readonly agent: http.Agent;
  private current: CallSlot | undefined;
  /** True while `request()` creates its ClientRequest: it has a deadline of its own. */
  private sendingDirect = false;
  private readonly authHeader: string;
  private readonly target: URL;
  private readonly send: typeof http.request;

  constructor(private readonly opts: TransportOptions) {
    this.authHeader = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
    this.target = new URL(opts.origin);
    this.send = opts.origin.startsWith('https:') ? https.request : http.request;
    const agentOptions = { keepAlive: true, maxSockets: opts.maxSockets, maxFreeSockets: opts.maxSockets, timeout: 60_000 };
    const agent = opts.origin.startsWith('https:') ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    const add = opts.origin.startsWith('https:') ? baseHttpsAddRequest : baseAddRequest;
    // shred also writes its `agent` option into the User-Agent header: give it a readable name.
    Object.defineProperty(agent, 'toString', { value: () => 'ari-flow-engine' });
    Object.defineProperty(agent, 'addRequest', {
      value: (req: ClientRequest, options: RequestOptions): void => {
        // Requests no call tracks (the API description loaded at connect) still get a deadline.
        if (!this.sendingDirect) req.setTimeout(opts.requestTimeoutMs, () => req.destroy(codedError('ARI request timed out', 'ERR_ARI_TIMEOUT')));
        this.current?.attach(req);
        this.current = undefined;
        add.call(agent, req, options);
      },
    });
    this.agent = agent;
  }

  /** The swagger-client "authorization" that routes requests for this origin through us. */
  authorization(): { apply(obj: { url?: unknown; headers?: Record<string, unknown>; agent?: unknown }): boolean } {
    return {
      apply: (obj) => {
        if (typeof obj.url !== 'string' || !obj.url.startsWith(`${this.opts.origin}/`)) return false;
        obj.agent = this.agent;
        // ari-client registers ONE global basic-auth for all its clients; ours is per origin.
        if (obj.headers) obj.headers.Authorization = this.authHeader;
        return true;
      },
    };
  }

  /** Runs `invoke` (which must issue exactly one ari-client REST call) and tracks its request. */
  run<T>(invoke: () => T): { result: T; call: TrackedCall } {
    let req: ClientRequest | undefined;
    let fail: (err: Error) => void = () => undefined;
    let settled = false;
    const failure = new Promise<never>((_resolve, reject) => {
      fail = (err) => {
        if (settled) return;
        settled = true;
        reject(err);
      };
    });
    // Nobody may be listening when a disposed call's socket fails later.
    failure.catch(() => undefined);
    const timer = setTimeout(() => {
      const err = codedError('ARI request timed out', 'ERR_ARI_TIMEOUT');
      req?.destroy(err);
      fail(err);
    }, this.opts.requestTimeoutMs);
    const onError = (err: Error): void => fail(err);
    this.current = {
      attach: (r) => {
        req = r;
        r.once('error', onError);
      },
    };
    const call: TrackedCall = {
      failure,
      dispose: () => {
        settled = true;
        clearTimeout(timer);
        // shred keeps its own 'error' listener on the request, so a late socket error stays handled.
        req?.off('error', onError);
      },
    };
    try {
      return { result: invoke(), call };
    } catch (err) {
      call.dispose();
      throw err;
    } finally {
      this.current = undefined;
    }
  }

  /**
   * Sends one ARI request straight over the agent, as ari-client would build it: `path` under
   * /ari (segments already URI-encoded), query values encoded with encodeURIComponent (`+` is
   * %2B, `,` is %2C), `body` as JSON. Rejects with a coded Node error when the socket fails or
   * `requestTimeoutMs` (queueing for a socket included) runs out; an HTTP error is a response.
   */
  request(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, query: QueryParams = [], body?: unknown,
    download?: { maxBytes: number },
  ): Promise<DirectResponse> {
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
    return new Promise<DirectResponse>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      };
      const succeed = (response: DirectResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(response);
      };
      this.sendingDirect = true;
      let req: ClientRequest;
      try {
        req = this.send({
          protocol: this.target.protocol, hostname: this.target.hostname, port: this.target.port,
          method, path: `/ari${path}${search}`, headers, agent: this.agent,
        }, onResponse);
      } finally {
        this.sendingDirect = false;
      }
      function onResponse(res: http.IncomingMessage): void {
        const status = res.statusCode ?? 0;
        let text = '';
        const chunks: Buffer[] = [];
        let size = 0;
        if (status < 400 && download) {
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > download.maxBytes) res.destroy(codedError(`ARI response larger than ${download.maxBytes} bytes`, 'ERR_ARI_TOO_LARGE'));
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
          ...(download && status < 400 ? { data: Buffer.concat(chunks), contentType: String(res.headers['content-type'] ?? 'application/octet-stream') } : {}),
        }));
        res.on('error', fail);
        // A reset or a timeout in the middle of the body: the call did not complete.
        res.once('close', () => {
          if (!res.complete) fail(codedError('ARI response cut off', 'ECONNRESET'));
        });
      }
      const timer = setTimeout(() => {
        const err = codedError('ARI request timed out', 'ERR_ARI_TIMEOUT');
        req.destroy(err);
        fail(err);
      }, this.opts.requestTimeoutMs);
      req.on('error', fail);
      req.end(payload);
    });
  }

  /**
   * ari-client checks that Asterisk is reachable with one unauthenticated GET through the
   * `request` package, i.e. Node's global agent, which keeps that socket open: one more than the
   * pool's bound. Closes the global agent's idle sockets to Asterisk (call it once connected).
   */
  closeIdleGlobalSockets(): void {
    const global = this.opts.origin.startsWith('https:') ? https.globalAgent : http.globalAgent;
    const host = this.target.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = this.target.port || (this.opts.origin.startsWith('https:') ? '443' : '80');
    // The port is in the pool's name as the caller gave it: explicit, or left out.
    for (const name of new Set([global.getName({ host, port }), global.getName({ host })])) {
      for (const socket of global.freeSockets[name] ?? []) socket.destroy();
    }
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
