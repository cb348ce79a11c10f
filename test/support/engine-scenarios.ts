// The engine's end-to-end scenarios against an Asterisk given by its ARI URL: a real Asterisk
// 22.10.1 loaded with asterisk-config/ (`npm run test:asterisk`) or the simulator standing in
// for it (test/e2e/scenarios-sim.test.ts, `npm run sim`). The engine runs in this process, as
// `npm start` wires it, with the routing of config/routes.test-callees.json: test numbers dial
// the scripted callees of asterisk-config/extensions.conf [test-callees] (Local channels), whose
// simulator counterparts are config/test-callees.sim.json. Time is real: the callees' timings are
// the dialplan's, with seconds of margin on both sides.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startStack, type RunningStack } from '../../src/stack.js';
import { seedDemo, DEMO_CALLER_ID } from '../../src/demo.js';
import type { FlowDocument } from '../../src/domain/flow.js';
import type { CalleeScript } from '../../src/sim/index.js';
import { engineClient, TEST_JWT_SECRET, type EngineClient } from './e2e-stack.js';
import { FINAL_STATES, failedWithReason, timelineOf, waitForStatus } from './faults-engine.js';

export const ROUTES_FILE = fileURLToPath(new URL('../../config/routes.test-callees.json', import.meta.url));
const SIM_CALLEES_FILE = fileURLToPath(new URL('../../config/test-callees.sim.json', import.meta.url));

/** The simulator's stand-ins for the dialplan's test callees, keyed by the Local endpoints dialed. */
export function simulatorCallees(): Record<string, CalleeScript> {
  return JSON.parse(readFileSync(SIM_CALLEES_FILE, 'utf8')) as Record<string, CalleeScript>;
}

/** Test numbers of config/routes.test-callees.json. */
export const CALLEES = {
  answer: '+12025550150',
  dtmf1: '+12025550151',
  busy: '+12025550152',
  noAnswer: '+12025550153',
  hangup: '+12025550154',
  unregistered: '+12025550155',
} as const;

export interface ScenarioTarget {
  /** What the report calls it ("the simulator", "Asterisk at http://…"). */
  name: string;
  ari: { url: string; username: string; password: string; app: string };
  /**
   * Restarts Asterisk (all channels gone, ARI WebSockets closed) and resolves once the restart
   * has been requested. ARI itself cannot restart Asterisk: against a real one this runs an
   * operator-supplied command; undefined skips the restart scenario with `restartSkipReason`.
   */
  restart?: () => Promise<void>;
  restartSkipReason?: string;
  /** How long Asterisk may take to come back after a restart. */
  restartBackMs?: number;
}

const ORIGINATE_TIMEOUT_SEC = 4;

const FLOWS: Record<string, FlowDocument> = {
  menu: {
    name: 'Scenario menu',
    steps: [
      { id: 'hello', type: 'playback', media: ['sound:hello-world'] },
      {
        // The dtmf1 callee presses 1 four seconds after answering: after hello-world (1.4 s),
        // during the prompt or the wait that follows it.
        id: 'menu', type: 'gather', prompt: ['sound:vm-goodbye'], maxDigits: 1, timeoutMs: 8000,
        attempts: 1, variable: 'choice', branches: { '1': 'yes', '2': 'no' }, noInput: 'bye', noMatch: 'bye',
      },
      { id: 'yes', type: 'playback', media: ['sound:auth-thankyou'], next: 'bye' },
      { id: 'no', type: 'say', digits: '{{choice}}', next: 'bye' },
      { id: 'bye', type: 'hangup' },
    ],
  },
  // demo-congrats lasts about 10 s: the hangup callee leaves 1.5 s into it.
  long: {
    name: 'Scenario long playback',
    steps: [
      { id: 'congrats', type: 'playback', media: ['sound:demo-congrats'] },
      { id: 'after', type: 'playback', media: ['sound:auth-thankyou'] },
      { id: 'bye', type: 'hangup' },
    ],
  },
  hold: { name: 'Scenario hold', steps: [{ id: 'wait', type: 'pause', ms: 120000 }, { id: 'bye', type: 'hangup' }] },
};

const isFinal = (s: { state: string }) => FINAL_STATES.has(s.state);
const stepsOf = (s: unknown) => timelineOf(s).filter((e) => e.type === 'step.started').map((e) => e.data.stepId as string);

interface Running { stack: RunningStack; client: EngineClient; base: string; flows: Record<string, string>; dir: string }

async function startEngine(target: ScenarioTarget): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'engine-scenarios-'));
  const config = loadConfig({
    JWT_SECRET: TEST_JWT_SECRET,
    DATABASE_PATH: join(dir, 'engine.sqlite'),
    PORT: '0',
    HOST: '127.0.0.1',
    ARI_URL: target.ari.url,
    ARI_USERNAME: target.ari.username,
    ARI_PASSWORD: target.ari.password,
    ARI_APP: target.ari.app,
    ROUTES_FILE,
    ORIGINATE_TIMEOUT_SEC: String(ORIGINATE_TIMEOUT_SEC),
    DRAIN_TIMEOUT_MS: '0',
  });
  const stack = await startStack(config, createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'));
  await stack.ariConnected;
  // A real Asterisk gets no demo seeding from startStack (that is for the built-in simulator).
  await seedDemo(stack.store);
  const flows: Record<string, string> = {};
  for (const [name, document] of Object.entries(FLOWS)) flows[name] = (await stack.store.createFlow('demo', document)).id;
  const base = `http://127.0.0.1:${stack.httpPort}`;
  return { stack, client: engineClient(base), base, flows, dir };
}

