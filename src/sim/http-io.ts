// HTTP plumbing of the simulator's server: Asterisk's response headers, JSON replies, bounded
// request bodies and ARI's two ways of authenticating (Basic, api_key).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './rest.js';

export const SERVER_HEADER = 'Asterisk/22.10.1 (ari-flow-engine simulator)';
const MAX_BODY = 1024 * 1024;

export function send(res: ServerResponse, status: number, body?: unknown, extra: Record<string, string> = {}): void {
  const headers: Record<string, string> = { Server: SERVER_HEADER, 'Cache-Control': 'no-cache, no-store', ...extra };
  if (status === 204 || body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  headers['Content-Type'] = 'application/json';
  headers['Content-Length'] = String(Buffer.byteLength(text));
  res.writeHead(status, headers);
  res.end(text);
}

export function sendFile(res: ServerResponse, status: number, file: { contentType: string; data: Buffer }): void {
  res.writeHead(status, {
    Server: SERVER_HEADER, 'Cache-Control': 'no-cache, no-store', 'Content-Type': file.contentType, 'Content-Length': String(file.data.length),
  });
  res.end(file.data);
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, { message: 'Request body too large' }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, { message: 'Could not parse request body as JSON' });
  }
}

/** Path and raw query string of a request URL. */
export function splitUrl(url: string | undefined): { path: string; rawQuery: string } {
  const u = url ?? '/';
  const qi = u.indexOf('?');
  return { path: qi < 0 ? u : u.slice(0, qi), rawQuery: qi < 0 ? '' : u.slice(qi + 1) };
}

/** ARI's credentials check: HTTP Basic, or `api_key=user:password` in the query string. */
export function authorizer(username: string, password: string): (req: IncomingMessage, query: Map<string, string>) => boolean {
  return (req, query) => {
    const header = req.headers.authorization;
    let given: string | undefined;
    if (header && /^basic /i.test(header)) given = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    else if (query.has('api_key')) given = query.get('api_key');
    return given === `${username}:${password}`;
  };
}
