// The webhook and control operations over real HTTP without private destinations allowed (the
// default): URLs to loopback/private/metadata addresses are refused at save time with a field
// error in the ResponseStatus shape; XML works like JSON; a session this engine does not run is 409.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startHttpHarness, type HttpHarness } from '../support/http-harness.js';

describe('webhook operations, default destination policy', () => {
  let h: HttpHarness;
  before(async () => { h = await startHttpHarness(); });
  after(() => h.close());

  it('refuses private and metadata URLs for webhooks and statusCallback, with field errors', async () => {
    for (const url of ['http://127.0.0.1:8080/h', 'http://169.254.169.254/latest', 'http://localhost/h', 'http://10.0.0.5/h']) {
      const res = await h.request('POST', '/webhooks', { body: { url } });
      assert.equal(res.status, 400, url);
      assert.equal(res.body.responseStatus.errors[0].fieldName, 'url');
      assert.equal(res.body.responseStatus.errors[0].errorCode, 'InvalidUrl');
    }
    const flow = await h.seedFlow();
    const call = await h.request('POST', '/sessions/outgoing', { body: { flowId: flow.id, numberToDial: '+18144043093', statusCallback: 'http://192.168.1.10/cb', statusCallbackEvents: ['session.bogus'] } });
    assert.equal(call.status, 400);
    assert.deepEqual(call.body.responseStatus.errors.map((e: any) => e.fieldName).sort(), ['statusCallback', 'statusCallbackEvents']);
  });

  it('creates, reads, patches and deletes a public webhook; XML reads the same', async () => {
    const created = await h.request('POST', '/webhooks', { body: { url: 'https://hooks.example.com/calls', events: ['session.answered'], secret: 'a-secret-of-20-chars!' } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.get('location'), `/webhooks/${created.body.id}`);
    assert.deepEqual(created.body.events, ['session.answered']);
    const xml = await h.request('GET', `/xml/reply/GetWebhook?webhookId=${created.body.id}`);
    assert.equal(xml.status, 200);
    assert.match(xml.text, /<Url>https:\/\/hooks.example.com\/calls<\/Url>/);
    const short = await h.request('PATCH', `/webhooks/${created.body.id}`, { body: { secret: 'short' } });
    assert.equal(short.status, 400);
    const off = await h.request('PATCH', `/webhooks/${created.body.id}`, { body: { enabled: false } });
    assert.equal(off.body.enabled, false);
    assert.equal(off.body.url, 'https://hooks.example.com/calls');
    const deliveries = await h.request('GET', `/webhooks/${created.body.id}/deliveries`);
    assert.equal(deliveries.status, 200);
    assert.deepEqual(deliveries.body.items, []);
    assert.equal((await h.request('DELETE', `/webhooks/${created.body.id}`)).status, 204);
    assert.equal((await h.request('GET', `/webhooks/${created.body.id}`)).status, 404);
  });

  it('controls on a session this engine does not run answer 409 SessionNotLive', async () => {
    const flow = await h.seedFlow();
    await h.seedNumber('+15551230009');
    const call = await h.request('POST', '/sessions/outgoing', { body: { flowId: flow.id, numberToDial: '+18144043093', callerId: '+15551230009' } });
    assert.equal(call.status, 200, call.text);
    const res = await h.request('POST', `/sessions/${call.body.id}/hold`, { body: { hold: true } });
    assert.equal(res.status, 409);
    assert.equal(res.body.responseStatus.errorCode, 'SessionNotLive');
    const bad = await h.request('POST', `/sessions/${call.body.id}/redirect`, { body: {} });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.responseStatus.errors[0].fieldName, 'flowId');
  });
});
