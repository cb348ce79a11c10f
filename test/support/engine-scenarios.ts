// The engine's end-to-end scenarios against an Asterisk given by its ARI URL: a real Asterisk
// 22.10.1 loaded with asterisk-config/ (`npm run test:asterisk`) or the simulator standing in
// for it (test/e2e/scenarios-sim.test.ts, `npm run sim`). The engine runs in this process, as
// `npm start` wires it, with the routing of config/routes.test-callees.json: test numbers dial
// the scripted callees of asterisk-config/extensions.conf [test-callees] (Local channels) and the
// compose lab's auto-answering phone, whose simulator counterparts are
// config/test-callees.sim.json (scenario-lab.ts). Time is real: the callees' timings are the
// dialplan's, with seconds of margin on both sides. Calls with two legs: scenarios-dial.ts;
// calls that come in through the dialplan: scenarios-inbound.ts.
import { freshDatabase } from './postgres.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startStack } from '../../src/stack.js';
import { seedDemo, DEMO_CALLER_ID } from '../../src/demo.js';
import type { FlowDocument } from '../../src/domain/flow.js';
import { engineClient, TEST_JWT_SECRET } from './e2e-stack.js';
import { waitUntil } from './wait-until.js';
import { failedWithReason, timelineOf, waitForStatus } from './faults-engine.js';
import { CALLEES, ROUTES_FILE, isFinal, stepsOf, type RunningEngine, type ScenarioContext, type ScenarioTarget } from './scenario-lab.js';
import { defineDialScenarios } from './scenarios-dial.js';
import { defineInboundScenarios } from './scenarios-inbound.js';
import { defineFeatureScenarios } from './scenarios-features.js';
import { definePhoneScenarios } from './scenarios-phones.js';
import { startReceiver, type Receiver, type Received } from './webhook-receiver.js';

const ORIGINATE_TIMEOUT_SEC = 4;

