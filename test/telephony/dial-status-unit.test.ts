// Unit tests of the dial step's outcome through the call core over the fake port: a final Dial
// status of the dialed leg (what Asterisk's dial core publishes for a Local channel) decides the
// outcome when it comes; without one (PJSIP, trace m2) the leg's ChannelDestroyed cause does.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { engineHarness, type EngineHarness } from '../support/telephony-engine-harness.js';
import { waitUntil } from '../support/wait-until.js';
import type { FlowDocument } from '../../src/domain/flow.js';
import type { TelephonyEvent } from '../../src/telephony/port.js';

const at = () => new Date().toISOString();

const DIAL_FLOW: FlowDocument = {
  name: 'Dial',
  steps: [
    {
      id: 'connect', type: 'dial', to: '+13125550002', timeoutMs: 2000, variable: 'dialed',
      onAnswered: 'bye', onBusy: 'busy', onNoAnswer: 'noanswer', onFailed: 'failed',
    },
    { id: 'busy', type: 'set', variable: 'branch', value: 'busy', next: 'bye' },
    { id: 'noanswer', type: 'set', variable: 'branch', value: 'noanswer', next: 'bye' },
    { id: 'failed', type: 'set', variable: 'branch', value: 'failed', next: 'bye' },
    { id: 'bye', type: 'hangup' },
  ],
};

let open: EngineHarness[] = [];
afterEach(async () => {
  for (const h of open) await h.close();
  open = [];
});

/** Places the dial flow, answers the first leg and returns the dialed leg's id once it is dialed. */
async function dialing(): Promise<{ h: EngineHarness; sessionId: string; leg: string }> {
  const h = await engineHarness();
  open.push(h);
  const { session } = await h.place(DIAL_FLOW);
  const c = session.channelId;
  for (const e of [
    { type: 'state-change', channelId: c, state: 'Up', at: at() },
    { type: 'dial', channelId: c, dialstatus: 'ANSWER', at: at() },
    { type: 'stasis-start', channelId: c, args: [session.id], state: 'Up', at: at() },
  ] as TelephonyEvent[]) h.port.emit(e);
  await waitUntil(() => h.port.ops('dial').length === 1, { message: 'the dial request', timeoutMs: 5000, intervalMs: 0 });
  const [req] = h.port.ops('createChannel')[0] as [{ channelId: string }];
  const leg = req.channelId;
  // The created leg entered the application Down (the fake port's StasisStart); the dial rings it (traces m, m2).
  for (const e of [
    { type: 'dial', channelId: leg, dialstatus: '', at: at() },
    { type: 'state-change', channelId: leg, state: 'Ringing', at: at() },
    { type: 'dial', channelId: leg, dialstatus: 'RINGING', at: at() },
  ] as TelephonyEvent[]) h.port.emit(e);
  return { h, sessionId: session.id, leg };
}

function legEnds(h: EngineHarness, leg: string, dialstatus: string | undefined, cause: number): void {
  if (dialstatus) h.port.emit({ type: 'dial', channelId: leg, dialstatus, at: at() });
  h.port.emit({ type: 'hangup-request', channelId: leg, cause, at: at() });
  h.port.emit({ type: 'stasis-end', channelId: leg, at: at() });
  h.port.emit({ type: 'channel-destroyed', channelId: leg, cause, causeTxt: cause === 0 ? 'Unknown' : 'x', at: at() });
}

describe('dial step outcome', () => {
  for (const [name, status, cause, outcome, branch] of [
    ['Local busy: Dial BUSY, the leg destroyed with cause 0', 'BUSY', 0, 'busy', 'busy'],
    ['Local rejected: Dial NOANSWER, cause 21', 'NOANSWER', 21, 'no-answer', 'noanswer'],
    ['Local congestion: Dial CONGESTION, cause 0', 'CONGESTION', 0, 'failed', 'failed'],
    ['Dial CHANUNAVAIL, cause 0', 'CHANUNAVAIL', 0, 'failed', 'failed'],
    ['PJSIP 486 (trace m2): no final Dial event, cause 17', undefined, 17, 'busy', 'busy'],
    ['PJSIP ring timeout (trace m2): no final Dial event, cause 19', undefined, 19, 'no-answer', 'noanswer'],
    ['no final Dial event, cause 0', undefined, 0, 'failed', 'failed'],
  ] as const) {
    test(`${name} → ${outcome}`, async () => {
      const { h, sessionId, leg } = await dialing();
      legEnds(h, leg, status, cause);
      const done = await h.waitFinal(sessionId);
      assert.equal(done.state, 'completed', done.endReason ?? undefined);
      assert.equal(done.variables.dialed, outcome);
      assert.equal(done.variables.branch, branch);
      const ended = (await h.events(sessionId)).find((e) => e.type === 'dial.ended');
      assert.equal(ended?.data.outcome, outcome);
      if (status) assert.equal(ended?.data.reason, `Dial ${status}`, 'the Dial status is the reason');
      else assert.match(String(ended?.data.reason), new RegExp(`^cause ${cause} `));
      assert.ok(!h.port.ops('hangup').some(([id]) => id === leg), 'a leg already gone is not hung up');
    });
  }

  test('a final Dial status before the leg is gone: the outcome is taken, then the leg is hung up and its end awaited', async () => {
    const { h, sessionId, leg } = await dialing();
    h.port.emit({ type: 'dial', channelId: leg, dialstatus: 'BUSY', at: at() });
    const done = await h.waitFinal(sessionId);
    assert.equal(done.variables.dialed, 'busy');
    assert.ok(h.port.ops('hangup').some(([id]) => id === leg), 'the leg is hung up');
    const types = (await h.events(sessionId)).map((e) => `${e.type}:${String(e.data.leg ?? '')}`);
    const destroyed = types.indexOf(`ari.channel-destroyed:${leg}`);
    assert.ok(destroyed >= 0 && destroyed < types.indexOf(`dial.ended:${leg}`), 'the leg ended before the dial step did');
  });

  test('progress statuses are not outcomes: the leg answers after RINGING and PROGRESS', async () => {
    const { h, sessionId, leg } = await dialing();
    h.port.emit({ type: 'dial', channelId: leg, dialstatus: 'PROGRESS', at: at() });
    h.port.emit({ type: 'state-change', channelId: leg, state: 'Up', at: at() });
    h.port.emit({ type: 'dial', channelId: leg, dialstatus: 'ANSWER', at: at() });
    await waitUntil(() => h.port.ops('addToBridge').length === 2, { message: 'both addToBridge requests', timeoutMs: 5000, intervalMs: 0 });
    h.port.farEndHangup(leg);
    const done = await h.waitFinal(sessionId);
    assert.equal(done.variables.dialed, 'answered');
    assert.equal(done.variables.branch, undefined);
  });
});
