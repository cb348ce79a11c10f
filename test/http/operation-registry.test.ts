// The registry is the only source of routes: every route express serves is declared by an operation
// (or a metadata page), and every declared one is served. Then the predefined routes over real HTTP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type express from 'express';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/log.js';
import { OPERATIONS } from '../../src/http/operations/registry.js';
import { operationRoutes, RouteTable } from '../../src/http/operations/router.js';
import { formatSuffix } from '../../src/http/respond.js';
import { METADATA_PAGES } from '../../src/http/metadata/pages.js';
import { CONSOLE_PAGES } from '../../src/http/console-routes.js';
import { METRICS_PAGES } from '../../src/http/metrics-route.js';
import { createEngineMetrics } from '../../src/metrics/engine-metrics.js';
import { responseStatus, startHttpHarness, type HttpHarness } from '../support/http-harness.js';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every (method, path) express would route, through nested routers (all mounted at the root). */
function servedRoutes(app: express.Express): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[]): void => {
    for (const layer of stack) {
      if (layer.route) {
        for (const m of Object.keys(layer.route.methods)) out.push(`${m === '_all' ? 'all' : m} ${layer.route.path}`);
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return out.sort();
}

describe('operation registry', () => {
  let h: HttpHarness;
  before(async () => {
    h = await startHttpHarness();
  });
  after(() => h.close());

  it('express serves exactly the pages declared, and no page path is an operation route', () => {
    const app = buildApp({ config: h.config, store: h.store, engine: h.engine, logger: createLogger('silent'), isReady: async () => true, metrics: createEngineMetrics() });
    const pages = [...METADATA_PAGES, ...CONSOLE_PAGES, ...METRICS_PAGES];
    assert.deepEqual(servedRoutes(app.pages), pages.map((p) => `get ${p}`).sort());
    const operations = new RouteTable(OPERATIONS);
    for (const page of pages) assert.equal(operations.match('GET', formatSuffix(page).path), undefined, page);
    const declared = OPERATIONS.flatMap(operationRoutes).map((r) => `${r.method} ${r.path}`);
    assert.equal(new Set(declared).size, declared.length, 'no route declared twice');
  });

  it('names the operations as the original service does', () => {
    const names = OPERATIONS.map((o) => o.name);
    for (const n of ['NewOutgoingSession', 'ListSessions', 'GetSession', 'EndSession', 'ListFlows', 'GetFlow', 'NewFlow', 'PatchFlow',
      'DeleteFlow', 'CopyFlow', 'ListPhoneNumbers', 'GetPhoneNumber', 'NewPhoneNumber', 'PatchPhoneNumber', 'DeletePhoneNumber']) {
      assert.ok(names.includes(n), n);
    }
  });

  it('predefined routes bind the DTO from body and query, in JSON and XML', async () => {
    const flow = await h.seedFlow();
    await h.seedNumber('+15551230001');
    const dto = { flowId: flow.id, numberToDial: '+18144043093' };
    const api = await h.request('POST', '/api/NewOutgoingSession', { body: dto });
    assert.equal(api.status, 200, api.text);
    assert.equal(api.body.state, 'queued');
    const pascal = await h.request('POST', '/json/reply/NewOutgoingSession', { body: { FlowId: flow.id, NumberToDial: '+18144043093' }, headers: { accept: 'application/xml' } });
    assert.equal(pascal.status, 200, pascal.text);
    assert.match(pascal.headers.get('content-type') ?? '', /^application\/json/);
    const xml = await h.request('POST', '/xml/reply/NewOutgoingSession', {
      raw: `<NewOutgoingSession xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/Voice.Api.Sessions"><FlowId>${flow.id}</FlowId><NumberToDial>+18144043093</NumberToDial></NewOutgoingSession>`,
      contentType: 'application/xml',
    });
    assert.equal(xml.status, 200, xml.text);
    assert.match(xml.text, /^<\?xml[^>]*\?><Session [^>]*xmlns="http:\/\/schemas.datacontract.org\/2004\/07\/Voice.Api.Sessions"><Id>[^<]+<\/Id>/);
    const oneway = await h.request('POST', '/json/oneway/NewOutgoingSession', { body: dto });
    assert.equal(oneway.status, 204);
    assert.equal(h.engine.placed.length, 4);

    const got = await h.request('GET', `/api/GetSession?sessionId=${api.body.id}`);
    assert.equal(got.status, 200, got.text);
    assert.equal(got.body.id, api.body.id);
    const missing = await h.request('GET', '/api/GetSession');
    assert.equal(missing.status, 400);
    assert.equal(responseStatus(missing).errors[0]?.fieldName, 'sessionId');
    const listed = await h.request('GET', '/json/reply/ListSessions?countPerPage=2&page=2');
    assert.equal(listed.status, 200, listed.text);
    assert.equal(listed.body.totalCount, 4);
    assert.equal(listed.body.items.length, 2);
  });

  it('an invalid number gets a ResponseStatus with the numberToDial field error on every route', async () => {
    const flow = await h.seedFlow();
    for (const path of ['/sessions/outgoing', '/api/NewOutgoingSession', '/json/reply/NewOutgoingSession']) {
      const res = await h.request('POST', path, { body: { flowId: flow.id, numberToDial: '+1814404309' } });
      assert.equal(res.status, 400, path);
      const rs = responseStatus(res);
      assert.equal(rs.errors[0]?.fieldName, 'numberToDial');
      assert.equal(rs.errors[0]?.errorCode, 'InvalidPhoneNumber');
    }
    const unknown = await h.request('POST', '/api/NoSuchOperation', { body: {} });
    assert.equal(unknown.status, 404);
  });
});
