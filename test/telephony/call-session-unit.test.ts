// Unit tests of call sessions and the engine over a scripted port and a real SQLite file: states
// from events (as the Asterisk 22 traces show them), the flow on StasisStart, hangups at any
// point, loop guards, originate retries, reconciliation and drain.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { engineHarness, type EngineHarness } from '../support/telephony-engine-harness.js';
import { FakePort } from '../support/telephony-fake-port.js';
import { createTelephonyEngine } from '../../src/telephony/engine.js';
import { loadConfig } from '../../src/config.js';
import type { TelephonyEvent } from '../../src/telephony/port.js';
import { waitUntil } from '../support/wait-until.js';
import { menuFlow } from '../support/flows.js';
import { createSession, updateSession } from '../support/session-writers.js';

const at = () => new Date().toISOString();

const MENU = menuFlow({ timeoutMs: 300 });

let open: EngineHarness[] = [];
afterEach(async () => {
  for (const h of open) await h.close();
  open = [];
});
async function harness(...args: Parameters<typeof engineHarness>): Promise<EngineHarness> {
  const h = await engineHarness(...args);
  open.push(h);
  return h;
}

/** What Asterisk sends for an answered originate (trace a-answered-play-dtmf-hangup). */
function answer(h: EngineHarness, channelId: string, sessionId: string): void {
  const events: TelephonyEvent[] = [
    { type: 'dial', channelId, dialstatus: '', at: at() },
    { type: 'state-change', channelId, state: 'Ringing', at: at() },
    { type: 'dial', channelId, dialstatus: 'RINGING', at: at() },
    { type: 'state-change', channelId, state: 'Up', at: at() },
    { type: 'dial', channelId, dialstatus: 'ANSWER', at: at() },
    { type: 'stasis-start', channelId, args: [sessionId], state: 'Up', at: at() },
  ];
  for (const e of events) h.port.emit(e);
}

const statesOf = (events: Array<{ type: string; data: Record<string, unknown> }>) => events.filter((e) => e.type === 'state').map((e) => e.data.state);
const stepsOf = (events: Array<{ type: string; data: Record<string, unknown> }>) => events.filter((e) => e.type === 'step.started').map((e) => e.data.stepId);

