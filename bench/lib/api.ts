// The benchmark as an API user: a keep-alive HTTP client for the engine's API with a minted JWT.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import jwt from 'jsonwebtoken';

export interface ApiResponse {
  status: number;
  body: unknown;
  ms: number;
}

export class ApiClient {
  private agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private readonly authorization: string;

  constructor(private readonly port: number, secret: string, accountId: string) {
    const token = jwt.sign({ roles: ['Manager'], accountId }, secret, { algorithm: 'HS256', subject: 'bench', expiresIn: '2h' });
    this.authorization = `Bearer ${token}`;
  }

  /** `parse: false` skips reading the body as JSON (the load generator only needs status and time). */
  request(method: string, path: string, body?: unknown, parse = true): Promise<ApiResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders = { authorization: this.authorization, accept: 'application/json' };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    const start = performance.now();
    return new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: this.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          if (parse) chunks.push(c);
        });
        res.on('end', () => {
          const ms = performance.now() - start;
          let parsed: unknown;
          if (parse && chunks.length > 0) {
            const text = Buffer.concat(chunks).toString('utf8');
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, ms });
        });
      });
      req.on('error', (err) => resolve({ status: 0, body: err.message, ms: performance.now() - start }));
      req.end(payload);
    });
  }

  /**
   * Closes every kept-alive connection to the engine. Memory samples are taken after this: the
   * engine's server sockets (and their listeners) belong to the load generator, not to calls.
   */
  resetConnections(): void {
    this.agent.destroy();
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  }

  close(): void {
    this.agent.destroy();
    controlAgent.destroy();
  }
}

/** GET without auth, for /ready. */
export function getStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
  });
}

const controlAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** PUT JSON without auth (the simulator's control API). */
export function putJson(baseUrl: string, path: string, body: unknown): Promise<number> {
  return sendJson('PUT', baseUrl, path, body);
}

/** POST JSON without auth (the simulator's control API). */
export function postJson(baseUrl: string, path: string, body: unknown): Promise<number> {
  return sendJson('POST', baseUrl, path, body);
}

function sendJson(method: string, baseUrl: string, path: string, body: unknown): Promise<number> {
  const url = new URL(path, baseUrl);
  const payload = JSON.stringify(body);
  return new Promise((resolve) => {
    const req = http.request(url, { method, agent: controlAgent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.end(payload);
  });
}