/** Registers the scenario tests (node:test) against `target`. */
export function defineEngineScenarios(target: ScenarioTarget): void {
  let engine: Running;

  const call = async (flow: string, numberToDial: string): Promise<string> => {
    const res = await engine.client.request('POST', '/sessions/outgoing', {
      body: { flowId: engine.flows[flow], numberToDial, callerId: DEMO_CALLER_ID },
    });
    assert.equal(res.status, 200, res.text);
    return res.body.id as string;
  };
  const finalSession = (id: string) => engine.client.waitForSession(id, isFinal, 30000);
  /** After a restart: POST answers 503 (with Retry-After) until ARI is back, then places the call. */
  const callWhenReady = async (flow: string, numberToDial: string, withinMs: number): Promise<string> => {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const res = await engine.client.request('POST', '/sessions/outgoing', {
        body: { flowId: engine.flows[flow], numberToDial, callerId: DEMO_CALLER_ID },
      });
      if (res.status !== 503 || Date.now() > deadline) {
        assert.equal(res.status, 200, res.text);
        return res.body.id as string;
      }
      await waitForStatus(engine.base, '/ready', 200, Math.max(1, deadline - Date.now()));
    }
  };

  const answeredMenuCall = async (place: () => Promise<string> = () => call('menu', CALLEES.dtmf1)) => {
    const session = await finalSession(await place());
    assert.equal(session.state, 'completed', JSON.stringify(timelineOf(session).slice(-5)));
    assert.equal(session.variables.choice, '1', 'the digit the callee pressed is in the variables');
    assert.deepEqual(stepsOf(session), ['hello', 'menu', 'yes', 'bye']);
    const states = timelineOf(session).filter((e) => e.type === 'state').map((e) => e.data.state);
    assert.deepEqual(states.filter((s: string) => s !== 'queued' && s !== 'ringing'), ['dialing', 'in-progress', 'completed']);
  };

  describe(`engine scenarios against ${target.name}`, () => {
    before(async () => { engine = await startEngine(target); });
    after(async () => {
      await engine?.stack.stop(0);
      if (engine) rmSync(engine.dir, { recursive: true, force: true });
    });

    describe('calls', { concurrency: true }, () => {
      test('answered: playback → gather → branch → hangup, the pressed digit in the variables', () => answeredMenuCall());

      test('busy: the session ends busy and no step runs', async () => {
        const session = await finalSession(await call('menu', CALLEES.busy));
        assert.equal(session.state, 'busy', JSON.stringify(timelineOf(session).slice(-5)));
        assert.deepEqual(stepsOf(session), []);
      });

      test('no answer: rings until the originate timeout, then no-answer', async () => {
        const started = Date.now();
        const session = await finalSession(await call('menu', CALLEES.noAnswer));
        assert.equal(session.state, 'no-answer', JSON.stringify(timelineOf(session).slice(-5)));
        assert.deepEqual(stepsOf(session), []);
        assert.ok(Date.now() - started >= ORIGINATE_TIMEOUT_SEC * 1000 - 500, 'it rang for the originate timeout');
      });

      test('far-end hangup mid-playback: the session ends with its reason, later steps never run', async () => {
        const session = await finalSession(await call('long', CALLEES.hangup));
        assert.equal(session.state, 'completed', JSON.stringify(timelineOf(session).slice(-5)));
        assert.ok(session.endReason, 'the end reason is recorded');
        assert.deepEqual(stepsOf(session), ['congrats']);
      });

      test('unregistered endpoint: the originate is refused and the session ends failed with the reason', async () => {
        const session = await finalSession(await call('menu', CALLEES.unregistered));
        assert.ok(failedWithReason(session), `ended ${session.state} / ${session.endReason}`);
        assert.deepEqual(stepsOf(session), []);
      });
    });

    describe('Asterisk restart', () => {
      test('restarted mid-call: the session ends failed with a reason, the engine reconnects and calls again', async (t) => {
        if (!target.restart) {
          t.skip(target.restartSkipReason ?? 'no way to restart this Asterisk');
          return;
        }
        const id = await call('hold', CALLEES.answer);
        await engine.client.waitForSession(id, (s) => s.state === 'in-progress', 30000);
        await target.restart();
        const session = await finalSession(id);
        assert.ok(failedWithReason(session), `ended ${session.state} / ${session.endReason}`);
        const backMs = target.restartBackMs ?? 60000;
        await waitForStatus(engine.base, '/ready', 200, backMs);
        await answeredMenuCall(() => callWhenReady('menu', CALLEES.dtmf1, backMs));
      });
    });
  });
}
