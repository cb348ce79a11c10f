// The lab phones' scenarios: phone2 dials into the engine (an owned number, a lab extension, a
// number nobody owns) through [from-phones], whose `9` prefix sends the call to the scenarios'
// Stasis application ([test-inbound]); and an outgoing call to phone1 (answers by itself) whose
// flow dials phone2, which answers, rejects (486) or lets it ring. Sequential: there is one phone2.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlowDocument } from '../../src/domain/flow.js';
import { timelineOf } from './faults-engine.js';
import type { LabPhones } from './lab-phones.js';
import { CALLEES, SCENARIO_APP, isFinal, rowsOf, stepsOf, type ScenarioContext } from './scenario-lab.js';

/** A number and an extension of the scenarios' account with an inbound flow; a number nobody owns. */
const OWNED = '+12125550144';
const EXTENSION = '8043';
const UNKNOWN = '+12125550145';
/** phone2's number as Asterisk shows it (pjsip.conf callerid). */
const PHONE2_CALLER = '1002';
/** [from-phones]: `9` then the number enters the scenarios' application instead of the engine's. */
const SCENARIO_PREFIX = '9';

const INBOUND_FLOW: FlowDocument = {
  name: 'Scenario phone inbound',
  steps: [
    { id: 'hello', type: 'playback', media: ['sound:hello-world'] },
    { id: 'bye', type: 'hangup' },
  ],
};
const RING_MS = 6000;
const DIAL_PHONE2: FlowDocument = {
  name: 'Scenario dial phone2',
  steps: [
    {
      id: 'connect', type: 'dial', to: CALLEES.phone2, timeoutMs: RING_MS, timeLimitMs: 2000, variable: 'dialed',
      onAnswered: 'bye', onBusy: 'busy', onNoAnswer: 'noanswer', onFailed: 'failed',
    },
    { id: 'busy', type: 'set', variable: 'branch', value: 'busy', next: 'bye' },
    { id: 'noanswer', type: 'set', variable: 'branch', value: 'noanswer', next: 'bye' },
    { id: 'failed', type: 'set', variable: 'branch', value: 'failed', next: 'bye' },
    { id: 'bye', type: 'hangup' },
  ],
};

export function definePhoneScenarios(ctx: ScenarioContext): void {
  const skip = !ctx.target.phones ? (ctx.target.phonesSkipReason ?? 'no lab phones')
    : ctx.target.ari.app !== SCENARIO_APP ? `[from-phones] sends 9-prefixed numbers to ${SCENARIO_APP}; this run's ARI_APP is ${ctx.target.ari.app}`
      : false;

  describe('lab phones', { skip }, () => {
    let phones: LabPhones;
    let dialFlow = '';
    before(async () => {
      phones = await (ctx.target.phones as () => Promise<LabPhones>)();
      const flowId = await ctx.flow(INBOUND_FLOW);
      const api = ctx.engine().client;
      const number = await api.request('POST', '/phone-numbers', { body: { number: OWNED, name: 'Phone scenario line', inboundFlowId: flowId } });
      assert.equal(number.status, 201, number.text);
      const extension = await api.request('POST', '/extensions', { body: { number: EXTENSION, name: 'Phone scenario extension', inboundFlowId: flowId } });
      assert.equal(extension.status, 201, extension.text);
      dialFlow = await ctx.flow(DIAL_PHONE2);
    });
    after(async () => { await phones?.close(); });

    /** phone2 dials `dialed`; resolves to its inbound session once final. */
    const phoneCallsIn = async (dialed: string): Promise<any> => {
      const api = ctx.engine().client;
      await phones.dial(`${SCENARIO_PREFIX}${dialed}`);
      const deadline = Date.now() + 20_000;
      for (;;) {
        const list = await api.request('GET', '/sessions?countPerPage=100');
        const item = list.body.items.find((s: any) => s.direction === 'inbound' && s.to === dialed && s.from === PHONE2_CALLER);
        if (item) return api.waitForSession(item.id, isFinal, 30_000);
        assert.ok(Date.now() < deadline, `no inbound session from phone2 to ${dialed} within 20 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    for (const [what, dialed] of [['an owned number', OWNED], ['a lab extension', EXTENSION]] as const) {
      test(`phone2 calls ${what}: the inbound flow runs, from 1002, and the engine hangs up`, async () => {
        const session = await phoneCallsIn(dialed);
        assert.equal(session.state, 'completed', JSON.stringify(timelineOf(session).slice(-5)));
        assert.equal(session.direction, 'inbound');
        assert.deepEqual(stepsOf(session), ['hello', 'bye']);
        assert.deepEqual(rowsOf(session, 'playback.finished').map((r) => r.data.state), ['done']);
      });
    }

    test('phone2 calls a number nobody owns: refused, no session, counted', async () => {
      const refused = () => ctx.engine().stack.engine.stats().inboundRefusals['unknown-number'] ?? 0;
      const before = refused();
      await phones.dial(`${SCENARIO_PREFIX}${UNKNOWN}`);
      const deadline = Date.now() + 15_000;
      while (refused() === before) {
        assert.ok(Date.now() < deadline, 'the refusal was not counted within 15 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      const list = await ctx.engine().client.request('GET', '/sessions?countPerPage=100');
      assert.ok(!list.body.items.some((s: any) => s.to === UNKNOWN), 'no session for a refused call');
    });

    for (const [behaviour, outcome, branch] of [['answer', 'answered', undefined], ['reject', 'busy', 'busy'], ['ignore', 'no-answer', 'noanswer']] as const) {
      test(`dial between phones: phone1's call dials phone2, which ${behaviour === 'ignore' ? 'lets it ring' : `${behaviour}s`}: ${outcome}`, async () => {
        await phones.onNextCall(behaviour);
        const session = await ctx.finalSession(await ctx.call(dialFlow, CALLEES.labPhone));
        const why = JSON.stringify(timelineOf(session).filter((e) => /^(dial|leg|error)/.test(e.type)));
        assert.equal(session.state, 'completed', why);
        assert.equal(session.variables.dialed, outcome, why);
        assert.equal(session.variables.branch, branch);
        assert.deepEqual(session.legs.map((l: any) => l.role), ['callee', 'dialed']);
        if (outcome === 'answered') assert.equal(rowsOf(session, 'ari.bridge-entered').length, 2, 'both phones were bridged');
        if (behaviour === 'ignore') await phones.hangup();
      });
    }
  });
}
