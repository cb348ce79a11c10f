// The webhook delivery metrics over real HTTP: a real local receiver (ALLOW_PRIVATE_DESTINATIONS)
// failing then answering, and a destination that refuses connections until the events are
// abandoned; attempts by outcome, deliveries by outcome, the delivery latency and the outbox
// backlog move with them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startE2E, type E2E } from '../support/e2e-stack.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';
import { DEMO_FLOW_ID } from '../../src/demo.js';
import { sample, scrapeUntil } from './prom-text.js';

const BUSY = '+12025550100';
const FINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

async function scraper(e2e: E2E): Promise<() => Promise<string>> {
  return async () => {
    const res = await fetch(`${e2e.base}/metrics`);
    assert.equal(res.status, 200);
    return res.text();
  };
}

describe('webhook metrics', () => {
  let e2e: E2E;
  let receiver: Receiver;
  let failing = true;
  const answered: number[] = [];
  before(async () => {
    receiver = await startReceiver(() => {
      const status = failing ? 500 : 204;
      answered.push(status);
      return status;
    });
    e2e = await startE2E({ ALLOW_PRIVATE_DESTINATIONS: 'true', WEBHOOK_RETRY_BASE_MS: '50', WEBHOOK_RETRY_MAX_DELAY_MS: '200', WEBHOOK_TIMEOUT_MS: '5000' }, {
      [BUSY]: { result: 'busy', answerAfterMs: 100 },
    });
  });
  after(async () => {
    await e2e?.close();
    await receiver?.close();
  });

  test('a failing receiver: http-error attempts and a backlog; once it answers, deliveries, latency and an empty outbox', async () => {
    const scrape = await scraper(e2e);
    const before = await scrape();
    assert.equal(sample(before, 'engine_webhook_outbox_pending'), 0);
    const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: DEMO_FLOW_ID, numberToDial: BUSY, statusCallback: `${receiver.url}/cb` } });
    assert.equal(res.status, 200, res.text);
    assert.equal((await e2e.waitForSession(res.body.id, (s) => FINAL.has(s.state))).state, 'busy');

    // While the receiver fails, nothing is delivered and the events wait in the outbox.
    const backlog = await scrapeUntil(scrape, (t) => sample(t, 'engine_webhook_outbox_pending') >= 1 && sample(t, 'engine_webhook_attempts_total', { outcome: 'http-error' }) >= 1);
    assert.equal(sample(backlog, 'engine_webhook_deliveries_total', { outcome: 'delivered' }), 0);

    failing = false;
    const got = await receiver.waitFor((all) => all.some((r, i) => r.json?.type === 'session.ended' && answered[i] === 204));
    const events = new Set(got.map((r) => r.json.id as string));
    const done = await scrapeUntil(scrape, (t) => sample(t, 'engine_webhook_deliveries_total', { outcome: 'delivered' }) === events.size
      && sample(t, 'engine_webhook_outbox_pending') === 0);
    const failed = answered.filter((s) => s === 500).length;
    assert.equal(sample(done, 'engine_webhook_attempts_total', { outcome: 'http-error' }), failed);
    assert.equal(sample(done, 'engine_webhook_attempts_total', { outcome: 'delivered' }), events.size);
    assert.equal(sample(done, 'engine_webhook_delivery_duration_seconds_count'), events.size);
    assert.ok(sample(done, 'engine_webhook_delivery_duration_seconds_sum') > 0);
    assert.equal(sample(done, 'engine_webhook_deliveries_total', { outcome: 'abandoned' }), 0);
    assert.doesNotMatch(done.split('\n').filter((l) => l.startsWith('engine_webhook')).join('\n'), /127\.0\.0\.1|acc|sess_|evt_/, 'no URL, account or id in the labels');
  });
});

describe('webhook metrics: abandoned deliveries', () => {
  test('a destination refusing connections: connection-error attempts, then abandoned at the maximum age', async () => {
    const gone = await startReceiver();
    const url = `${gone.url}/cb`;
    await gone.close();
    const e2e = await startE2E({ ALLOW_PRIVATE_DESTINATIONS: 'true', WEBHOOK_RETRY_BASE_MS: '50', WEBHOOK_RETRY_MAX_DELAY_MS: '200', WEBHOOK_MAX_AGE_MS: '1000' }, {
      [BUSY]: { result: 'busy', answerAfterMs: 100 },
    });
    try {
      const scrape = await scraper(e2e);
      const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: DEMO_FLOW_ID, numberToDial: BUSY, statusCallback: url } });
      assert.equal(res.status, 200, res.text);
      await e2e.waitForSession(res.body.id, (s) => FINAL.has(s.state));
      const done = await scrapeUntil(scrape, (t) => sample(t, 'engine_webhook_deliveries_total', { outcome: 'abandoned' }) >= 1
        && sample(t, 'engine_webhook_outbox_pending') === 0);
      const deliveries = await e2e.request('GET', `/sessions/${res.body.id}`);
      const abandoned = (deliveries.body.webhookDeliveries as Array<{ status: string }>).filter((d) => d.status === 'abandoned').length;
      assert.equal(sample(done, 'engine_webhook_deliveries_total', { outcome: 'abandoned' }), abandoned);
      assert.ok(sample(done, 'engine_webhook_attempts_total', { outcome: 'connection-error' }) >= abandoned);
      assert.equal(sample(done, 'engine_webhook_deliveries_total', { outcome: 'delivered' }), 0);
    } finally {
      await e2e.close();
    }
  });
});
