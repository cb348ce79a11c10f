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
});
