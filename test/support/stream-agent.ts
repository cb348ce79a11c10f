// A real WebSocket agent server for stream tests: records every message it gets with its arrival
// time, and lets a test act on each connection (send, close, drop) and wait for a message.
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { waitUntil } from './wait-until.js';

export interface AgentMessage { at: number; msg: any }

export interface AgentConnection {
  socket: WebSocket;
  messages: AgentMessage[];
  /** Resolves with the first message (already received or coming) that matches. */
  next(match: (msg: any) => boolean, what: string, timeoutMs?: number): Promise<AgentMessage>;
  send(msg: unknown): void;
  closed: Promise<void>;
}

export interface TestAgent {
  url: string;
  connections: AgentConnection[];
  /** The index-th connection (0: the first), once it came. */
  connection(index?: number, timeoutMs?: number): Promise<AgentConnection>;
  close(): Promise<void>;
}

export async function startTestAgent(): Promise<TestAgent> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const connections: AgentConnection[] = [];
  wss.on('connection', (socket) => {
    const messages: AgentMessage[] = [];
    const listeners = new Set<() => void>();
    const c: AgentConnection = {
      socket, messages,
      next(match, what, timeoutMs = 15_000) {
        return new Promise((resolve, reject) => {
          const check = (): boolean => {
            const found = messages.find((m) => match(m.msg));
            if (!found) return false;
            clearTimeout(timer);
            listeners.delete(onChange);
            resolve(found);
            return true;
          };
          const onChange = (): void => void check();
          const timer = setTimeout(() => {
            listeners.delete(onChange);
            reject(new Error(`agent: timed out after ${timeoutMs} ms waiting for ${what}; got ${messages.map((m) => m.msg.event).join(',')}`));
          }, timeoutMs);
          if (!check()) listeners.add(onChange);
        });
      },
      send: (msg) => socket.send(JSON.stringify(msg)),
      closed: new Promise((resolve) => socket.once('close', () => resolve())),
    };
    socket.on('message', (data) => {
      messages.push({ at: performance.now(), msg: JSON.parse(String(data)) });
      for (const l of [...listeners]) l();
    });
    connections.push(c);
  });
  const port = (wss.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/agent`,
    connections,
    connection: (index = 0, timeoutMs = 15_000) => waitUntil(() => connections[index], { message: `the agent's connection ${index}`, timeoutMs }),
    close: () => new Promise((resolve) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => resolve());
    }),
  };
}
