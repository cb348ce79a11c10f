// How a request finds its operation, over real HTTP: the rules express's router applied when it
// served the operations, which the dispatcher (src/http/operations/router.ts) keeps.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { responseStatus, startHttpHarness, type HttpHarness } from '../support/http-harness.js';

describe('operation routing', () => {
  let h: HttpHarness;
  let id: string;
  before(async () => {
    h = await startHttpHarness();
    const flow = await h.seedFlow();
    await h.seedNumber('+15551230002');
    const placed = await h.request('POST', '/sessions/outgoing', { body: { flowId: flow.id, numberToDial: '+18144043093' } });
    assert.equal(placed.status, 200, placed.text);
    id = String(placed.body.id);
  });
  after(() => h.close());

  it('matches paths with ASCII letters in any case, custom and predefined', async () => {
    assert.equal((await h.request('GET', `/SESSIONS/${id}`)).body?.id, id);
    assert.equal((await h.request('GET', `/Api/getSession?sessionId=${id}`)).body?.id, id);
    assert.equal((await h.request('GET', `/JSON/Reply/GETSESSION?sessionId=${id}`)).body?.id, id);
    // The parameter itself keeps its case: another id.
    assert.equal((await h.request('GET', `/sessions/${id.toUpperCase()}`)).status, 404);
  });

  it('takes one optional trailing slash, not two', async () => {
    assert.equal((await h.request('GET', `/sessions/${id}/`)).body?.id, id);
    assert.equal((await h.request('GET', `/api/GetSession/?sessionId=${id}`)).body?.id, id);
    const two = await h.request('GET', `/sessions/${id}//`);
    assert.equal(two.status, 404);
    assert.equal(responseStatus(two).errorCode, 'NotFound');
    assert.match(responseStatus(two).message, /^No route for GET /);
  });

  it('serves HEAD with the GET route: its headers, no body', async () => {
    const get = await h.request('GET', `/sessions/${id}`);
    const head = await h.request('HEAD', `/sessions/${id}`);
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    assert.equal(head.headers.get('content-length'), get.headers.get('content-length'));
    assert.equal(head.headers.get('content-type'), 'application/json; charset=utf-8');
  });

  it('percent-decodes parameters; a malformed escape is a 400 BadRequest whatever the verb', async () => {
    const encoded = `%${id.charCodeAt(0).toString(16)}${id.slice(1)}`;
    assert.equal((await h.request('GET', `/sessions/${encoded}`)).body?.id, id);
    for (const method of ['GET', 'POST', 'PUT']) {
      const bad = await h.request(method, '/sessions/%E0%A4%A');
      assert.equal(bad.status, 400, `${method}: ${bad.text}`);
      assert.equal(responseStatus(bad).errorCode, 'BadRequest');
    }
    // Only once authenticated, as before any route was tried.
    assert.equal((await h.request('GET', '/sessions/%E0%A4%A', { token: null })).status, 401);
  });

  it('tries routes in their declared order: a literal route first, then the parameter', async () => {
    const get = await h.request('GET', '/sessions/outgoing');
    assert.equal(get.status, 404);
    assert.equal(responseStatus(get).errorCode, 'NotFound');
    assert.doesNotMatch(responseStatus(get).message, /No route/);
    const post = await h.request('POST', '/sessions/outgoing', { body: {} });
    assert.equal(post.status, 400);
    assert.ok(responseStatus(post).errors.some((e) => e.fieldName === 'numberToDial'));
  });

  it('answers a known path with a verb it does not take as an unknown path: token first, then 404', async () => {
    const put = await h.request('PUT', `/sessions/${id}`, { body: {} });
    assert.equal(put.status, 404);
    assert.equal(responseStatus(put).message, `No route for PUT /sessions/${id}`);
    assert.equal((await h.request('PUT', `/sessions/${id}`, { token: null })).status, 401);
    assert.equal((await h.request('POST', '/health', { token: null })).status, 401);
    const unknown = await h.request('GET', '/no-such-thing');
    assert.equal(unknown.status, 404);
    assert.equal(responseStatus(unknown).errorCode, 'NotFound');
  });

  it('answers OPTIONS with the verbs of the routes the path matches', async () => {
    const session = await h.request('OPTIONS', `/sessions/${id}`);
    assert.equal(session.status, 200);
    assert.equal(session.headers.get('allow'), 'DELETE, GET, HEAD');
    assert.equal(session.text, 'DELETE, GET, HEAD');
    assert.equal((await h.request('OPTIONS', `/sessions/${id}`, { token: null })).status, 401);
    const health = await h.request('OPTIONS', '/health', { token: null });
    assert.equal(health.status, 200);
    assert.equal(health.headers.get('allow'), 'GET, HEAD');
  });

  it('strips a format suffix before matching', async () => {
    const xml = await h.request('GET', `/sessions/${id}.xml`);
    assert.equal(xml.status, 200);
    assert.match(xml.headers.get('content-type') ?? '', /^application\/xml/);
    assert.match(xml.text, new RegExp(`<Id>${id}</Id>`));
  });

  it('answers If-None-Match: * on a GET with 304, as express did', async () => {
    // node's http client: fetch adds Cache-Control: no-cache to a conditional request.
    const get = (headers: Record<string, string>): Promise<{ status: number; text: string }> => new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: h.port, path: `/sessions/${id}`, headers: { authorization: `Bearer ${h.token()}`, ...headers } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { text += c; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      }).on('error', reject);
    });
    const fresh = await get({ 'if-none-match': '*' });
    assert.equal(fresh.status, 304);
    assert.equal(fresh.text, '');
    assert.equal((await get({ 'if-none-match': '*', 'cache-control': 'no-cache' })).status, 200);
    assert.equal((await get({})).status, 200);
  });
});
