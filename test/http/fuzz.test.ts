// Property-based fuzzing of the whole HTTP API: generated methods, paths, queries, tokens, content
// types and bodies (near-valid and hostile). Every answer is 2xx/4xx in the ResponseStatus shape,
// the process keeps serving, and every call the engine received was fully valid.
// Fixed seed by default; FUZZ_SEED and FUZZ_RUNS for longer runs (e.g. FUZZ_RUNS=20000).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fc from 'fast-check';
import { checkE164 } from '../../src/domain/e164.js';
import { checkDestination } from '../../src/domain/destination-policy.js';
import { startHttpHarness, type HttpHarness } from '../support/http-harness.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20260101);
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const NS = 'http://schemas.datacontract.org/2004/07/Voice.Api.Sessions';
const OWNED = ['+15551230000', '+15551230001'];

describe('HTTP API fuzz', () => {
  let h: HttpHarness;
  let flowId: string;
  /** Targets of generated PUT/PATCH/DELETE: not the flow and numbers the valid calls use. */
  let spareFlowId: string;
  let numberId: string;
  const statuses = new Map<number, number>();

  before(async () => {
    h = await startHttpHarness();
    flowId = (await h.seedFlow()).id;
    for (const n of OWNED) await h.seedNumber(n);
    await h.seedNumber('+15551230009', 'acme', false);
    spareFlowId = (await h.seedFlow()).id;
    numberId = (await h.store.findPhoneNumberByNumber('acme', '+15551230009'))?.id ?? '';
  });
  after(async () => {
    await h.close();
    process.stdout.write(`# fuzz: ${RUNS} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}\n`);
  });

  test('every generated request gets a 2xx/4xx answer in the API shape, and no invalid call is placed', async () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    const phoneish = fc.oneof(
      fc.constantFrom('+18144043093', '+12025550100', '+19002530000', '8144043093', '+999123', '', '+1 814 404 3093', '+18144043093\u0000', '+١٨١٤٤٠٤٣٠٩٣'),
      fc.stringMatching(/^\+?[0-9 ()@/&,.-]{0,32}$/),
      text,
      fc.integer(),
      fc.constant(null),
    );
    const outgoing = fc.record({
      flowId: fc.oneof(fc.constant(flowId), text, fc.constant('missing')),
      numberToDial: phoneish,
      callerId: fc.oneof(fc.constantFrom(...OWNED, '+15551230009', '+15559999999'), phoneish, fc.constant(undefined)),
    }, { requiredKeys: [] });
    const toXml = (o: Record<string, unknown>) => `<NewOutgoingSession xmlns="${NS}">${Object.entries(o)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `<${k[0]?.toUpperCase()}${k.slice(1)}>${String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;')}</${k[0]?.toUpperCase()}${k.slice(1)}>`)
      .join('')}</NewOutgoingSession>`;
    const validOutgoing = fc.record({
      flowId: fc.constant(flowId),
      numberToDial: fc.constantFrom('+18144043093', '+12025550100', '+442079460000'),
      callerId: fc.constantFrom(...OWNED, undefined),
    }).map((o) => ({ raw: JSON.stringify(o), type: 'application/json' }));
    const body = fc.oneof(
      { arbitrary: validOutgoing, weight: 2 },
      outgoing.map((o) => ({ raw: JSON.stringify(o), type: 'application/json' })),
      outgoing.map((o) => ({ raw: toXml(o), type: 'application/xml' })),
      fc.json({ maxDepth: 6 }).map((raw) => ({ raw, type: 'application/json' })),
      fc.jsonValue({ maxDepth: 3 }).map((v) => ({ raw: JSON.stringify({ name: 'F', steps: v }), type: 'application/json' })),
      fc.record({ number: phoneish, name: text, enabled: fc.oneof(fc.boolean(), text) }).map((o) => ({ raw: JSON.stringify(o), type: 'application/json' })),
      fc.tuple(text, fc.constantFrom('application/json', 'application/xml', 'text/plain', 'text/xml; charset=utf-16')).map(([raw, type]) => ({ raw, type })),
      fc.constantFrom(
        { raw: '<!DOCTYPE x [<!ENTITY a "aaaa">]><NewOutgoingSession>&a;</NewOutgoingSession>', type: 'application/xml' },
        { raw: '{"__proto__":{"x":1}}', type: 'application/json' },
        { raw: `${'['.repeat(100)}${']'.repeat(100)}`, type: 'application/json' },
      ),
      fc.constant(undefined),
    );
    const paths = fc.oneof(
      fc.constant('/sessions/outgoing'),
      fc.constantFrom('/sessions/outgoing', '/sessions/outgoing.json', '/sessions/outgoing.xml', '/flows', '/phone-numbers', '/sessions', '/health', '/ready', '/', '/x/y'),
      fc.constant(`/flows/${spareFlowId}`),
      fc.constant(`/phone-numbers/${numberId}`),
      fc.tuple(fc.constantFrom('/flows/', '/phone-numbers/', '/sessions/'), text).map(([p, id]) => p + encodeURIComponent(id)),
    );
    const query = fc.dictionary(
      fc.constantFrom('format', 'callback', 'page', 'countPerPage', 'state', 'flowId', 'number', 'dateFrom', 'dateTo', 'accountId', 'version', 'access_token'),
      fc.oneof(text, fc.constantFrom('json', 'xml', 'cb', '1', '0', '2026-01-01', 'completed', 'acme', 'other')),
      { maxKeys: 3 },
    ).map((q) => {
      const s = new URLSearchParams(q).toString();
      return s ? `?${s}` : '';
    });
    const token = fc.constantFrom('manager', 'manager', 'manager', 'admin', 'norole', 'garbage', 'none');
    const accept = fc.constantFrom(undefined, 'application/json', 'application/xml', 'text/html', '*/*');
    const request = fc.record({ method: fc.constantFrom('POST', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE'), path: paths, query, token, body, accept, key: fc.option(fc.constantFrom('k1', 'k2'), { nil: undefined }) });

    const tokens: Record<string, string | null> = {
      manager: h.token(),
      admin: h.token({ roles: ['SystemAdministrator'] }),
      norole: h.token({ roles: ['Viewer'] }),
      garbage: 'a.b.c',
      none: null,
    };

    // node:http with a keep-alive agent: several times faster than fetch, so thousands of runs stay quick.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const send = (method: string, path: string, headers: Record<string, string>, payload: string | undefined) =>
      new Promise<{ status: number; headers: Headers; text: string }>((resolve, reject) => {
        // Node's client sends a DELETE body unframed unless told its length.
        if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
        const req = http.request({ host: '127.0.0.1', port: h.port, method, path, headers, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({
            status: res.statusCode ?? 0,
            headers: new Headers({ 'content-type': res.headers['content-type'] ?? '' }),
            text: Buffer.concat(chunks).toString('utf8'),
          }));
        });
        req.on('error', reject);
        req.end(payload);
      });

    await fc.assert(fc.asyncProperty(request, async (r) => {
      const headers: Record<string, string> = {};
      if (r.accept) headers.accept = r.accept;
      if (r.key) headers['idempotency-key'] = r.key;
      if (r.body) headers['content-type'] = r.body.type;
      const auth = tokens[r.token];
      if (auth) headers.authorization = `Bearer ${auth}`;
      const res = await send(r.method, r.path + r.query, headers, r.method !== 'GET' ? r.body?.raw : undefined);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      assert.ok(res.status >= 200 && res.status < 500, `${res.status} for ${JSON.stringify(r)}: ${res.text.slice(0, 300)}`);
      if (res.status >= 400) {
        const type = res.headers.get('content-type') ?? '';
        if (type.includes('xml')) assert.match(res.text, /<ErrorResponse [^>]*><ResponseStatus><ErrorCode>[^<]+<\/ErrorCode><Message>/);
        else {
          const json = type.includes('javascript') ? /^\/\*\*\/[\w$.]+\((.*)\);$/s.exec(res.text)?.[1] ?? '' : res.text;
          const rs = (JSON.parse(json) as { responseStatus?: { errorCode?: unknown; message?: unknown; errors?: unknown } }).responseStatus;
          assert.ok(rs && typeof rs.errorCode === 'string' && typeof rs.message === 'string' && Array.isArray(rs.errors), res.text);
        }
        assert.ok(!/at .+\.ts:\d+/.test(res.text), 'no stack trace');
      }
    }), { seed: SEED, numRuns: RUNS }).finally(() => agent.destroy());

    const policy = { allowedDestinations: h.config.allowedDestinations, blockedNumberTypes: h.config.blockedNumberTypes };
    for (const { session } of h.engine.placed) {
      const dial = checkE164(session.numberToDial, 'numberToDial');
      assert.ok(dial.ok && dial.e164 === session.numberToDial, session.numberToDial);
      assert.equal(checkDestination(session.numberToDial, policy), undefined);
      assert.ok(OWNED.includes(session.callerId), session.callerId);
      assert.equal(session.flowId, flowId);
    }
    assert.ok(h.engine.placed.length > 0, 'the generator reaches valid calls too');
    assert.equal((await h.request('GET', '/health', { token: null })).status, 200);
  });
});
