// POST /sessions/outgoing over real HTTP: formats, validation, caller ID, idempotency, caps, readiness.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { responseStatus, startHttpHarness, type HttpHarness } from '../support/http-harness.js';
import type { Flow } from '../../src/domain/model.js';
import { updateSession } from '../support/session-writers.js';

const NS = 'http://schemas.datacontract.org/2004/07/Voice.Api.Sessions';
const OWNED = ['+15551230000', '+15551230001', '+15551230002'];

describe('POST /sessions/outgoing', () => {
  let h: HttpHarness;
  let flow: Flow;

  before(async () => {
    h = await startHttpHarness();
    flow = await h.seedFlow();
    for (const n of OWNED) await h.seedNumber(n);
    await h.seedNumber('+15551230009', 'acme', false);
    await h.seedNumber('+15559990000', 'other');
  });
  after(async () => { await h.close(); });
  beforeEach(() => { h.engine.ready = true; });

  const body = (extra: Record<string, unknown> = {}) => ({ flowId: flow.id, numberToDial: '+18144043093', callerId: '+15551230000', ...extra });

  test('JSON in, the created session out, and the engine gets the call', async () => {
    const before = h.engine.placed.length;
    const res = await h.request('POST', '/sessions/outgoing', { body: body() });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(Object.keys(res.body).sort(), ['accountId', 'callerId', 'dateCreated', 'direction', 'flowId', 'flowVersion', 'from', 'id', 'numberToDial', 'state', 'to'].sort());
    assert.equal(res.body.accountId, 'acme');
    assert.equal(res.body.flowVersion, 1);
    assert.equal(res.body.state, 'queued');
    assert.equal(h.engine.placed.length, before + 1);
    const placed = h.engine.placed.at(-1);
    assert.equal(placed?.session.id, res.body.id);
    assert.equal(placed?.session.endpoint, 'PJSIP/+18144043093@trunk');
    assert.equal(placed?.flow.id, flow.id);
  });

  test('PascalCase JSON properties are accepted', async () => {
    const res = await h.request('POST', '/sessions/outgoing', { body: { FlowId: flow.id, NumberToDial: '+18144043093', CallerId: '+15551230001' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.callerId, '+15551230001');
  });

  test('XML DataContract in (any element order, unknown ignored) → XML out', async () => {
    const xml = `<?xml version="1.0"?><NewOutgoingSession xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="${NS}"><NumberToDial>+18144043093</NumberToDial><Unknown>x</Unknown><FlowId>${flow.id}</FlowId><CallerId>+15551230002</CallerId></NewOutgoingSession>`;
    const res = await h.request('POST', '/sessions/outgoing', { raw: xml, contentType: 'application/xml' });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^application\/xml/);
    assert.match(res.text, new RegExp(`^<\\?xml[^>]*\\?><Session [^>]*xmlns="${NS}"`));
    assert.match(res.text, /<CallerId>\+15551230002<\/CallerId>/);
    assert.match(res.text, /<State>queued<\/State>/);
    assert.match(res.text, /<FlowVersion>1<\/FlowVersion>/);
  });

  test('XML with a wrong root or namespace is a 400 in XML', async () => {
    const wrongNs = `<NewOutgoingSession xmlns="urn:other"><FlowId>${flow.id}</FlowId><NumberToDial>+18144043093</NumberToDial></NewOutgoingSession>`;
    const res = await h.request('POST', '/sessions/outgoing', { raw: wrongNs, contentType: 'application/xml' });
    assert.equal(res.status, 400);
    assert.match(res.text, /<ErrorResponse [^>]*><ResponseStatus><ErrorCode>InvalidXmlNamespace<\/ErrorCode>/);
    const wrongRoot = `<Other><FlowId>${flow.id}</FlowId></Other>`;
    assert.equal((await h.request('POST', '/sessions/outgoing', { raw: wrongRoot, contentType: 'text/xml' })).status, 400);
  });

  test('the response format follows the suffix, then ?format=, then Accept, then the request type', async () => {
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['/sessions/outgoing.xml', {}, /^application\/xml/],
      ['/sessions/outgoing.json', { accept: 'application/xml' }, /^application\/json/],
      ['/sessions/outgoing?format=xml', {}, /^application\/xml/],
      ['/sessions/outgoing?format=json', { accept: 'application/xml' }, /^application\/json/],
      ['/sessions/outgoing', { accept: 'application/xml' }, /^application\/xml/],
      ['/sessions/outgoing', { accept: 'text/html, application/xml;q=0.9, application/json;q=0.5' }, /^application\/xml/],
      ['/sessions/outgoing', { accept: '*/*' }, /^application\/json/],
    ];
    for (const [path, headers, type] of cases) {
      const res = await h.request('POST', path, { body: body(), headers });
      assert.equal(res.status, 200, `${path}: ${res.text}`);
      assert.match(res.headers.get('content-type') ?? '', type, `${path} ${JSON.stringify(headers)}`);
    }
    const bad = await h.request('POST', '/sessions/outgoing?format=html', { body: body() });
    assert.equal(bad.status, 400);
    assert.equal(responseStatus(bad).errorCode, 'InvalidFormat');
  });

  test('JSONP wraps JSON for a valid callback and refuses an invalid one', async () => {
    const res = await h.request('POST', '/sessions/outgoing?callback=app.onSession', { body: body() });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^application\/javascript/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const m = /^\/\*\*\/app\.onSession\((.*)\);$/s.exec(res.text);
    assert.ok(m?.[1], res.text);
    assert.equal(JSON.parse(m[1]).numberToDial, '+18144043093');
    const placed = h.engine.placed.length;
    for (const cb of ['alert(1)', 'a-b', '1abc', 'x;y', '<script>', 'a'.repeat(300)]) {
      const bad = await h.request('POST', `/sessions/outgoing?callback=${encodeURIComponent(cb)}`, { body: body() });
      assert.equal(bad.status, 400, cb);
      assert.match(bad.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(responseStatus(bad).errorCode, 'InvalidCallback');
    }
    assert.equal(h.engine.placed.length, placed, 'no call for a refused request');
  });

  test('each invalid number is a 400 field error on numberToDial and never reaches the engine', async () => {
    const before = h.engine.placed.length;
    const bad: unknown[] = ['8144043093', '+1814404309', '+999123', 'abc', '+1814404309@', '+1/8144043093', '+1&8144043093',
      '+18144043093,+1', '+1 814 404 3093', '', '+123456789012345678901234567890', 18144043093, null, ['+18144043093']];
    for (const n of bad) {
      const res = await h.request('POST', '/sessions/outgoing', { body: body({ numberToDial: n }) });
      assert.equal(res.status, 400, `${JSON.stringify(n)}: ${res.text}`);
      const rs = responseStatus(res);
      assert.equal(rs.errorCode, 'ValidationException');
      assert.equal(rs.errors[0]?.fieldName, 'numberToDial', JSON.stringify(n));
    }
    const missing = await h.request('POST', '/sessions/outgoing', { body: { flowId: flow.id } });
    assert.equal(missing.status, 400);
    assert.equal(responseStatus(missing).errors[0]?.fieldName, 'numberToDial');
    assert.equal(h.engine.placed.length, before);
  });

  test('a premium-rate destination is refused by the default policy', async () => {
    const res = await h.request('POST', '/sessions/outgoing', { body: body({ numberToDial: '+19002530000' }) });
    assert.equal(res.status, 400, res.text);
    assert.equal(responseStatus(res).errors[0]?.fieldName, 'numberToDial');
  });

  test('callerId must be an enabled number the account owns', async () => {
    const before = h.engine.placed.length;
    for (const callerId of ['+15551239999', '+15551230009', '+15559990000', 'not-a-number', 5551230000]) {
      const res = await h.request('POST', '/sessions/outgoing', { body: body({ callerId }) });
      assert.equal(res.status, 400, `${callerId}: ${res.text}`);
      assert.equal(responseStatus(res).errors[0]?.fieldName, 'callerId');
    }
    assert.equal(h.engine.placed.length, before);
  });

  test('an omitted callerId picks an owned, enabled number, each of them over many calls', async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      const res = await h.request('POST', '/sessions/outgoing', { body: { flowId: flow.id, numberToDial: '+18144043093' } });
      assert.equal(res.status, 200, res.text);
      seen.set(res.body.callerId, (seen.get(res.body.callerId) ?? 0) + 1);
    }
    assert.deepEqual([...seen.keys()].sort(), OWNED);
  });

  test('an account with no enabled number gets a 400 saying so', async () => {
    const lonelyFlow = await h.seedFlow('lonely');
    const res = await h.request('POST', '/sessions/outgoing', { token: h.token({ accountId: 'lonely' }), body: { flowId: lonelyFlow.id, numberToDial: '+18144043093' } });
    assert.equal(res.status, 400);
    const rs = responseStatus(res);
    assert.equal(rs.errors[0]?.errorCode, 'NoCallerId');
    assert.match(rs.message, /no enabled phone number/);
  });

  test('an unknown flow and another account\'s flow are both 404', async () => {
    const otherFlow = await h.seedFlow('other');
    for (const flowId of ['does-not-exist', otherFlow.id]) {
      const res = await h.request('POST', '/sessions/outgoing', { body: body({ flowId }) });
      assert.equal(res.status, 404, res.text);
      assert.equal(responseStatus(res).errorCode, 'NotFound');
    }
    const missing = await h.request('POST', '/sessions/outgoing', { body: { numberToDial: '+18144043093' } });
    assert.equal(missing.status, 400);
    assert.equal(responseStatus(missing).errors[0]?.fieldName, 'flowId');
  });

  test('engine not ready → 503 with Retry-After and nothing placed', async () => {
    h.engine.ready = false;
    const before = h.engine.placed.length;
    const res = await h.request('POST', '/sessions/outgoing', { body: body() });
    assert.equal(res.status, 503);
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    assert.equal(responseStatus(res).errorCode, 'ServiceUnavailable');
    assert.equal(h.engine.placed.length, before);
  });

  test('Idempotency-Key: same body → same session, no second call; other body → 422', async () => {
    const key = `key-${Date.now()}`;
    const first = await h.request('POST', '/sessions/outgoing', { body: body(), headers: { 'idempotency-key': key } });
    assert.equal(first.status, 200, first.text);
    const placed = h.engine.placed.length;
    const again = await h.request('POST', '/sessions/outgoing', { body: body(), headers: { 'idempotency-key': key } });
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(h.engine.placed.length, placed, 'no second call');
    const other = await h.request('POST', '/sessions/outgoing', { body: body({ numberToDial: '+12025550100' }), headers: { 'idempotency-key': key } });
    assert.equal(other.status, 422);
    assert.equal(responseStatus(other).errorCode, 'IdempotencyKeyReused');
    // The same key in another account is another key.
    await h.seedNumber('+15557770000', 'acme2');
    const flow2 = await h.seedFlow('acme2');
    const elsewhere = await h.request('POST', '/sessions/outgoing', {
      token: h.token({ accountId: 'acme2' }), body: { flowId: flow2.id, numberToDial: '+18144043093' }, headers: { 'idempotency-key': key },
    });
    assert.equal(elsewhere.status, 200, elsewhere.text);
    assert.notEqual(elsewhere.body.id, first.body.id);
    const bad = await h.request('POST', '/sessions/outgoing', { body: body(), headers: { 'idempotency-key': 'x'.repeat(300) } });
    assert.equal(bad.status, 400);
  });

  test('concurrent requests with one Idempotency-Key place exactly one call', async () => {
    const key = `race-${Date.now()}`;
    const placed = h.engine.placed.length;
    const replies = await Promise.all(Array.from({ length: 8 }, () => h.request('POST', '/sessions/outgoing', { body: body(), headers: { 'idempotency-key': key } })));
    assert.ok(replies.every((r) => r.status === 200));
    assert.equal(new Set(replies.map((r) => r.body.id)).size, 1);
    assert.equal(h.engine.placed.length, placed + 1);
  });
});

