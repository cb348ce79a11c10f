// The real ari-client adapter connected to the simulator over real sockets, for integration tests.
import pino from 'pino';
import { startSimulator, type CalleeScript, type RunningSimulator } from '../../src/sim/index.js';
import { createAriClientPort, type AriClientPort } from '../../src/telephony/ari/ari-client-adapter.js';
import type { ConnectionEvent, TelephonyEvent } from '../../src/telephony/port.js';

export interface AdapterBed {
  sim: RunningSimulator;
  port: AriClientPort;
  events: TelephonyEvent[];
  connection: ConnectionEvent[];
  /** Lines the adapter logged (JSON), to check that no secret and no swagger noise got in. */
  logLines: string[];
  waitEvent(match: (e: TelephonyEvent) => boolean, timeoutMs?: number): Promise<TelephonyEvent>;
  waitConnection(type: ConnectionEvent['type'], afterIndex?: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function adapterBed(scripts: Record<string, CalleeScript> = {}, opts: { timeScale?: number; requestTimeoutMs?: number } = {}): Promise<AdapterBed> {
  const sim = await startSimulator({ timeScale: opts.timeScale ?? 0.05, scripts, username: 'engine', password: 'sim-secret-password' });
  const logLines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => { logLines.push(line); } });
  const port = createAriClientPort({
    url: sim.url, username: sim.username, password: sim.password, app: 'engine-test', logger,
    requestTimeoutMs: opts.requestTimeoutMs ?? 2000, connectTimeoutMs: 2000, reconnect: { initialMs: 50, maxMs: 400 },
  });
  const events: TelephonyEvent[] = [];
  const connection: ConnectionEvent[] = [];
  port.onEvent((e) => events.push(e));
  port.onConnection((e) => connection.push(e));
  await port.start();
  return {
    sim, port, events, connection, logLines,
    async waitEvent(match, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = events.find(match);
        if (found) return found;
        await sleep(5);
      }
      throw new Error(`event not seen; got ${JSON.stringify(events.map((e) => e.type))}`);
    },
    async waitConnection(type, afterIndex = 0, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (connection.slice(afterIndex).some((e) => e.type === type)) return;
        await sleep(5);
      }
      throw new Error(`no ${type} after ${afterIndex}; got ${JSON.stringify(connection)}`);
    },
    async close() {
      await port.close();
      await sim.close();
    },
  };
}
