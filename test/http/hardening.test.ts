// Bad input and abuse over real sockets: oversized, mistyped, malformed, hostile XML and JSON,
// control characters, slow clients. Always the ResponseStatus shape, never a 500, never a call.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { responseStatus, startHttpHarness, type HttpHarness } from '../support/http-harness.js';
import type { Flow } from '../../src/domain/model.js';

const NS = 'http://schemas.datacontract.org/2004/07/Voice.Api.Sessions';

/** Sends raw bytes and collects everything until the server closes the socket. */
function rawExchange(port: number, chunks: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => { data += d; });
    socket.on('error', reject);
    socket.on('close', () => resolve(data));
    socket.on('connect', () => { for (const c of chunks) socket.write(c); });
  });
}

describe('body hardening', () => {
  let h: HttpHarness;
  let flow: Flow;
  before(async () => {
    h = await startHttpHarness({ MAX_BODY_BYTES: '2048' });
    flow = await h.seedFlow();
    await h.seedNumber('+15551230000');
  });
  after(async () => { await h.close(); });

  const post = (raw: string, contentType = 'application/json', headers: Record<string, string> = {}) =>
    h.request('POST', '/sessions/outgoing', { raw, contentType, headers });
  const valid = () => JSON.stringify({ flowId: flow.id, numberToDial: '+18144043093' });

  test('oversized bodies → 413, declared or streamed', async () => {
    const big = JSON.stringify({ flowId: flow.id, numberToDial: '+18144043093', pad: 'x'.repeat(4000) });
    const res = await post(big);
    assert.equal(res.status, 413);
    assert.equal(responseStatus(res).errorCode, 'PayloadTooLarge');
    const token = h.token();
    const chunked = await rawExchange(h.port, [
      `POST /sessions/outgoing HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
      `${(4000).toString(16)}\r\n${'x'.repeat(4000)}\r\n0\r\n\r\n`,
    ]);
    assert.match(chunked, /^HTTP\/1\.1 413 /);
    assert.match(chunked, /"responseStatus"/);
  });

  test('missing, wrong or compressed content types → 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1']) {
      const res = await post(valid(), type);
      assert.equal(res.status, 415, type);
      assert.equal(responseStatus(res).errorCode, 'UnsupportedMediaType');
    }
    const gz = await fetch(`${h.base}/sessions/outgoing`, {
      method: 'POST', body: gzipSync(valid()),
      headers: { authorization: `Bearer ${h.token()}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    assert.equal(gz.status, 415);
    const noType = await rawExchange(h.port, [
      `POST /sessions/outgoing HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.token()}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    ]);
    assert.match(noType, /^HTTP\/1\.1 415 /);
  });

  test('malformed JSON and XML → 400', async () => {
    for (const raw of ['{', '{"flowId":}', 'nul', '"just a string"', '[1,2]', '\u00ff\u00fe']) {
      const res = await post(raw);
      assert.equal(res.status, 400, raw);
      responseStatus(res);
    }
    for (const raw of ['<NewOutgoingSession>', '<a><b></a></b>', 'not xml', `<NewOutgoingSession xmlns="${NS}"><FlowId>x</FlowId></NewOutgoingSession><Second/>`]) {
      const res = await post(raw, 'application/xml');
      assert.equal(res.status, 400, raw);
      assert.match(res.text, /<ErrorResponse /);
    }
    const notUtf8 = await fetch(`${h.base}/sessions/outgoing`, {
      method: 'POST', body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
      headers: { authorization: `Bearer ${h.token()}`, 'content-type': 'application/json' },
    });
    assert.equal(notUtf8.status, 400);
  });

  test('prototype keys, deep nesting, huge strings and control characters are refused', async () => {
    const placed = h.engine.placed.length;
    for (const raw of [
      `{"__proto__":{"admin":true},"flowId":"${flow.id}","numberToDial":"+18144043093"}`,
      `{"constructor":{"prototype":{"x":1}},"flowId":"${flow.id}","numberToDial":"+18144043093"}`,
      `{"a":{"prototype":1}}`,
      `${'['.repeat(500)}${']'.repeat(500)}`,
      `{"flowId":"${flow.id}","numberToDial":"+18144043093","x":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}`,
    ]) {
      const res = await post(raw);
      assert.equal(res.status, 400, raw.slice(0, 60));
      responseStatus(res);
    }
    for (const [field, value] of [['numberToDial', '+1814404\u00003093'], ['numberToDial', '+18144043093\u202e'], ['flowId', `${flow.id}\n`], ['callerId', '+1555\u200b1230000'], ['flowId', 'x'.repeat(1500)]] as const) {
      const res = await h.request('POST', '/sessions/outgoing', { body: { flowId: flow.id, numberToDial: '+18144043093', [field]: value } });
      assert.equal(res.status, 400, `${field}=${JSON.stringify(value)}`);
      assert.equal(responseStatus(res).errors[0]?.fieldName, field);
    }
    // Mixed scripts that look like digits are not digits.
    const arabic = await h.request('POST', '/sessions/outgoing', { body: { flowId: flow.id, numberToDial: '+١٨١٤٤٠٤٣٠٩٣' } });
    assert.equal(arabic.status, 400);
    assert.equal(h.engine.placed.length, placed, 'nothing invalid reached the engine');
  });

  test('XML with a DOCTYPE, external or parameter entities, or billion laughs is refused unexpanded', async () => {
    const lol = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><NewOutgoingSession xmlns="${NS}"><FlowId>&lol3;</FlowId></NewOutgoingSession>`;
    const xxe = `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><NewOutgoingSession xmlns="${NS}"><FlowId>&xxe;</FlowId></NewOutgoingSession>`;
    const param = `<?xml version="1.0"?><!doctype foo [<!ENTITY % ext SYSTEM "http://127.0.0.1:1/evil.dtd"> %ext;]><NewOutgoingSession/>`;
    const spaced = `<!  DOCTYPE x><NewOutgoingSession/>`;
    for (const raw of [lol, xxe, param, spaced]) {
      const res = await post(raw, 'application/xml');
      assert.equal(res.status, 400, raw.slice(0, 60));
      assert.match(res.text, /<ErrorCode>XmlDtdNotAllowed<\/ErrorCode>/);
      assert.doesNotMatch(res.text, /root:|lollol/);
    }
  });

  test('XML: predefined entities decode, unknown ones stay text, deep nesting is refused', async () => {
    const amp = await h.request('POST', '/phone-numbers', { raw: '<PhoneNumber><Number>+12025550100</Number><Name>A &amp; B &#x263A; &foo;</Name></PhoneNumber>', contentType: 'application/xml', headers: { accept: 'application/json' } });
    assert.equal(amp.status, 201, amp.text);
    assert.equal(amp.body.name, 'A & B \u263a &foo;');
    const deep = `<NewOutgoingSession xmlns="${NS}">${'<a>'.repeat(60)}${'</a>'.repeat(60)}</NewOutgoingSession>`;
    const res = await post(deep, 'application/xml');
    assert.equal(res.status, 400);
    assert.match(res.text, /<ErrorCode>XmlTooDeep<\/ErrorCode>/);
  });

  test('unknown routes and methods answer the ResponseStatus shape', async () => {
    const res = await h.request('GET', '/nowhere');
    assert.equal(res.status, 404);
    assert.equal(responseStatus(res).errorCode, 'NotFound');
    const unauth = await h.request('GET', '/nowhere', { token: null });
    assert.equal(unauth.status, 401, 'nothing is revealed without a token');
    assert.equal((await h.request('DELETE', '/sessions/outgoing')).status, 404);
  });
});

describe('slow clients and shutdown', () => {
  let h: HttpHarness;
  before(async () => {
    h = await startHttpHarness({}, { headersTimeoutMs: 300, requestTimeoutMs: 600, checkIntervalMs: 50, closeGraceMs: 100 });
  });
  after(async () => { await h.close(); });

  test('trickled headers time out with 408 and the connection closes', async () => {
    const reply = await rawExchange(h.port, ['GET /health HTTP/1.1\r\nHost: x\r\n']);
    assert.match(reply, /^HTTP\/1\.1 408 /);
  });

  test('a trickled body times out and the connection closes', async () => {
    const reply = await rawExchange(h.port, [
      `POST /flows HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.token()}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na`,
    ]);
    assert.match(reply, /^HTTP\/1\.1 408 /);
  });

  test('close() ends promptly with an idle keep-alive and a stalled request open', async () => {
    const other = await startHttpHarness({}, { headersTimeoutMs: 60_000, requestTimeoutMs: 120_000, closeGraceMs: 100 });
    const keepAlive = await fetch(`${other.base}/health`);
    await keepAlive.text();
    const stalled = connect(other.port, '127.0.0.1');
    await new Promise<void>((resolve) => stalled.on('connect', () => { stalled.write('GET /health HTTP/1.1\r\n'); resolve(); }));
    const closed = new Promise<void>((resolve) => stalled.on('close', () => resolve()));
    stalled.on('error', () => undefined);
    await other.close();
    await closed;
    assert.equal(stalled.destroyed, true);
  });
});

describe('server faults', () => {
  test('a failing store gives 500 in the ResponseStatus shape, without a stack, and /ready says so', async () => {
    const h = await startHttpHarness();
    try {
      await h.store.close();
      const res = await h.request('GET', '/flows');
      assert.equal(res.status, 500);
      const rs = responseStatus(res);
      assert.equal(rs.errorCode, 'InternalServerError');
      assert.doesNotMatch(res.text, /\.ts:\d+|SQLITE|at /);
      const ready = await h.request('GET', '/ready', { token: null });
      assert.equal(ready.status, 503);
      assert.equal(ready.body.database, false);
      assert.equal((await h.request('GET', '/health', { token: null })).status, 200);
    } finally {
      await h.close().catch(() => undefined);
    }
  });
});
