// Standard Webhooks: a receiver verifies every delivery with the `standardwebhooks` npm package
// (the receiver's side, as a user would write it), with the engine's generated secret and with a
// secret a user chose; a tampered body, a replay after the tolerance and a wrong secret are refused.
// Real HTTP API, real ari-client against the simulator, real SQLite, a real local receiver.
import { after, before, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { startE2E, type E2E } from '../support/e2e-stack.js';
import { startReceiver, type Receiver, type Received } from '../support/webhook-receiver.js';
import { verify as verifyLegacy } from '../../src/events/signature.js';

const FLOW = { name: 'Hello', steps: [{ id: 'hello', type: 'playback', media: ['sound:hello-world'] }, { id: 'bye', type: 'hangup' }] };
const CHOSEN_SECRET = 'my-own secret, chosen 2024';

const headersOf = (r: Received): Record<string, string> => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});

describe('Standard Webhooks signatures, verified with the standardwebhooks library', () => {
  let e2e: E2E;
  let receiver: Receiver;
  let generated: { id: string; secret: string; standardWebhooksSecret: string };
  let chosen: { id: string; secret: string; standardWebhooksSecret: string };
  let deliveries: Received[];

  before(async () => {
    receiver = await startReceiver();
    e2e = await startE2E({ ALLOW_PRIVATE_DESTINATIONS: 'true', WEBHOOK_RETRY_BASE_MS: '50' }, { '+18144043093': { result: 'answer', answerAfterMs: 50 } });
    const flowId = (await e2e.request('POST', '/flows', { body: FLOW })).body.id;
    const a = await e2e.request('POST', '/webhooks', { body: { url: `${receiver.url}/generated` } });
    assert.equal(a.status, 201, a.text);
    generated = a.body;
    const b = await e2e.request('POST', '/webhooks', { body: { url: `${receiver.url}/chosen`, secret: CHOSEN_SECRET } });
    assert.equal(b.status, 201, b.text);
    chosen = b.body;
    const placed = await e2e.request('POST', '/sessions/outgoing', { body: { flowId, numberToDial: '+18144043093', callerId: '+12125550100' } });
    assert.equal(placed.status, 200, placed.text);
    const ended = (r: Received, path: string) => r.path === path && r.json.sessionId === placed.body.id && r.json.type === 'session.ended';
    deliveries = await receiver.waitFor((all) => all.some((r) => ended(r, '/generated')) && all.some((r) => ended(r, '/chosen')));
  });
  after(async () => {
    await e2e?.close();
    await receiver?.close();
  });

  test('a generated secret is already in the whsec_ form the libraries take', () => {
    assert.match(generated.secret, /^whsec_[A-Za-z0-9+/]{32}$/);
    assert.equal(generated.standardWebhooksSecret, generated.secret);
  });

  test('a chosen secret keys with its UTF-8 bytes; standardWebhooksSecret is their whsec_ form', () => {
    assert.equal(chosen.secret, CHOSEN_SECRET);
    assert.equal(chosen.standardWebhooksSecret, `whsec_${Buffer.from(CHOSEN_SECRET).toString('base64')}`);
  });

  for (const which of ['generated', 'chosen'] as const) {
    test(`every delivery (${which} secret) verifies; webhook-id is the event id; the legacy header still verifies`, () => {
      const hook = which === 'generated' ? generated : chosen;
      const mine = deliveries.filter((r) => r.path === `/${which}`);
      assert.ok(mine.length >= 2, `several events delivered (${mine.length})`);
      const wh = new Webhook(hook.standardWebhooksSecret);
      for (const r of mine) {
        assert.deepEqual(wh.verify(r.body, headersOf(r)), r.json);
        assert.equal(r.headers['webhook-id'], r.json.id);
        assert.ok(verifyLegacy(hook.secret, r.headers['x-engine-signature'] as string, r.headers['x-engine-timestamp'] as string, r.body));
      }
    });
  }

  test('a tampered body is refused', () => {
    const r = deliveries.find((d) => d.path === '/generated')!;
    const tampered = r.body.replace(`"${r.json.type}"`, '"session.ended"');
    assert.notEqual(tampered, r.body);
    assert.throws(() => new Webhook(generated.standardWebhooksSecret).verify(tampered, headersOf(r)), WebhookVerificationError);
  });

  test('a delivery replayed after the tolerance (5 minutes) is refused', () => {
    const r = deliveries.find((d) => d.path === '/generated')!;
    const wh = new Webhook(generated.standardWebhooksSecret);
    const realNow = Date.now();
    const later = mock.method(Date, 'now', () => realNow + 6 * 60_000);
    try {
      assert.throws(() => wh.verify(r.body, headersOf(r)), /timestamp too old/i);
    } finally {
      later.mock.restore();
    }
    assert.deepEqual(wh.verify(r.body, headersOf(r)), r.json, 'the same delivery verifies now');
  });

  test('a wrong secret is refused (another whsec_ key, and the other webhook\'s secret)', () => {
    const r = deliveries.find((d) => d.path === '/generated')!;
    assert.throws(() => new Webhook(`whsec_${randomBytes(24).toString('base64')}`).verify(r.body, headersOf(r)), WebhookVerificationError);
    assert.throws(() => new Webhook(chosen.standardWebhooksSecret).verify(r.body, headersOf(r)), WebhookVerificationError);
  });

  test('the account\'s statusCallback secret comes with its Standard Webhooks form', async () => {
    const res = await e2e.request('GET', '/webhooks/signing-secret');
    assert.equal(res.status, 200, res.text);
    assert.match(res.body.secret, /^whsec_/);
    assert.equal(res.body.standardWebhooksSecret, res.body.secret);
  });
});
