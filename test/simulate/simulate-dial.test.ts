// Flow simulation with a second party: the dial step's own code against the script's dialed
// parties on the virtual clock — the branch each outcome takes, the legs and the bridge in the
// timeline with the call core's event types, timeoutMs and timeLimitMs in virtual time — and a
// transfer that ends the run completed. Plus the script's strict validation.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { simulateFlow, type Scenario } from '../../src/simulate/simulate-flow.js';
import { readSimulationScript } from '../../src/simulate/script.js';
import type { FlowDocument } from '../../src/domain/flow.js';
import type { CalleeScript } from '../../src/sim/index.js';

const logger = pino({ level: 'silent' });
const limits = { flowMaxSteps: 500, flowMaxDurationMs: 3_600_000 };
const AGENT = '+13125550001';
const OTHER = '+13125550002';

const DIAL_FLOW: FlowDocument = {
  name: 'Connect an agent',
  steps: [
    { id: 'hello', type: 'playback', media: ['sound:hello-world'] },
    {
      id: 'connect', type: 'dial', to: AGENT, timeoutMs: 8000, variable: 'dialed', announce: ['sound:beep'],
      onAnswered: 'after', onBusy: 'busy', onNoAnswer: 'noanswer', onFailed: 'failed',
    },
    { id: 'after', type: 'playback', media: ['sound:goodbye'], next: 'bye' },
    { id: 'busy', type: 'playback', media: ['sound:busy'], next: 'bye' },
    { id: 'noanswer', type: 'playback', media: ['sound:no-answer'], next: 'bye' },
    { id: 'failed', type: 'playback', media: ['sound:failed'], next: 'bye' },
    { id: 'bye', type: 'hangup' },
  ],
};

const run = (script: Scenario['script'], document: FlowDocument = DIAL_FLOW) => simulateFlow(document, { script }, limits, logger);
const agent = (party: CalleeScript): Scenario['script'] => ({ dialed: { [AGENT]: party } });
const types = (r: { timeline: Array<{ type: string }> }): string[] => r.timeline.map((e) => e.type);
const rows = (r: { timeline: Array<{ type: string; atMs: number; data: Record<string, unknown> }> }, type: string) => r.timeline.filter((e) => e.type === type);

