// The inbound scenarios: a call into the engine made the way a phone's call comes in, through the
// dialplan. A probe Stasis application of the test (a second ARI connection, through the
// project's ARI adapter) originates Local/<number>@test-inbound and holds its ;1 half; the ;2
// half runs asterisk-config/extensions.conf [test-inbound]:
// Stasis(engine-scenarios,inbound,${EXTEN},${CALLERID(num)}), the arguments of [from-phones].
// The engine answers an owned number with an inbound flow (the probe's half is then answered and
// enters the probe application) and refuses an unknown one with cause congestion.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { createAriClientPort, type AriClientPort } from '../../src/telephony/ari/ari-client-adapter.js';
import type { TelephonyEvent } from '../../src/telephony/port.js';
import type { FlowDocument } from '../../src/domain/flow.js';
import { timelineOf } from './faults-engine.js';
import { SCENARIO_APP, isFinal, stepsOf, type ScenarioContext } from './scenario-lab.js';
import { waitUntil } from './wait-until.js';

/** A number the scenarios' account owns, with an inbound flow; and one nobody owns. */
const OWNED = '+12125550142';
const UNKNOWN = '+12125550143';
/** A lab extension the scenarios' account owns, with the same inbound flow ([test-inbound] _8XXX). */
const EXTENSION = '8042';
/** The caller's number, as a lab phone's (phone2) would be. */
const CALLER = '1002';

const INBOUND_FLOW: FlowDocument = {
  name: 'Scenario inbound',
  steps: [
    { id: 'hello', type: 'playback', media: ['sound:hello-world'] },
    { id: 'bye', type: 'hangup' },
  ],
};

export function defineInboundScenarios(ctx: ScenarioContext): void {
  describe('calls that come in through the dialplan', () => {
    const skip = ctx.target.ari.app === SCENARIO_APP ? false
      : `asterisk-config/extensions.conf [test-inbound] enters the Stasis application ${SCENARIO_APP}; this run's ARI_APP is ${ctx.target.ari.app}`;
    let probe: AriClientPort | undefined;
    const events: TelephonyEvent[] = [];
    const waitEvent = (match: (e: TelephonyEvent) => boolean, timeoutMs = 15000): Promise<TelephonyEvent> =>
      waitUntil(() => events.find(match), { message: () => `the probe's event; got ${JSON.stringify(events.map((e) => e.type))}`, timeoutMs, intervalMs: 20 });
    /** Originates Local/<number>@test-inbound into the probe application; resolves to the ;1 half's id. */
    const callIn = async (number: string): Promise<string> => {
      const channelId = `probe-${randomUUID()}`;
      const res = await (probe as AriClientPort).originate({
        channelId, endpoint: `Local/${number}@test-inbound`, callerId: CALLER, timeoutSec: 20, variables: {}, appArgs: ['probe'],
      });
      assert.deepEqual(res, { ok: true, value: undefined });
      return channelId;
    };

    before(async () => {
      if (skip) return;
      const flowId = await ctx.flow(INBOUND_FLOW);
      const number = await ctx.engine().client.request('POST', '/phone-numbers', { body: { number: OWNED, name: 'Scenario line', inboundFlowId: flowId } });
      assert.equal(number.status, 201, number.text);
      const extension = await ctx.engine().client.request('POST', '/extensions', { body: { number: EXTENSION, name: 'Scenario extension', inboundFlowId: flowId } });
      assert.equal(extension.status, 201, extension.text);
      const { url, username, password, app } = ctx.target.ari;
      probe = createAriClientPort({ url, username, password, app: `${app}-probe`, logger: pino({ level: 'silent' }) });
      probe.onEvent((e) => events.push(e));
      await probe.start();
    });
    after(async () => { await probe?.close(); });

    /** Calls `dialed` in and waits for its inbound session to end: it must have run the inbound flow. */
    const expectInboundRun = async (dialed: string): Promise<void> => {
      const channelId = await callIn(dialed);
      // The engine answered: the probe's half is answered and enters the probe application.
      await waitEvent((e) => e.type === 'stasis-start' && e.channelId === channelId);
      const deadline = Date.now() + 15000;
      let item: any;
      while (!item) {
        const list = await ctx.engine().client.request('GET', '/sessions?countPerPage=100');
        assert.equal(list.status, 200, list.text);
        item = list.body.items.find((s: any) => s.direction === 'inbound' && s.to === dialed);
        if (!item && Date.now() > deadline) throw new Error(`no inbound session listed for ${dialed}`);
        if (!item) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(item.from, CALLER);
      const session = await ctx.engine().client.waitForSession(item.id, isFinal, 30000);
      assert.equal(session.state, 'completed', JSON.stringify(timelineOf(session).slice(-5)));
      assert.equal(session.direction, 'inbound');
      assert.equal(session.from, CALLER);
      assert.equal(session.to, dialed);
      assert.deepEqual(stepsOf(session), ['hello', 'bye']);
      const states = timelineOf(session).filter((e) => e.type === 'state').map((e) => e.data.state);
      assert.deepEqual(states, ['queued', 'ringing', 'in-progress', 'completed']);
      // The engine's hangup ends the Local pair: the probe's half goes too.
      await waitEvent((e) => e.type === 'channel-destroyed' && e.channelId === channelId);
    };

    test('inbound: a call to an owned number runs its inbound flow and ends completed, direction inbound, from and to', { skip }, async () => {
      await expectInboundRun(OWNED);
    });

    test('inbound: a call to a lab extension of the account runs its inbound flow (to: the extension)', { skip }, async () => {
      await expectInboundRun(EXTENSION);
    });

    test('inbound refused: a call to a number nobody owns is hung up with cause congestion and counted', { skip }, async () => {
      const refused = () => ctx.engine().stack.engine.stats().inboundRefusals['unknown-number'];
      const countBefore = refused();
      const channelId = await callIn(UNKNOWN);
      const destroyed = await waitEvent((e) => e.type === 'channel-destroyed' && e.channelId === channelId);
      assert.equal(destroyed.type === 'channel-destroyed' && destroyed.cause, 34, 'cause 34, congestion');
      assert.ok(!events.some((e) => e.type === 'stasis-start' && e.channelId === channelId), 'never answered');
      assert.equal(refused(), countBefore + 1, 'the refusal counter');
      const list = await ctx.engine().client.request('GET', '/sessions?countPerPage=100');
      assert.ok(!list.body.items.some((s: any) => s.to === UNKNOWN), 'no session for a refused call');
    });
  });
}
