// POST /flows/{flowId}/simulate and POST /flows/simulate over real HTTP: scripted scenarios on a
// virtual clock, expectations, coverage, errors in the API's shape, account isolation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { responseStatus, startHttpHarness, type HttpHarness } from '../support/http-harness.js';
import { DEMO_FLOW } from '../../src/demo.js';

describe('flow simulation', () => {
  let h: HttpHarness;
  before(async () => { h = await startHttpHarness(); });
  after(async () => { await h.close(); });

  test('a saved flow, several scenarios: paths, variables, coverage; no session is created', async () => {
    const created = await h.request('POST', '/flows', { body: DEMO_FLOW });
    assert.equal(created.status, 201, created.text);
    const res = await h.request('POST', `/flows/${created.body.id}/simulate`, {
      body: {
        scenarios: [
          { name: 'press 1', script: { dtmf: [{ digits: '1', afterPlaybackFinished: 2 }] }, expect: { state: 'completed', variables: { choice: '1' }, path: ['hello', 'menu', 'yes', 'bye'] } },
          { name: 'no input', script: {}, expect: { path: ['hello', 'menu', 'bye'] } },
        ],
      },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.passed, true);
    assert.deepEqual(res.body.results.map((r: { path: string[] }) => r.path), [['hello', 'menu', 'yes', 'bye'], ['hello', 'menu', 'bye']]);
    assert.deepEqual(res.body.coverage.unreachedSteps, ['no']);
    assert.equal((await h.request('GET', '/sessions')).body.items.length, 0);
  });

  test('an unsaved document with one script; a failed expectation is reported, not an error', async () => {
    const res = await h.request('POST', '/flows/simulate', { body: { document: DEMO_FLOW, script: { result: 'busy' }, expect: { state: 'completed' } } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.passed, false);
    assert.equal(res.body.results[0].state, 'busy');
    assert.deepEqual(res.body.results[0].failures, ['state: expected completed, got busy']);
  });

  test('bad documents, scripts and expectations get field errors; another account\'s flow is not found', async () => {
    const doc = await h.request('POST', '/flows/simulate', { body: { document: { name: 'x', steps: [{ id: 'a', type: 'teleport' }] } } });
    assert.equal(doc.status, 400);
    assert.equal(responseStatus(doc).errors[0]!.fieldName, 'document.steps[0].type');
    const script = await h.request('POST', '/flows/simulate', { body: { document: DEMO_FLOW, script: { result: 'maybe' } } });
    assert.equal(script.status, 400, script.text);
    assert.equal(responseStatus(script).errors[0]!.fieldName, 'script.result');
    const expect = await h.request('POST', '/flows/simulate', { body: { document: DEMO_FLOW, scenarios: [{ script: {}, expect: { state: 'nope' } }] } });
    assert.equal(expect.status, 400);
    assert.equal(responseStatus(expect).errors[0]!.fieldName, 'scenarios[0].expect.state');
    assert.equal((await h.request('POST', '/flows/none/simulate', { body: {} })).status, 404);
  });

  test('a dial step against the script\'s dialed parties: each outcome its branch, legs and bridge in the timeline; transfer ends transferred', async () => {
    const document = {
      name: 'Connect',
      steps: [
        { id: 'connect', type: 'dial', to: '+13125550001', timeoutMs: 5000, variable: 'dialed', onAnswered: 'done', onBusy: 'retry', onNoAnswer: 'retry' },
        { id: 'done', type: 'hangup' },
        { id: 'retry', type: 'transfer', to: '+13125550009' },
      ],
    };
    const res = await h.request('POST', '/flows/simulate', {
      body: {
        document,
        scenarios: [
          { name: 'answers', script: { dialed: { '+13125550001': { answerAfterMs: 1500, hangupAfterMs: 4000 } } }, expect: { state: 'completed', variables: { dialed: 'answered' }, path: ['connect', 'done'] } },
          { name: 'busy', script: { dialed: { default: { result: 'busy' } } }, expect: { variables: { dialed: 'busy' }, path: ['connect', 'retry'] } },
          { name: 'rings out', script: { dialed: { default: { result: 'no-answer' } } }, expect: { variables: { dialed: 'no-answer' } } },
        ],
      },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.passed, true, JSON.stringify(res.body.results.map((r: { failures: string[] }) => r.failures)));
    const [answers, busy, ringsOut] = res.body.results;
    const kinds = answers.timeline.map((e: { type: string }) => e.type);
    for (const t of ['bridge.created', 'leg.created', 'leg.answered', 'ari.bridge-entered', 'ari.bridge-left', 'ari.channel-destroyed', 'bridge.destroyed', 'dial.ended']) assert.ok(kinds.includes(t), `${t} in the timeline`);
    assert.equal(answers.durationMs, 1000 + 1500 + 4000, 'virtual time: answered, rang 1.5 s, talked 4 s');
    assert.equal(busy.state, 'completed');
    assert.equal(busy.reason, 'transferred to +13125550009');
    assert.ok(busy.timeline.some((e: { type: string; data: { to?: string } }) => e.type === 'session.transferred' && e.data.to === '+13125550009'));
    const created = ringsOut.timeline.find((e: { type: string }) => e.type === 'leg.created');
    const gone = ringsOut.timeline.find((e: { type: string }) => e.type === 'ari.channel-destroyed');
    assert.equal(gone.atMs - created.atMs, 5000, 'the ring time is the step\'s timeoutMs');
    assert.deepEqual(res.body.coverage.unreachedSteps, []);

    const bad = await h.request('POST', '/flows/simulate', { body: { document, script: { dialed: { '+13125550001': { result: 'answer', hangupAfter: 3 } } } } });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(responseStatus(bad).errors[0]!.fieldName, 'script.dialed.+13125550001.hangupAfter');
    assert.match(responseStatus(bad).errors[0]!.message, /not a known property/);
  });
});