describe('call session', () => {
  test('an answered call runs the flow and ends completed with the digit in its variables', async () => {
    const h = await harness();
    h.port.onPlay = (p) => { if (p.media[0] === 'sound:press-1') h.port.later(5, () => h.port.dtmf(p.channelId, '1')); };
    const { session } = await h.place(MENU);
    answer(h, session.channelId, session.id);
    const done = await h.waitFinal(session.id);
    assert.equal(done.state, 'completed');
    assert.equal(done.variables.choice, '1');
    assert.ok(done.dateAnswered && done.dateEnded);
    const events = await h.events(session.id);
    assert.deepEqual(statesOf(events), ['dialing', 'ringing', 'in-progress', 'completed']);
    assert.deepEqual(stepsOf(events), ['hello', 'menu', 'yes', 'bye']);
    const [originate] = h.port.ops('originate') as [[{ channelId: string; appArgs: string[]; variables: Record<string, string>; timeoutSec: number }]];
    assert.equal(originate[0].channelId, session.channelId);
    assert.deepEqual(originate[0].appArgs, [session.id]);
    assert.equal(originate[0].variables.ENGINE_SESSION_ID, session.id);
    assert.equal(originate[0].timeoutSec, 5);
    assert.equal(h.engine.liveCount(), 0, 'the dispatcher entry is removed');
  });

  test('busy through a Local channel (cause 0, Dial BUSY) ends busy without running the flow', async () => {
    const h = await harness();
    const { session } = await h.place(MENU);
    const c = session.channelId;
    h.port.emit({ type: 'dial', channelId: c, dialstatus: '', at: at() });
    h.port.emit({ type: 'dial', channelId: c, dialstatus: 'BUSY', at: at() });
    h.port.emit({ type: 'channel-destroyed', channelId: c, cause: 0, causeTxt: 'Unknown', at: at() });
    const done = await h.waitFinal(session.id);
    assert.equal(done.state, 'busy');
    assert.match(done.endReason ?? '', /BUSY/);
    assert.deepEqual(stepsOf(await h.events(session.id)), []);
  });

  for (const [name, dial, cause, expected] of [
    ['no answer (PJSIP timeout: no Dial NOANSWER, cause 19)', 'RINGING', 19, 'no-answer'],
    ['rejected (Dial NOANSWER, cause 21)', 'NOANSWER', 21, 'no-answer'],
    ['congestion (Dial CONGESTION, cause 0)', 'CONGESTION', 0, 'failed'],
    ['PJSIP 486 (Dial BUSY, cause 17)', 'BUSY', 17, 'busy'],
    ['nonexistent Local extension (no Dial, cause 0)', '', 0, 'failed'],
  ] as const) {
    test(`${name} ends ${expected}`, async () => {
      const h = await harness();
      const { session } = await h.place(MENU);
      if (dial) h.port.emit({ type: 'dial', channelId: session.channelId, dialstatus: dial, at: at() });
      h.port.emit({ type: 'channel-destroyed', channelId: session.channelId, cause, causeTxt: 'x', at: at() });
      assert.equal((await h.waitFinal(session.id)).state, expected);
    });
  }

  test('the far end hanging up mid-playback ends the session completed, without our hangup', async () => {
    const h = await harness({ port: { mediaMs: () => 5000 } });
    const { session } = await h.place(MENU);
    h.port.onPlay = (p) => h.port.later(20, () => h.port.farEndHangup(p.channelId));
    answer(h, session.channelId, session.id);
    const done = await h.waitFinal(session.id);
    assert.equal(done.state, 'completed');
    const events = await h.events(session.id);
    assert.ok(events.some((e) => e.type === 'step.interrupted' && e.data.stepId === 'hello'));
    assert.deepEqual(h.port.ops('hangup'), [], 'no DELETE on a channel that is gone');
  });

  test('the far end hanging up mid-gather ends the session cleanly', async () => {
    const h = await harness();
    const { session } = await h.place({ name: 'g', steps: [{ id: 'g', type: 'gather', timeoutMs: 5000, variable: 'x' }] });
    answer(h, session.channelId, session.id);
    // The step is running once its start is in the timeline (recorded as execution begins).
    await waitUntil(async () => stepsOf(await h.events(session.id)).includes('g'), { message: 'the gather to start' });
    h.port.farEndHangup(session.channelId);
    const done = await h.waitFinal(session.id);
    assert.equal(done.state, 'completed');
    assert.ok((await h.events(session.id)).some((e) => e.type === 'step.interrupted' && e.data.stepId === 'g'));
  });

  test('a failed playback fails the session with the reason, and the call is hung up', async () => {
    const h = await harness({ port: { playbackOutcome: () => 'failed' } });
    const { session } = await h.place(MENU);
    answer(h, session.channelId, session.id);
    const done = await h.waitFinal(session.id);
    assert.equal(done.state, 'failed');
    assert.match(done.endReason ?? '', /step hello: playback failed/);
    assert.equal(h.port.ops('hangup').length, 1);
  });

  test('loop guard: a flow that loops stops after flowMaxSteps and fails', async () => {
    const h = await harness({ env: { FLOW_MAX_STEPS: '25' } });
    const { session } = await h.place({ name: 'loop', steps: [{ id: 'a', type: 'set', variable: 'v', value: 'x', next: 'a' }] });
    answer(h, session.channelId, session.id);
    const done = await h.waitFinal(session.id);
    assert.equal(done.state, 'failed');
    assert.match(done.endReason ?? '', /more than 25 steps/);
  });

  test('loop guard: a flow longer than flowMaxDurationMs is stopped and fails', async () => {
    const h = await harness({ env: { FLOW_MAX_DURATION_MS: '1000' } });
    const { session } = await h.place({ name: 'long', steps: [{ id: 'p', type: 'pause', ms: 60_000 }] });
    answer(h, session.channelId, session.id);
    const done = await h.waitFinal(session.id);
    assert.equal(done.state, 'failed');
    assert.match(done.endReason ?? '', /longer than 1000 ms/);
  });

  test('duplicated and out-of-order events do not confuse the state machine', async () => {
    const h = await harness();
    const { session } = await h.place({ name: 'p', steps: [{ id: 'p', type: 'pause', ms: 30 }] });
    const c = session.channelId;
    answer(h, c, session.id);
    answer(h, c, session.id);
    h.port.emit({ type: 'dial', channelId: c, dialstatus: 'RINGING', at: at() });
    h.port.emit({ type: 'state-change', channelId: c, state: 'Ringing', at: at() });
    const done = await h.waitFinal(session.id);
    assert.equal(done.state, 'completed');
    const events = await h.events(session.id);
    assert.deepEqual(statesOf(events), ['dialing', 'ringing', 'in-progress', 'completed']);
    assert.equal(events.filter((e) => e.type === 'flow.started').length, 1, 'the flow ran once');
  });

  test('events for unknown channels are ignored; a call into the app to a number nobody owns is hung up', async () => {
    const h = await harness();
    h.port.emit({ type: 'channel-destroyed', channelId: 'stale', cause: 16, causeTxt: '', at: at() });
    assert.equal(h.engine.stats().ignoredEvents, 1);
    h.port.emit({ type: 'stasis-start', channelId: 'not-ours', args: ['inbound', '+12025550100'], state: 'Ring', at: at() });
    // Held while the number is looked up, then dropped with the refused call.
    h.port.emit({ type: 'channel-destroyed', channelId: 'not-ours', cause: 16, causeTxt: '', at: at() });
    await waitUntil(() => h.port.ops('hangup').length > 0, { message: 'the hangup request', timeoutMs: 5000, intervalMs: 0 });
    assert.equal(h.engine.stats().refusedChannels, 1);
    assert.equal(h.engine.stats().inboundRefusals['unknown-number'], 1);
    assert.deepEqual(h.port.ops('hangup').map((args) => args[0]), ['not-ours']);
    assert.equal(h.engine.liveCount(), 0);
  });

  test('an Asterisk shutdown during the call (soft hangup cause 4) ends it failed', async () => {
    const h = await harness();
    const { session } = await h.place({ name: 'p', steps: [{ id: 'p', type: 'pause', ms: 60_000 }] });
    const c = session.channelId;
    answer(h, c, session.id);
    await h.waitState(session.id, 'in-progress');
    h.port.emit({ type: 'hangup-request', channelId: c, cause: 4, soft: true, at: at() });
    h.port.emit({ type: 'stasis-end', channelId: c, at: at() });
    h.port.emit({ type: 'channel-destroyed', channelId: c, cause: 0, causeTxt: 'Unknown', at: at() });
    const done = await h.waitFinal(session.id);
    assert.equal(done.state, 'failed');
    assert.match(done.endReason ?? '', /shut down or restarted/);
  });
});

