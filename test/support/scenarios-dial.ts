// The dial scenarios: an answered outgoing call (the answer test callee) whose flow dials a
// second party — the compose lab's auto-answering phone (PJSIP/phone1, as trace m records it),
// an unregistered endpoint (trace m2: 500 Allocation failed), and the busy and ringing-out test
// callees (created Local channels: the engine takes their final Dial status or their cause) —
// and takes the branch of the outcome.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlowDocument } from '../../src/domain/flow.js';
import { timelineOf } from './faults-engine.js';
import { CALLEES, rowsOf, stepsOf, type ScenarioContext } from './scenario-lab.js';

/** The second party's ring time and, once bridged, the time limit (labphone never hangs up). */
const RING_MS = 3000;
const TIME_LIMIT_MS = 2000;

const dialFlow = (to: string): FlowDocument => ({
  name: `Scenario dial ${to}`,
  steps: [
    { id: 'hello', type: 'playback', media: ['sound:hello-world'] },
    {
      id: 'connect', type: 'dial', to, timeoutMs: RING_MS, timeLimitMs: TIME_LIMIT_MS, variable: 'dialed',
      onAnswered: 'after', onBusy: 'busy', onNoAnswer: 'noanswer', onFailed: 'failed',
    },
    { id: 'after', type: 'playback', media: ['sound:auth-thankyou'], next: 'bye' },
    { id: 'busy', type: 'set', variable: 'branch', value: 'busy', next: 'bye' },
    { id: 'noanswer', type: 'set', variable: 'branch', value: 'noanswer', next: 'bye' },
    { id: 'failed', type: 'set', variable: 'branch', value: 'failed', next: 'bye' },
    { id: 'bye', type: 'hangup' },
  ],
});

export function defineDialScenarios(ctx: ScenarioContext): void {
  const flows: Record<string, string> = {};
  before(async () => {
    for (const to of [CALLEES.labPhone, CALLEES.unregistered, CALLEES.busy, CALLEES.noAnswer]) flows[to] = await ctx.flow(dialFlow(to));
  });
  const dialed = async (to: string): Promise<any> => {
    const session = await ctx.finalSession(await ctx.call(flows[to] as string, CALLEES.answer));
    const why = JSON.stringify(timelineOf(session).filter((e) => /^(dial|leg|error|ari\.channel-destroyed)/.test(e.type)));
    assert.equal(session.state, 'completed', why);
    return { session, why };
  };

  test('dial answered: the lab phone answers, both legs bridged until the time limit, the flow goes on', async () => {
    const { session, why } = await dialed(CALLEES.labPhone);
    assert.equal(session.variables.dialed, 'answered', why);
    assert.deepEqual(stepsOf(session), ['hello', 'connect', 'after', 'bye']);
    const leg = rowsOf(session, 'leg.created')[0]?.data.leg;
    assert.ok(leg, 'the second leg was created');
    const entered = rowsOf(session, 'ari.bridge-entered').map((e) => e.data.leg).sort();
    assert.deepEqual(entered, [session.channelId, leg].sort(), 'both legs entered the bridge');
    assert.ok(rowsOf(session, 'ari.bridge-left').some((e) => e.data.leg === leg), 'the dialed leg left the bridge');
    assert.equal(rowsOf(session, 'bridge.created').length, 1);
    assert.equal(rowsOf(session, 'bridge.destroyed').length, 1);
    assert.match(rowsOf(session, 'dial.ended')[0]?.data.reason ?? '', /time limit/);
    assert.equal(session.legs.length, 2);
    assert.deepEqual(session.legs.map((l: any) => l.role), ['callee', 'dialed']);
    assert.equal(session.legs[1].number, CALLEES.labPhone);
    for (const l of session.legs) {
      assert.equal(l.state, 'ended', `${l.role} ended`);
      assert.equal(typeof l.cause, 'number', `cause of ${l.role}`);
      assert.ok(l.dateAnswered, `${l.role} answered`);
    }
  });

  test('dial failed: an unregistered endpoint (500 Allocation failed) takes onFailed', async () => {
    const { session, why } = await dialed(CALLEES.unregistered);
    assert.equal(session.variables.dialed, 'failed', why);
    assert.equal(session.variables.branch, 'failed');
    assert.deepEqual(stepsOf(session), ['hello', 'connect', 'failed', 'bye']);
    assert.match(rowsOf(session, 'dial.ended')[0]?.data.reason ?? '', /Allocation failed/);
    assert.equal(session.legs[1]?.state, 'failed');
  });

  test('dial busy: the busy test callee (a created Local channel) takes onBusy', async () => {
    const { session, why } = await dialed(CALLEES.busy);
    assert.equal(session.variables.dialed, 'busy', why);
    assert.equal(session.variables.branch, 'busy');
    assert.deepEqual(stepsOf(session), ['hello', 'connect', 'busy', 'bye']);
    assert.equal(typeof session.legs[1]?.cause, 'number', 'the dialed leg\'s cause is recorded');
  });

  test('dial no answer: the ringing-out test callee rings for the ring time, then onNoAnswer', async () => {
    const { session, why } = await dialed(CALLEES.noAnswer);
    assert.equal(session.variables.dialed, 'no-answer', why);
    assert.equal(session.variables.branch, 'noanswer');
    assert.deepEqual(stepsOf(session), ['hello', 'connect', 'noanswer', 'bye']);
    assert.ok(rowsOf(session, 'ari.dial').some((e) => e.data.leg === session.legs[1]?.channelId && e.data.dialstatus === 'RINGING'), 'it rang');
  });
}