describe('simulated dial', () => {
  test('the agent answers after 2 s and hangs up 3 s later: bridged, announced, and the flow goes on with the caller', async () => {
    const r = await run(agent({ answerAfterMs: 2000, hangupAfterMs: 3000 }));
    assert.equal(r.state, 'completed');
    assert.deepEqual(r.path, ['hello', 'connect', 'after', 'bye']);
    assert.deepEqual(r.variables, { dialed: 'answered' });
    const leg = rows(r, 'leg.created')[0]!;
    assert.equal(leg.data.role, 'dialed');
    assert.equal(leg.data.number, AGENT);
    const legId = leg.data.leg as string;
    const bridgeId = rows(r, 'bridge.created')[0]!.data.bridgeId as string;
    // The call core's sequence: bridge, caller in, ringback, leg made, it rings, answers, joins,
    // the announcement, it hangs up and leaves, the bridge is destroyed, the dial ends.
    const dialRows = types(r).filter((t) => /^(bridge\.|leg\.|ari\.bridge|ari\.dial|ari\.channel-destroyed|dial\.)/.test(t));
    assert.deepEqual(dialRows, [
      'bridge.created', 'ari.bridge-entered', 'bridge.playback', 'leg.created', 'ari.dial', 'ari.dial', 'leg.answered', 'ari.bridge-entered',
      'bridge.playback', 'ari.bridge-left', 'ari.channel-destroyed', 'ari.bridge-left', 'ari.bridge-destroyed', 'bridge.destroyed', 'dial.ended',
    ]);
    assert.deepEqual(rows(r, 'ari.dial').map((e) => e.data.dialstatus), ['RINGING', 'ANSWER']);
    assert.deepEqual(rows(r, 'ari.bridge-entered').map((e) => e.data.leg), ['simulated-channel', legId]);
    for (const e of [...rows(r, 'ari.bridge-entered'), ...rows(r, 'bridge.playback'), ...rows(r, 'bridge.destroyed')]) assert.equal(e.data.bridgeId, bridgeId);
    // Virtual times: answered at 1000 ms, hello-world 1.4 s, the agent answers 2 s after the dial, talks 3 s.
    const dialedAt = rows(r, 'leg.created')[0]!.atMs;
    assert.equal(dialedAt, 2400);
    assert.equal(rows(r, 'leg.answered')[0]!.atMs, 4400);
    assert.equal(rows(r, 'ari.channel-destroyed')[0]!.atMs, 7400);
    assert.deepEqual(rows(r, 'ari.channel-destroyed')[0]!.data, { leg: legId, cause: 16, causeTxt: 'Normal Clearing' });
    assert.equal(rows(r, 'dial.ended')[0]!.data.outcome, 'answered');
    // What both parties heard on the bridge: the ringback (stopped at the answer), then the announcement.
    const onBridge = r.media.filter((m) => m.bridgeId === bridgeId);
    assert.deepEqual(onBridge.map((m) => [m.media.join(','), m.state]), [['tone:ring', 'stopped'], ['sound:beep', 'done']]);
  });

  for (const [result, branch, outcome, cause] of [['busy', 'busy', 'busy', 17], ['congestion', 'failed', 'failed', 34], ['reject', 'noanswer', 'no-answer', 21]] as const) {
    test(`a ${result} party takes its branch (${branch}), with cause ${cause} and no final Dial status`, async () => {
      const r = await run(agent({ result, answerAfterMs: 500 }));
      assert.equal(r.state, 'completed');
      assert.deepEqual(r.path, ['hello', 'connect', branch, 'bye']);
      assert.deepEqual(r.variables, { dialed: outcome });
      assert.deepEqual(rows(r, 'ari.dial').map((e) => e.data.dialstatus), ['RINGING']);
      assert.equal(rows(r, 'ari.channel-destroyed')[0]!.data.cause, cause);
      assert.equal(rows(r, 'leg.answered').length, 0);
      assert.equal(rows(r, 'bridge.destroyed').length, 1, 'the bridge is destroyed all the same');
    });
  }

  test('a party that never answers rings for the step\'s timeoutMs of virtual time, then no-answer (cause 19)', async () => {
    const r = await run(agent({ result: 'no-answer' }));
    assert.deepEqual(r.path, ['hello', 'connect', 'noanswer', 'bye']);
    assert.deepEqual(r.variables, { dialed: 'no-answer' });
    const destroyed = rows(r, 'ari.channel-destroyed')[0]!;
    assert.equal(destroyed.atMs - rows(r, 'leg.created')[0]!.atMs, 8000);
    assert.deepEqual(destroyed.data.cause, 19);
    assert.deepEqual(rows(r, 'ari.hangup-request')[0]!.data, { leg: destroyed.data.leg, cause: 32, soft: true });
  });

  test('a party that cannot be reached: the channel is refused (Allocation failed), onFailed', async () => {
    const r = await run(agent({ result: 'fail' }));
    assert.deepEqual(r.path, ['hello', 'connect', 'failed', 'bye']);
    assert.equal(rows(r, 'leg.failed')[0]!.data.message, 'Allocation failed');
    assert.match(String(rows(r, 'dial.ended')[0]!.data.reason), /Allocation failed/);
  });

  test('parties by number, or the default one; without any, a party answers after 1 s and stays', async () => {
    const other: FlowDocument = { ...DIAL_FLOW, steps: DIAL_FLOW.steps.map((s) => (s.type === 'dial' ? { ...s, to: OTHER } : s)) };
    const byDefault = await run({ dialed: { [AGENT]: { result: 'busy' }, default: { result: 'no-answer' } } }, other);
    assert.deepEqual(byDefault.variables, { dialed: 'no-answer' });
    const byNumber = await run({ dialed: { [OTHER]: { result: 'busy' }, default: { result: 'no-answer' } } }, other);
    assert.deepEqual(byNumber.variables, { dialed: 'busy' });
    // Nobody hangs up and no time limit: the caller hanging up ends the bridge.
    const stays = await run({ hangupAfterMs: 20_000 });
    assert.equal(rows(stays, 'leg.answered')[0]!.atMs, 3400);
    assert.equal(rows(stays, 'dial.ended')[0]!.data.outcome, 'canceled');
  });

  test('timeLimitMs ends the bridge in virtual time: the party is hung up and the flow goes on', async () => {
    const limited: FlowDocument = { ...DIAL_FLOW, steps: DIAL_FLOW.steps.map((s) => (s.type === 'dial' ? { ...s, timeLimitMs: 60_000 } : s)) };
    const r = await run(agent({ answerAfterMs: 1000 }), limited);
    assert.deepEqual(r.path, ['hello', 'connect', 'after', 'bye']);
    const answered = rows(r, 'leg.answered')[0]!.atMs;
    assert.equal(rows(r, 'ari.channel-destroyed')[0]!.atMs - answered, 60_000);
    assert.match(String(rows(r, 'dial.ended')[0]!.data.reason), /time limit of 60000 ms reached/);
  });

  test('the caller hanging up during the bridge hangs up the party: the dial is canceled', async () => {
    const r = await run({ hangupAfterMs: 10_000, dialed: { [AGENT]: { answerAfterMs: 1000 } } });
    assert.equal(r.state, 'completed');
    assert.equal(r.reason, 'far end hung up');
    assert.deepEqual(r.path, ['hello', 'connect']);
    assert.deepEqual(r.variables, { dialed: 'canceled' });
    const legId = rows(r, 'leg.created')[0]!.data.leg;
    assert.deepEqual(rows(r, 'ari.bridge-left').map((e) => e.data.leg), ['simulated-channel', legId]);
    const destroyed = rows(r, 'ari.channel-destroyed')[0]!;
    assert.equal(destroyed.atMs, 11_000, 'hung up when the caller went');
    assert.equal(rows(r, 'dial.ended')[0]!.data.outcome, 'canceled');
  });

  test('a dialed party\'s DTMF reaches the engine on its leg; the flow does not act on it, as on a real call', async () => {
    const r = await run(agent({ answerAfterMs: 1000, hangupAfterMs: 2000, dtmf: [{ digits: '12', atMs: 500 }] }));
    assert.deepEqual(r.path, ['hello', 'connect', 'after', 'bye']);
    assert.equal(rows(r, 'dtmf').length, 0);
  });

  test('deterministic with a dial: the same script gives the same output', async () => {
    const script = agent({ answerAfterMs: 2000, hangupAfterMs: 3000 });
    assert.deepEqual(await run(script), await run(script));
  });

  test('transfer: where the call went is recorded, and the run ends completed, transferred', async () => {
    const doc: FlowDocument = { name: 'Transfer', steps: [{ id: 'hello', type: 'playback', media: ['sound:hello-world'] }, { id: 'away', type: 'transfer', to: AGENT }] };
    const r = await run({}, doc);
    assert.equal(r.state, 'completed');
    assert.equal(r.reason, `transferred to ${AGENT}`);
    assert.deepEqual(r.path, ['hello', 'away']);
    const moved = rows(r, 'session.transferred')[0]!;
    assert.deepEqual(moved.data, { leg: 'simulated-channel', to: AGENT, endpoint: `Simulated/${AGENT}`, context: 'engine-transfer' });
  });
});

