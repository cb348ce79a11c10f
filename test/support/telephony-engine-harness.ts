// An engine over the fake port and a real SQLite file: for unit tests of call sessions, the
// live-call registry and the engine's fault handling without ARI.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import type { FlowDocument } from '../../src/domain/flow.js';
import type { Flow, Session, SessionEvent } from '../../src/domain/model.js';
import { createTelephonyEngine, type TelephonyEngine } from '../../src/telephony/engine.js';
import { FakePort, type FakePortOptions } from './telephony-fake-port.js';
import { createSession } from './session-writers.js';

export const ACCOUNT = 'acct';

export interface EngineHarness {
  port: FakePort;
  store: Store;
  engine: TelephonyEngine;
  place(document: FlowDocument, number?: string): Promise<{ session: Session; flow: Flow }>;
  waitFinal(id: string): Promise<Session>;
  waitState(id: string, state: string): Promise<Session>;
  events(id: string): Promise<SessionEvent[]>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function engineHarness(opts: {
  port?: FakePortOptions; env?: Record<string, string>; hangupConfirmMs?: number;
  originateRetry?: { attempts: number; initialMs: number; maxMs: number };
} = {}): Promise<EngineHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'telephony-unit-'));
  const store = await openSqliteStore(join(dir, 'engine.sqlite'));
  await store.ensureAccount(ACCOUNT, 'Account');
  const config = loadConfig({ JWT_SECRET: 'x'.repeat(40), ORIGINATE_TIMEOUT_SEC: '5', ...opts.env });
  const port = new FakePort(opts.port);
  const engine = createTelephonyEngine({
    port, store, config, logger: pino({ level: 'silent' }),
    router: { endpointFor: (n) => `PJSIP/${n}@trunk`, endpointForExtension: () => undefined },
    timing: { playbackStartTimeoutMs: 300, playbackMaxMs: 3000, recordingGraceMs: 300 },
    hangupConfirmMs: opts.hangupConfirmMs ?? 500,
    originateRetry: opts.originateRetry ?? { attempts: 3, initialMs: 5, maxMs: 20 },
  });
  await engine.start();

  const get = async (id: string): Promise<Session> => {
    const s = await store.getSession(undefined, id);
    if (!s) throw new Error(`no session ${id}`);
    return s;
  };
  const waitFor = async (id: string, ok: (s: Session) => boolean): Promise<Session> => {
    for (let i = 0; i < 400; i++) {
      const s = await get(id);
      if (ok(s)) return s;
      await sleep(10);
    }
    throw new Error(`session ${id} never matched; now ${JSON.stringify(await get(id))}`);
  };
  const FINAL = ['completed', 'busy', 'no-answer', 'failed', 'canceled'];

  return {
    port, store, engine,
    async place(document, number = '+18144043093') {
      const flow = await store.createFlow(ACCOUNT, document);
      const { session, originated } = await engine.placeCall({
        id: randomUUID(), accountId: ACCOUNT, flowId: flow.id, flowVersion: flow.version, numberToDial: number,
        callerId: '+15551230000', channelId: `ch-${randomUUID()}`, endpoint: `PJSIP/${number}@trunk`, dateCreated: new Date().toISOString(),
      }, flow, (s) => createSession(store, s));
      await originated;
      return { session, flow };
    },
    waitFinal: (id) => waitFor(id, (s) => FINAL.includes(s.state)),
    waitState: (id, state) => waitFor(id, (s) => s.state === state),
    events: (id) => store.listSessionEvents(id),
    async close() {
      await engine.stop({ drainMs: 0 });
      port.dispose();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
