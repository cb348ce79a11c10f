// A TCP proxy a test puts between the engine and a server (PostgreSQL) to cut the network and
// restore it, without touching the server that other test files share.
//   const proxy = await startTcpProxy('127.0.0.1', 5432);
//   proxy.url(pgUrl)  → the same URL through the proxy
//   proxy.cut()       → open connections reset; new ones reset at once ('reset') or left hanging ('hang')
//   proxy.restore()   → connections go through again
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  url(url: string): string;
  cut(mode?: 'reset' | 'hang'): void;
  restore(): void;
  /** Connections accepted so far (to see the engine reconnect). */
  readonly accepted: number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let mode: 'open' | 'reset' | 'hang' = 'open';
  let accepted = 0;
  const server: Server = createServer((client) => {
    accepted += 1;
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => undefined);
    if (mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    if (mode === 'hang') return;
    const upstream = connect(targetPort, targetHost);
    open.add(upstream);
    upstream.on('close', () => { open.delete(upstream); client.destroy(); });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut(how = 'reset') {
      mode = how;
      for (const s of open) s.destroy();
      open.clear();
    },
    restore() {
      mode = 'open';
      // Hanging connections never got an upstream: drop them so their clients reconnect.
      for (const s of open) s.destroy();
      open.clear();
    },
    get accepted() {
      return accepted;
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of open) s.destroy();
      server.close(() => resolve());
    }),
  };
}