describe('engine faults', () => {
  test('originate 500 (Allocation failed) ends the session failed with the reason, no retry', async () => {
    const h = await harness();
    h.port.originateResults.push({ ok: false, kind: 'failed', message: 'Allocation failed' });
    const { session } = await h.place(MENU);
    const done = await h.waitFinal(session.id);
    assert.equal(done.state, 'failed');
    assert.match(done.endReason ?? '', /Allocation failed/);
    assert.equal(h.port.ops('originate').length, 1);
  });

  test('originate unavailable is retried with the same channel id; 409 means it exists and the call goes on', async () => {
    const h = await harness();
    h.port.originateResults.push({ ok: false, kind: 'unavailable', message: 'ARI unreachable (ETIMEDOUT)' });
    h.port.originateResults.push({ ok: false, kind: 'conflict', message: 'Channel with given unique ID already exists' });
    const { session } = await h.place({ name: 'p', steps: [{ id: 'p', type: 'pause', ms: 10 }] });
    const ids = (h.port.ops('originate') as Array<[{ channelId: string }]>).map(([r]) => r.channelId);
    assert.deepEqual(ids, [session.channelId, session.channelId]);
    h.port.channels.add(session.channelId);
    answer(h, session.channelId, session.id);
    assert.equal((await h.waitFinal(session.id)).state, 'completed');
  });

  test('originate unavailable on every attempt ends failed', async () => {
    const h = await harness();
    for (let i = 0; i < 3; i++) h.port.originateResults.push({ ok: false, kind: 'unavailable', message: 'ARI unreachable (ECONNREFUSED)' });
    const { session } = await h.place(MENU);
    const done = await h.waitFinal(session.id);
    assert.equal(done.state, 'failed');
    assert.match(done.endReason ?? '', /unavailable/);
    assert.equal(h.port.ops('originate').length, 3);
  });

  test('after a reconnect, a session whose channel vanished ends failed with a reason in its timeline', async () => {
    const h = await harness();
    const { session } = await h.place({ name: 'p', steps: [{ id: 'p', type: 'pause', ms: 60_000 }] });
    answer(h, session.channelId, session.id);
    await h.waitState(session.id, 'in-progress');
    h.port.connectionEvent({ type: 'disconnected', reason: 'test' });
    h.port.channels.delete(session.channelId);
    h.port.connectionEvent({ type: 'connected' });
    const done = await h.waitFinal(session.id);
    assert.equal(done.state, 'failed');
    assert.match(done.endReason ?? '', /vanished/);
    assert.ok((await h.events(session.id)).some((e) => e.type === 'reconciled'));
    assert.equal(h.engine.liveCount(), 0);
  });

  test('after a reconnect, a playback that ended unseen is settled and the flow goes on', async () => {
    const h = await harness({ port: { playbackOutcome: () => 'silent' } });
    const { session } = await h.place({ name: 'p', steps: [{ id: 'p', type: 'playback', media: ['sound:x'] }, { id: 'q', type: 'pause', ms: 5 }] });
    answer(h, session.channelId, session.id);
    // A silent playback sends no event at all: the play request is what there is to wait for.
    await waitUntil(() => h.port.ops('play').length === 1, { message: 'the play request' });
    // Past the microtasks of the play() answer: the engine is waiting for the playback to end.
    await new Promise((r) => setImmediate(r));
    h.port.connectionEvent({ type: 'connected' });
    const done = await h.waitFinal(session.id);
    assert.equal(done.state, 'completed');
    assert.deepEqual(stepsOf(await h.events(session.id)), ['p', 'q']);
  });

  test('sessions left live by a killed process are reconciled at start', async () => {
    const h = await harness();
    const flow = await h.store.createFlow('acct', MENU);
    const stale = await createSession(h.store, {
      id: 'stale-1', accountId: 'acct', flowId: flow.id, flowVersion: 1, numberToDial: '+18144043093',
      callerId: '+15551230000', channelId: 'stale-channel', endpoint: 'PJSIP/x',
    });
    // Created before the second engine below starts: a process that was killed left it live.
    await updateSession(h.store, stale.id, { state: 'in-progress' });
    const port = new FakePort();
    // The engine tells stale sessions from its own by creation time (ms): let the clock move on.
    await waitUntil(() => Date.now() > Date.parse(stale.dateCreated), { message: 'the clock to pass the stale session\'s creation' });
    const engine = createTelephonyEngine({ port, store: h.store, config: loadConfig({ JWT_SECRET: 'x'.repeat(40) }), logger: pino({ level: 'silent' }), router: { endpointFor: (n) => n, endpointForExtension: () => undefined } });
    await engine.start();
    await engine.stop({ drainMs: 0 });
    const done = await h.waitFinal(stale.id);
    assert.equal(done.state, 'failed');
    assert.match(done.endReason ?? '', /engine lost during the call/);
  });

  test('stop drains: a call that ends within drainMs completes normally', async () => {
    const h = await harness();
    const { session } = await h.place({ name: 'p', steps: [{ id: 'p', type: 'pause', ms: 50 }] });
    answer(h, session.channelId, session.id);
    await h.waitState(session.id, 'in-progress');
    await h.engine.stop({ drainMs: 2000 });
    const done = await h.waitFinal(session.id);
    assert.equal(done.state, 'completed');
    assert.doesNotMatch(done.endReason ?? '', /engine stopping/);
  });

  test('stop after drainMs hangs up the rest: answered → completed with the reason, ringing → canceled', async () => {
    const h = await harness();
    const answered = await h.place({ name: 'p', steps: [{ id: 'p', type: 'pause', ms: 60_000 }] });
    answer(h, answered.session.channelId, answered.session.id);
    const ringing = await h.place(MENU);
    h.port.emit({ type: 'dial', channelId: ringing.session.channelId, dialstatus: 'RINGING', at: at() });
    await h.waitState(answered.session.id, 'in-progress');
    await h.waitState(ringing.session.id, 'ringing');
    await h.engine.stop({ drainMs: 20 });
    const a = await h.waitFinal(answered.session.id);
    const r = await h.waitFinal(ringing.session.id);
    assert.equal(a.state, 'completed');
    assert.match(a.endReason ?? '', /engine stopping/);
    assert.equal(r.state, 'canceled');
    assert.equal(h.engine.liveCount(), 0);
    assert.equal(h.engine.isReady(), false);
  });

  test('no dispatcher entry or media registration is left behind after many calls', async () => {
    const h = await harness({ port: { mediaMs: () => 1 } });
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const { session } = await h.place({ name: 'p', steps: [{ id: 'p', type: 'playback', media: ['sound:x'] }] });
      answer(h, session.channelId, session.id);
      ids.push(session.id);
    }
    for (const id of ids) assert.equal((await h.waitFinal(id)).state, 'completed');
    await waitUntil(() => h.engine.liveCount() === 0, { message: 'the dispatcher to empty' });
    assert.equal(h.engine.liveCount(), 0);
  });
});
