// One webhook attempt: POST to the pinned address, a deadline for the whole exchange, no
// redirects followed, at most a small excerpt of the response read. Connections are kept alive
// per destination and checked address (an agent only ever connects to the address it was made
// for), so a busy destination does not pay a TCP (and TLS) handshake per event.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { resolveAllowed } from './outbound-url.js';

export const RESPONSE_EXCERPT_BYTES = 1024;

export interface PostOutcome {
  statusCode: number | null;
  error: string | null;
  excerpt: string | null;
  durationMs: number;
}

/** Kept-alive connections, by destination origin and the address checked for it. */
export class Connections {
  private readonly agents = new Map<string, HttpAgent>();

  constructor(private readonly perDestination: number) {}

  agentFor(url: URL, pinned: { address: string; family: 4 | 6 }): HttpAgent {
    const key = `${url.origin}\n${pinned.address}`;
    let agent = this.agents.get(key);
    if (!agent) {
      // The address checked above is the one connected to: no second resolution to rebind.
      const lookup: LookupFunction = (_host, options, cb) => {
        if ((options as { all?: boolean }).all) (cb as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [pinned]);
        else cb(null, pinned.address, pinned.family);
      };
      const o = { keepAlive: true, maxSockets: this.perDestination, maxFreeSockets: this.perDestination, timeout: 30_000, lookup };
      agent = url.protocol === 'https:' ? new HttpsAgent(o) : new HttpAgent(o);
      this.agents.set(key, agent);
    }
    return agent;
  }

  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

export async function postJson(rawUrl: string, body: string, headers: Record<string, string>, opts: { timeoutMs: number; allowPrivate: boolean; connections: Connections }): Promise<PostOutcome> {
  const started = performance.now();
  const done = (o: Omit<PostOutcome, 'durationMs'>): PostOutcome => ({ ...o, durationMs: Math.round(performance.now() - started) });
  let url: URL;
  let pinned: { address: string; family: 4 | 6 };
  try {
    url = new URL(rawUrl);
    pinned = await resolveAllowed(url, opts.allowPrivate);
  } catch (err) {
    return done({ statusCode: null, error: `destination refused: ${(err as Error).message}`, excerpt: null });
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<PostOutcome>((resolve) => {
    let settled = false;
    const finish = (o: Omit<PostOutcome, 'durationMs'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(done(o));
    };
    const req = send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'ari-flow-engine-webhooks/1', ...headers },
      agent: opts.connections.agentFor(url, pinned),
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < RESPONSE_EXCERPT_BYTES) chunks.push(chunk.subarray(0, RESPONSE_EXCERPT_BYTES - size));
        size += chunk.length;
        if (size >= RESPONSE_EXCERPT_BYTES) {
          finish(outcome(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
          res.destroy();
        }
      });
      res.on('end', () => finish(outcome(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
      res.on('error', () => finish(outcome(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
    });
    const timer = setTimeout(() => {
      finish({ statusCode: null, error: `timed out after ${opts.timeoutMs} ms`, excerpt: null });
      req.destroy();
    }, opts.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish({ statusCode: null, error: err.code ?? err.message, excerpt: null }));
    req.end(body);
  });
}

function outcome(statusCode: number, excerpt: string): Omit<PostOutcome, 'durationMs'> {
  if (statusCode >= 200 && statusCode < 300) return { statusCode, error: null, excerpt: excerpt || null };
  const error = statusCode >= 300 && statusCode < 400 ? 'redirect not followed' : `HTTP ${statusCode}`;
  return { statusCode, error, excerpt: excerpt || null };
}
