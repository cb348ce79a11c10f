// GET /metrics over real HTTP while real calls run (engine + ari-client + simulator + SQLite):
// the counters, gauges and histograms move as calls are placed, and the access rules hold.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startE2E, type E2E } from '../support/e2e-stack.js';
import { DEMO_FLOW_ID, DEMO_NUMBER_TO_DIAL } from '../../src/demo.js';
import { sample, scrapeUntil as scrapeUntilWith } from './prom-text.js';

const FINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

describe('GET /metrics on the API port', () => {
  let e2e: E2E;
  before(async () => {
    // The callee answers and waits: the test presses 1 itself once it has scraped the live call.
    e2e = await startE2E({}, { [DEMO_NUMBER_TO_DIAL]: { result: 'answer', answerAfterMs: 100 }, '+12025550100': { result: 'busy', answerAfterMs: 100 } });
  });
  after(async () => { await e2e?.close(); });

  const scrape = async (): Promise<string> => {
    const res = await fetch(`${e2e.base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return res.text();
  };

  test('calls placed, live, ended by state, steps, gather, ARI requests and HTTP routes move with a call', async () => {
    const before = await scrape();
    assert.equal(sample(before, 'engine_ari_connected'), 1);
    assert.ok(sample(before, 'process_cpu_user_seconds_total') > 0, 'default process metrics are exported');

    const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: DEMO_FLOW_ID, numberToDial: DEMO_NUMBER_TO_DIAL } });
    assert.equal(res.status, 200, res.text);
    const live = await e2e.waitForSession(res.body.id, (s) => s.timeline.some((e: { type: string; data: { stepId?: string } }) => e.type === 'step.started' && e.data.stepId === 'menu'));
    const during = await scrape();
    assert.equal(sample(during, 'engine_calls_placed_total') - sample(before, 'engine_calls_placed_total'), 1);
    assert.equal(sample(during, 'engine_live_calls'), 1);
    assert.equal(e2e.sim.sendDtmf(live.channelId, '1'), true);

    const done = await e2e.waitForSession(res.body.id, (s) => FINAL.has(s.state));
    assert.equal(done.state, 'completed');
    const busy = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: DEMO_FLOW_ID, numberToDial: '+12025550100' } });
    assert.equal(busy.status, 200, busy.text);
    assert.equal((await e2e.waitForSession(busy.body.id, (s) => FINAL.has(s.state))).state, 'busy');

    const afterCalls = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}): number => sample(afterCalls, name, labels) - sample(before, name, labels);
    assert.equal(delta('engine_calls_placed_total'), 2);
    assert.equal(sample(afterCalls, 'engine_live_calls'), 0);
    assert.equal(delta('engine_calls_ended_total', { state: 'completed' }), 1);
    assert.equal(delta('engine_calls_ended_total', { state: 'busy' }), 1);
    assert.equal(delta('engine_originate_duration_seconds_count', { outcome: 'ok' }), 2);
    assert.equal(delta('engine_stasis_start_to_first_step_seconds_count'), 1);
    // The demo flow: hello → menu (digit 1) → yes → bye.
    assert.equal(delta('engine_step_duration_seconds_count', { type: 'playback', result: 'next' }), 2);
    assert.equal(delta('engine_step_duration_seconds_count', { type: 'gather', result: 'next' }), 1);
    assert.equal(delta('engine_step_duration_seconds_count', { type: 'hangup', result: 'hangup' }), 1);
    assert.equal(delta('engine_gather_outcomes_total', { outcome: 'input' }), 1);
    assert.equal(delta('engine_ari_request_duration_seconds_count', { operation: 'originate' }), 2);
    assert.ok(delta('engine_ari_request_duration_seconds_count', { operation: 'play' }) >= 3);
    assert.ok(delta('engine_http_requests_total', { method: 'POST', route: '/sessions/outgoing', status: '200' }) === 2);
    assert.ok(delta('engine_http_requests_total', { method: 'GET', route: '/sessions/:sessionId', status: '200' }) >= 2);
    assert.doesNotMatch(afterCalls, /\+1814|demo-flow|accountId|demo"/, 'no numbers, flows or accounts in labels');
  });

  test('HTTP requests are labelled by the route they reached: a predefined route by its name, none before one', async () => {
    const before = await scrape();
    assert.equal((await e2e.request('GET', '/api/GetSession?sessionId=no-such-session')).status, 404);
    assert.equal((await e2e.request('GET', '/sessions/no-such-session', { token: null })).status, 401);
    assert.equal((await e2e.request('GET', '/no-such-path')).status, 404);
    const after = await scrape();
    const delta = (labels: Record<string, string>): number => sample(after, 'engine_http_requests_total', labels) - sample(before, 'engine_http_requests_total', labels);
    assert.equal(delta({ method: 'GET', route: '/api/GetSession', status: '404' }), 1);
    assert.equal(delta({ method: 'GET', route: '(none)', status: '401' }), 1);
    assert.equal(delta({ method: 'GET', route: '(none)', status: '404' }), 1);
    assert.equal(delta({ method: 'GET', route: '/sessions/:sessionId', status: '401' }), 0);
  });

  const scrapeUntil = (ok: (text: string) => boolean): Promise<string> => scrapeUntilWith(scrape, ok);

  test('ARI errors are counted by operation and kind; the connection gauge and reconnects follow a dropped WebSocket', async () => {
    const before = await scrape();
    const fault = await fetch(`${e2e.sim.url}/sim/faults/fail-next`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'POST', path: '/ari/channels', status: 500, body: { error: 'Allocation failed' }, count: 1 }),
    });
    assert.ok(fault.ok);
    const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: DEMO_FLOW_ID, numberToDial: DEMO_NUMBER_TO_DIAL } });
    assert.equal((await e2e.waitForSession(res.body.id, (s) => FINAL.has(s.state))).state, 'failed');
    const afterFault = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}): number => sample(afterFault, name, labels) - sample(before, name, labels);
    assert.equal(delta('engine_ari_request_errors_total', { operation: 'originate', kind: 'failed' }), 1);
    assert.equal(delta('engine_originate_duration_seconds_count', { outcome: 'failed' }), 1);
    assert.equal(delta('engine_calls_ended_total', { state: 'failed' }), 1);

    assert.ok((await fetch(`${e2e.sim.url}/sim/faults/drop-websockets`, { method: 'POST' })).ok);
    await scrapeUntil((text) => sample(text, 'engine_ari_reconnects_total') === sample(before, 'engine_ari_reconnects_total') + 1
      && sample(text, 'engine_ari_connected') === 1);
  });
});

describe('GET /metrics protected', () => {
  test('METRICS_TOKEN: 401 in the ResponseStatus shape without it, 200 with it', async () => {
    const e2e = await startE2E({ METRICS_TOKEN: 'scrape-secret-1234' });
    try {
      const denied = await fetch(`${e2e.base}/metrics`);
      assert.equal(denied.status, 401);
      assert.equal(((await denied.json()) as { responseStatus: { errorCode: string } }).responseStatus.errorCode, 'Unauthorized');
      const jwt = await fetch(`${e2e.base}/metrics`, { headers: { authorization: `Bearer ${e2e.token()}` } });
      assert.equal(jwt.status, 401, 'an API token is not the metrics token');
      const ok = await fetch(`${e2e.base}/metrics`, { headers: { authorization: 'Bearer scrape-secret-1234' } });
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /engine_calls_placed_total/);
    } finally {
      await e2e.close();
    }
  });

  test('METRICS_PORT: served there only, not on the API port', async () => {
    const e2e = await startE2E({ METRICS_PORT: '0' });
    try {
      const port = e2e.stack.metricsPort;
      assert.ok(port && port !== e2e.stack.httpPort);
      const ok = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /engine_ari_connected 1/);
      assert.equal((await fetch(`http://127.0.0.1:${port}/sessions`)).status, 404);
      assert.equal((await e2e.request('GET', '/metrics')).status, 404);
    } finally {
      await e2e.close();
    }
  });
});