const FLOWS = {
  menu: {
    name: 'Scenario menu',
    steps: [
      { id: 'hello', type: 'playback', media: ['sound:hello-world'] },
      {
        // The dtmf1 callee presses 1 four seconds after answering. On a real 22.10.1 the gather
        // starts 1.4 s in (hello-world) and its prompt lasts 0.9 s, so the key lands in the wait
        // that follows; the long timeout keeps it there even when a loaded engine starts late.
        id: 'menu', type: 'gather', prompt: ['sound:vm-goodbye'], maxDigits: 1, timeoutMs: 15000,
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
} satisfies Record<string, FlowDocument>;

async function startEngine(target: ScenarioTarget): Promise<RunningEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'engine-scenarios-'));
  // SCENARIO_POSTGRES=1: the engine runs on a fresh PostgreSQL database (PG_TEST_URL's server), the
  // same scenarios checking the PostgreSQL store against a real Asterisk.
  const database = process.env.SCENARIO_POSTGRES === '1' ? await freshDatabase('scenarios') : undefined;
  const config = loadConfig({
    JWT_SECRET: TEST_JWT_SECRET,
    DATABASE_PATH: join(dir, 'engine.sqlite'),
    ...(database ? { DATABASE_URL: database.url } : {}),
    PORT: '0',
    HOST: '127.0.0.1',
    ARI_URL: target.ari.url,
    ARI_USERNAME: target.ari.username,
    ARI_PASSWORD: target.ari.password,
    ARI_APP: target.ari.app,
    ROUTES_FILE,
    ORIGINATE_TIMEOUT_SEC: String(ORIGINATE_TIMEOUT_SEC),
    DRAIN_TIMEOUT_MS: '0',
    // The scenarios' webhook receiver and media server listen on 127.0.0.1.
    ALLOW_PRIVATE_DESTINATIONS: 'true',
    // The scenarios place a few dozen calls, many at once.
    MAX_CALLS_PER_SECOND_PER_ACCOUNT: '100',
    MAX_LIVE_CALLS_PER_ACCOUNT: '100',
    WEBHOOK_RETRY_BASE_MS: '200',
  });
  const stack = await startStack(config, createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'));
  await stack.ariConnected;
  // A real Asterisk gets no demo seeding from startStack (that is for the built-in simulator).
  await seedDemo(stack.store);
  const base = `http://127.0.0.1:${stack.httpPort}`;
  return { stack, client: engineClient(base), base, dir, database };
}

/** Registers the scenario tests (node:test) against `target`. */
export function defineEngineScenarios(target: ScenarioTarget): void {
  let engine: RunningEngine;
  const flows: Partial<Record<keyof typeof FLOWS, string>> = {};

  let webhooks: Receiver | undefined;
  /** Every session the scenarios placed: each must get exactly one session.ended webhook. */
  const placed = new Set<string>();
  const ctx: ScenarioContext = {
    target,
    engine: () => engine,
    flow: async (document) => (await engine.stack.store.createFlow('demo', document)).id,
    call: async (flowId, numberToDial) => {
      const res = await engine.client.request('POST', '/sessions/outgoing', { body: { flowId, numberToDial, callerId: DEMO_CALLER_ID } });
      assert.equal(res.status, 200, res.text);
      placed.add(res.body.id);
      return res.body.id as string;
    },
    finalSession: (id) => engine.client.waitForSession(id, isFinal, 30000),
    hangupChannel: async (channelId) => {
      const { url, username, password } = target.ari;
      const res = await fetch(new URL(`/ari/channels/${encodeURIComponent(channelId)}`, url), {
        method: 'DELETE', headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
      });
      await res.arrayBuffer();
      assert.ok(res.status === 204 || res.status === 404, `hanging up ${channelId}: ${res.status}`);
    },
  };
  const call = (flow: keyof typeof FLOWS, numberToDial: string) => ctx.call(flows[flow] as string, numberToDial);
  /** After a restart: POST answers 503 (with Retry-After) until ARI is back, then places the call. */
  const callWhenReady = async (flow: keyof typeof FLOWS, numberToDial: string, withinMs: number): Promise<string> => {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const res = await engine.client.request('POST', '/sessions/outgoing', {
        body: { flowId: flows[flow], numberToDial, callerId: DEMO_CALLER_ID },
      });
      if (res.status !== 503 || Date.now() > deadline) {
        assert.equal(res.status, 200, res.text);
        return res.body.id as string;
      }
      await waitForStatus(engine.base, '/ready', 200, Math.max(1, deadline - Date.now()));
    }
  };

  const answeredMenuCall = async (place: () => Promise<string> = () => call('menu', CALLEES.dtmf1)) => {
    const session = await ctx.finalSession(await place());
    assert.equal(session.state, 'completed', JSON.stringify(timelineOf(session).slice(-5)));
    assert.equal(session.variables.choice, '1', 'the digit the callee pressed is in the variables');
    assert.deepEqual(stepsOf(session), ['hello', 'menu', 'yes', 'bye']);
    const states = timelineOf(session).filter((e) => e.type === 'state').map((e) => e.data.state);
    assert.deepEqual(states.filter((s: string) => s !== 'queued' && s !== 'ringing'), ['dialing', 'in-progress', 'completed']);
  };

  describe(`engine scenarios against ${target.name}`, () => {
    before(async () => {
      engine = await startEngine(target);
      for (const [name, document] of Object.entries(FLOWS)) flows[name as keyof typeof FLOWS] = await ctx.flow(document);
      webhooks = await startReceiver();
      const hook = await engine.client.request('POST', '/webhooks', { body: { url: `${webhooks.url}/hooks`, events: ['session.ended'] } });
      assert.equal(hook.status, 201, hook.text);
    });
    after(async () => {
      await webhooks?.close();
      await engine?.stack.stop(0);
      if (engine) rmSync(engine.dir, { recursive: true, force: true });
      await engine?.database?.drop();
    });

    describe('calls', { concurrency: true }, () => {
      test('answered: playback → gather → branch → hangup, the pressed digit in the variables', () => answeredMenuCall());

      test('busy: the session ends busy and no step runs', async () => {
        const session = await ctx.finalSession(await call('menu', CALLEES.busy));
        assert.equal(session.state, 'busy', JSON.stringify(timelineOf(session).slice(-5)));
        assert.deepEqual(stepsOf(session), []);
      });

      test('no answer: rings until the originate timeout, then no-answer', async () => {
        const started = Date.now();
        const session = await ctx.finalSession(await call('menu', CALLEES.noAnswer));
        assert.equal(session.state, 'no-answer', JSON.stringify(timelineOf(session).slice(-5)));
        assert.deepEqual(stepsOf(session), []);
        assert.ok(Date.now() - started >= ORIGINATE_TIMEOUT_SEC * 1000 - 500, 'it rang for the originate timeout');
      });

      test('far-end hangup mid-playback: the session ends with its reason, later steps never run', async () => {
        const session = await ctx.finalSession(await call('long', CALLEES.hangup));
        assert.equal(session.state, 'completed', JSON.stringify(timelineOf(session).slice(-5)));
        assert.ok(session.endReason, 'the end reason is recorded');
        assert.deepEqual(stepsOf(session), ['congrats']);
      });

      test('unregistered endpoint: the originate is refused and the session ends failed with the reason', async () => {
        const session = await ctx.finalSession(await call('menu', CALLEES.unregistered));
        assert.ok(failedWithReason(session), `ended ${session.state} / ${session.endReason}`);
        assert.deepEqual(stepsOf(session), []);
      });

      defineDialScenarios(ctx);
      defineInboundScenarios(ctx);
      defineFeatureScenarios(ctx);
    });

    definePhoneScenarios(ctx);

    describe('Asterisk restart', () => {
      test('restarted mid-call: the session ends failed with a reason, the engine reconnects and calls again', async (t) => {
        if (!target.restart) {
          t.skip(target.restartSkipReason ?? 'no way to restart this Asterisk');
          return;
        }
        const id = await call('hold', CALLEES.answer);
        await engine.client.waitForSession(id, (s) => s.state === 'in-progress', 30000);
        const reconciled = engine.stack.engine.stats().reconciliations;
        await target.restart();
        const session = await ctx.finalSession(id);
        assert.ok(failedWithReason(session), `ended ${session.state} / ${session.endReason}`);
        const backMs = target.restartBackMs ?? 60000;
        // A real Asterisk hangs its channels up before it closes ARI: /ready may still answer 200
        // then. The engine is back once it has reconnected (and reconciled its sessions).
        await waitUntil(() => engine.stack.engine.stats().reconciliations > reconciled, { timeoutMs: backMs, intervalMs: 50, message: 'the engine reconnected to the restarted Asterisk' });
        await waitForStatus(engine.base, '/ready', 200, backMs);
        await answeredMenuCall(() => callWhenReady('menu', CALLEES.dtmf1, backMs));
      });
    });

    describe('webhooks', () => {
      test('every call the scenarios placed got exactly one session.ended, with its final state', async () => {
        assert.ok(placed.size >= 20, `${placed.size} calls placed`);
        const endedOf = (all: Received[], id: string): any[] => {
          // A retried delivery repeats its event id: an event is counted once.
          const events = new Map<string, any>();
          for (const r of all) if (r.json?.type === 'session.ended' && r.json.sessionId === id) events.set(r.json.id, r.json);
          return [...events.values()];
        };
        const all = await (webhooks as Receiver).waitFor((got) => [...placed].every((id) => endedOf(got, id).length > 0), 60_000);
        for (const id of placed) {
          const ended = endedOf(all, id);
          assert.equal(ended.length, 1, `session ${id}: ${ended.length} session.ended events`);
          const session = await engine.client.request('GET', `/sessions/${id}`);
          assert.equal(ended[0].data.state, session.body.state, `session ${id}: the webhook carries the final state`);
        }
      });
    });
  });
}
