// The WebSockets of the simulator: ARI's events socket (/ari/events?app=…, one connection owning
// each application, ApplicationReplaced when another takes it, subscribeAll) and the media
// sockets of externalMedia channels (/media/{connection id}, trace r). Also the event sink the
// simulated Asterisk delivers its events through.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import type { EventSink } from './asterisk.js';
import { ariTimestamp, parseQuery } from './ari-format.js';
import { SERVER_HEADER, splitUrl } from './http-io.js';
import type { ServerState } from './server-state.js';

interface Conn {
  ws: WebSocket;
  socket: Duplex;
  apps: string[];
  subscribeAll: boolean;
}

const NOT_FOUND = JSON.stringify({ message: 'Resource not found' });

function rejectUpgrade(socket: Duplex, status: number, reason: string, body: string, type: string, extra = ''): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nServer: ${SERVER_HEADER}\r\nCache-Control: no-cache, no-store\r\n${extra}Content-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export class EventSockets {
  private readonly conns = new Set<Conn>();
  private readonly owners = new Map<string, Conn>();
  /**
   * Applications whose WebSocket is gone, still registered: res_stasis (22.10.1) deactivates an
   * application when its socket goes and removes it only in cleanup(), run at each unregistration
   * (any application's socket closing), for the inactive ones nothing is subscribed to any more.
   * So an application can stay listed, inactive and empty, until another socket closes (seen on
   * the lab's Asterisk 22.10.1).
   */
  private readonly inactive = new Set<string>();
  /** True while a channel or bridge is subscribed to the application (set by the server). */
  inUse: (app: string) => boolean = () => false;
  private readonly wss = new WebSocketServer({
    noServer: true, perMessageDeflate: false,
    // A media client asks for the `media` subprotocol (chan_websocket's), which Asterisk accepts.
    handleProtocols: (protocols) => (protocols.has('media') ? 'media' : false),
  });

  /** Delivers an event to the connection owning each app, and to subscribeAll connections once. */
  readonly sink: EventSink = {
    deliver: (apps, event) => {
      if (this.conns.size === 0) return;
      const head = JSON.stringify(event).slice(0, -1);
      const sent = new Set<Conn>();
      for (const app of apps) {
        const conn = this.owners.get(app);
        if (!conn || conn.ws.readyState !== WebSocket.OPEN) continue;
        sent.add(conn);
        conn.ws.send(`${head},"application":${JSON.stringify(app)}}`);
      }
      for (const conn of this.conns) {
        if (!conn.subscribeAll || sent.has(conn) || conn.ws.readyState !== WebSocket.OPEN) continue;
        const app = conn.apps.find((a) => this.owners.get(a) === conn);
        if (app) conn.ws.send(`${head},"application":${JSON.stringify(app)}}`);
      }
    },
    hasApp: (app) => this.owners.has(app),
    apps: () => [...new Set([...this.owners.keys(), ...this.inactive])],
  };

  constructor(
    private readonly state: ServerState,
    private readonly authorized: (req: IncomingMessage, query: Map<string, string>) => boolean,
    /** The externalMedia channels waiting for their media client (external-media.ts). */
    private readonly media: { has(id: string): boolean; connect(id: string, ws: WebSocket): boolean },
  ) {}

  get count(): number {
    return this.conns.size;
  }

  appNames(): string[] {
    return [...this.owners.keys()];
  }

  /** The server's `upgrade` handler. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.state.phase !== 'up') {
      socket.destroy();
      return;
    }
    const { path, rawQuery } = splitUrl(req.url);
    const query = parseQuery(rawQuery);
    const media = /^\/media\/([^/]+)$/.exec(path);
    if (media) {
      // A media WebSocket client for an externalMedia channel in server mode (trace r).
      const id = media[1] as string;
      if (!this.media.has(id)) {
        rejectUpgrade(socket, 404, 'Not Found', NOT_FOUND, 'application/json');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => ws.terminate());
        if (!this.media.connect(id, ws)) ws.close(1008);
      });
      return;
    }
    if (path !== '/ari/events') {
      rejectUpgrade(socket, 404, 'Not Found', NOT_FOUND, 'application/json');
      return;
    }
    if (!this.authorized(req, query)) {
      rejectUpgrade(socket, 401, 'Unauthorized', JSON.stringify({ message: 'Authentication required' }), 'application/json',
        'WWW-Authenticate: Basic realm="Asterisk REST Interface"\r\n');
      return;
    }
    const apps = (query.get('app') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (apps.length === 0) {
      const html = '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n<html><head>\r\n<title>400 Bad Request</title>\r\n</head><body>\r\n'
        + '<h1>Bad Request</h1>\r\n<p>HTTP request is missing param: [app]</p>\r\n<hr />\r\n<address>Asterisk/22.10.1</address>\r\n</body></html>\r\n';
      rejectUpgrade(socket, 400, 'Bad Request', html, 'text/html');
      return;
    }
    const subscribeAll = /^(yes|true|y|t|1|on)$/i.test(query.get('subscribeAll') ?? '');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open({ ws, socket, apps, subscribeAll }));
  }

  private open(conn: Conn): void {
    this.conns.add(conn);
    for (const app of conn.apps) {
      const previous = this.owners.get(app);
      if (previous && previous !== conn && previous.ws.readyState === WebSocket.OPEN) {
        previous.ws.send(JSON.stringify({ type: 'ApplicationReplaced', timestamp: ariTimestamp(), application: app, asterisk_id: '02:42:ac:11:00:02' }));
      }
      this.owners.set(app, conn);
      this.inactive.delete(app);
    }
    conn.ws.on('close', () => {
      this.conns.delete(conn);
      for (const app of conn.apps) {
        if (this.owners.get(app) !== conn) continue;
        this.owners.delete(app);
        this.inactive.add(app);
      }
      for (const app of [...this.inactive]) if (!this.inUse(app)) this.inactive.delete(app);
    });
    conn.ws.on('error', () => conn.ws.terminate());
    // Asterisk ignores anything a client sends on the events socket.
    conn.ws.on('message', () => undefined);
  }

  /** Ends every events socket's TCP stream (no close frame); returns those sockets. */
  endAll(): Set<unknown> {
    const sockets = new Set<unknown>();
    for (const conn of [...this.conns]) {
      sockets.add(conn.socket);
      conn.socket.end();
    }
    return sockets;
  }

  /** Destroys every events socket at once (the client sees 1006). */
  destroyAll(): void {
    for (const conn of [...this.conns]) conn.socket.destroy();
  }

  /** Forgets every connection and application (a restarted Asterisk knows none). */
  forgetAll(): void {
    this.conns.clear();
    this.owners.clear();
    this.inactive.clear();
  }

  /** Closes every events socket with 1000, waiting at most a second for each. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.conns].map((conn) => new Promise<void>((resolve) => {
      conn.ws.once('close', () => resolve());
      conn.ws.close(1000);
      this.state.later(1000, () => {
        conn.socket.destroy();
        resolve();
      });
    })));
  }

  terminateAll(): void {
    for (const conn of this.conns) conn.ws.terminate();
  }

  close(): void {
    this.wss.close();
  }
}
