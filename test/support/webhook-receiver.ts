// A real local HTTP receiver for webhook tests: records every request, answers as the test's
// `respond` says (a status, or hanging until the engine's timeout), and lets a test wait for the
// request that matters.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
}

export type Respond = (r: Received, index: number) => number | 'hang';

export interface Receiver {
  url: string;
  received: Received[];
  respond: Respond;
  waitFor(pred: (all: Received[]) => boolean, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(respond: Respond = () => 204): Promise<Receiver> {
  const received: Received[] = [];
  const waiters = new Set<() => void>();
  const hanging = new Set<import('node:http').ServerResponse>();
  const receiver: Receiver = {
    url: '', received, respond,
    waitFor(pred, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!pred(received)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(received);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver: condition not met; got ${received.map((r) => `${r.json?.type}#${r.json?.sequence}`).join(', ')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try { json = JSON.parse(body); } catch { json = undefined; }
      const r: Received = { at: Date.now(), path: req.url ?? '', headers: req.headers, body, json };
      received.push(r);
      const answer = receiver.respond(r, received.length - 1);
      if (answer === 'hang') hanging.add(res);
      else res.writeHead(answer).end();
      for (const w of [...waiters]) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}