describe('simulation script validation', () => {
  const error = (raw: unknown): string => {
    try {
      readSimulationScript(raw);
    } catch (err) {
      return (err as Error).message;
    }
    return 'accepted';
  };

  test('a valid script keeps its parties', () => {
    assert.deepEqual(readSimulationScript({ result: 'answer', dialed: { [AGENT]: { result: 'busy', answerAfterMs: 300 }, default: {} } }), {
      result: 'answer', dialed: { [AGENT]: { result: 'busy', answerAfterMs: 300 }, default: {} },
    });
  });

  test('unknown keys, bad numbers and bad party scripts are errors that name the field', () => {
    assert.match(error({ hangupAfterMS: 5 }), /^script\.hangupAfterMS: not a known property/);
    assert.match(error({ dtmf: [{ digits: '1', atMS: 5 }] }), /^script\.dtmf\[0\]\.atMS: not a known property/);
    assert.match(error({ dialed: [] }), /^script\.dialed: must be an object/);
    assert.match(error({ dialed: { agent: {} } }), /^script\.dialed\.agent: not a number a dial step can reach/);
    assert.match(error({ dialed: { [AGENT]: { result: 'maybe' } } }), new RegExp(`^script\\.dialed\\.\\${AGENT}\\.result: one of answer`));
    assert.match(error({ dialed: { [AGENT]: { hangupAfter: 1 } } }), new RegExp(`^script\\.dialed\\.\\${AGENT}\\.hangupAfter: not a known property`));
    assert.match(error({ dialed: { [AGENT]: { dtmf: [{ digits: '1', afterPlaybackFinished: 1 }] } } }), /a dialed party sends its digits at atMs/);
    assert.match(error({ dialed: { default: { dialed: {} } } }), /^script\.dialed\.default\.dialed: not a known property/);
  });
});