describe('per-account caps', () => {
  let h: HttpHarness;
  let flow: Flow;
  before(async () => {
    h = await startHttpHarness({ MAX_CALLS_PER_SECOND_PER_ACCOUNT: '3', MAX_LIVE_CALLS_PER_ACCOUNT: '5' });
    flow = await h.seedFlow();
    await h.seedNumber('+15551230000');
  });
  after(async () => { await h.close(); });

  const place = () => h.request('POST', '/sessions/outgoing', { body: { flowId: flow.id, numberToDial: '+18144043093' } });

  test('calls per second beyond the cap → 429 with Retry-After; the next second is open again', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await place()).status, 200);
    const refused = await place();
    assert.equal(refused.status, 429);
    assert.equal(responseStatus(refused).errorCode, 'TooManyCalls');
    assert.equal(refused.headers.get('retry-after'), '1');
    h.clock.now += 1001;
    assert.equal((await place()).status, 200);
  });

  test('live calls beyond the cap → 429 with Retry-After, freed when a call ends', async () => {
    h.clock.now += 1001;
    assert.equal((await place()).status, 200); // 5 live now
    const refused = await place();
    assert.equal(refused.status, 429);
    assert.equal(responseStatus(refused).errorCode, 'TooManyLiveCalls');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    const first = h.engine.placed[0];
    assert.ok(first);
    await updateSession(h.store, first.session.id, { state: 'completed', dateEnded: new Date().toISOString() });
    assert.equal((await place()).status, 200);
    assert.equal(h.engine.placed.length, 6);
  });
});
