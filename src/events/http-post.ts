// One webhook attempt: POST to the pinned address, a deadline for the whole exchange, no
// redirects followed, at most a small excerpt of the response read.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { resolveAllowed } from './outbound-url.js';

export const RESPONSE_EXCERPT_BYTES = 1024;

export interface PostOutcome {
  statusCode: number | null;
  error: string | null;
  excerpt: string | null;
  durationMs: number;
}

export async function postJson(rawUrl: string, body: string, headers: Record<string, string>, opts: { timeoutMs: number; allowPrivate: boolean }): Promise<PostOutcome> {
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
      // The address checked above is the one connected to: no second resolution to rebind.
      lookup: (_host, options, cb) => {
        if ((options as { all?: boolean }).all) (cb as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [pinned]);
        else cb(null, pinned.address, pinned.family);
      },
      agent: false,
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
