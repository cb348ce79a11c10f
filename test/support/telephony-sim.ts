// The real ari-client adapter connected to the simulator over real sockets, for integration tests.
import pino from 'pino';
import { startSimulator, type CalleeScript, type RunningSimulator } from '../../src/sim/index.js';
import { createAriClientPort, type AriClientPort } from '../../src/telephony/ari/ari-client-adapter.js';
import type { ConnectionEvent, TelephonyEvent } from '../../src/telephony/port.js';
import { waitUntil } from './wait-until.js';

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
      return waitUntil(() => events.find(match), { message: () => `an event; got ${JSON.stringify(events.map((e) => e.type))}`, timeoutMs, intervalMs: 5 });
    },
    async waitConnection(type, afterIndex = 0, timeoutMs = 5000) {
      await waitUntil(() => connection.slice(afterIndex).some((e) => e.type === type), {
        message: () => `${type} after ${afterIndex}; got ${JSON.stringify(connection)}`, timeoutMs, intervalMs: 5,
      });
    },
    async close() {
      await port.close();
      await sim.close();
    },
  };
}
