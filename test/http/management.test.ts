// Flows, phone numbers and sessions over real HTTP: CRUD, versions, paging, filters, isolation, XML.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { responseStatus, SIMPLE_FLOW, startHttpHarness, type HttpHarness } from '../support/http-harness.js';
import { appendSessionEvent, setSessionVariable, updateSession } from '../support/session-writers.js';

const MENU = {
  name: 'Menu',
  steps: [
    { id: 'hello', type: 'playback', media: ['sound:hello-world', 'sound:press-1'] },
    { id: 'menu', type: 'gather', maxDigits: 1, timeoutMs: 3000, variable: 'choice', branches: { '1': 'yes', '2': 'bye' }, noInput: 'bye', noMatch: 'bye' },
    { id: 'yes', type: 'playback', media: ['sound:thank-you'], next: 'bye' },
    { id: 'bye', type: 'hangup' },
  ],
};

describe('/flows', () => {
  let h: HttpHarness;
  before(async () => { h = await startHttpHarness(); });
  after(async () => { await h.close(); });

  test('create, get, update (a new version, the old one kept), delete', async () => {
    const created = await h.request('POST', '/flows', { body: MENU });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.version, 1);
    assert.equal(created.body.name, 'Menu');
    assert.deepEqual(created.body.document, MENU);
    assert.equal(created.headers.get('location'), `/flows/${created.body.id}`);
    const id = created.body.id as string;

    const got = await h.request('GET', `/flows/${id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, created.body);

    const updated = await h.request('PUT', `/flows/${id}`, { body: { ...MENU, name: 'Menu v2' } });
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.body.version, 2);
    assert.equal((await h.request('GET', `/flows/${id}`)).body.name, 'Menu v2');
    assert.equal((await h.request('GET', `/flows/${id}?version=1`)).body.name, 'Menu');
    assert.equal((await h.request('GET', `/flows/${id}?version=9`)).status, 404);
    assert.equal((await h.request('GET', `/flows/${id}?version=x`)).status, 400);

    assert.equal((await h.request('DELETE', `/flows/${id}`)).status, 204);
    assert.equal((await h.request('GET', `/flows/${id}`)).status, 404);
    assert.equal((await h.request('DELETE', `/flows/${id}`)).status, 404);
    assert.equal((await h.request('PUT', `/flows/${id}`, { body: MENU })).status, 404);
  });

  test('an invalid flow document → 400 with field errors', async () => {
    const bad = { name: 'Bad', steps: [{ id: 'a', type: 'playback', media: ['sound:x'], next: 'nowhere' }, { id: 'b', type: 'teleport' }] };
    const res = await h.request('POST', '/flows', { body: bad });
    assert.equal(res.status, 400, res.text);
    const rs = responseStatus(res);
    assert.ok(rs.errors.length >= 2, res.text);
    assert.ok(rs.errors.every((e) => e.fieldName.startsWith('steps')), res.text);
    assert.equal((await h.request('POST', '/flows', { body: [] })).status, 400);
    assert.equal((await h.request('POST', '/flows')).status, 400);
  });

  test('paging: {items,totalCount,totalPages,hasMorePages}, in JSON and XML', async () => {
    const token = h.token({ accountId: 'pager' });
    for (let i = 0; i < 5; i++) await h.request('POST', '/flows', { token, body: { ...SIMPLE_FLOW, name: `F${i}` } });
    const p1 = await h.request('GET', '/flows?page=1&countPerPage=2', { token });
    assert.equal(p1.status, 200);
    assert.deepEqual(Object.keys(p1.body).sort(), ['hasMorePages', 'items', 'totalCount', 'totalPages']);
    assert.equal(p1.body.items.length, 2);
    assert.equal(p1.body.totalCount, 5);
    assert.equal(p1.body.totalPages, 3);
    assert.equal(p1.body.hasMorePages, true);
    const p3 = await h.request('GET', '/flows?page=3&countPerPage=2', { token });
    assert.equal(p3.body.items.length, 1);
    assert.equal(p3.body.hasMorePages, false);
    const all = await h.request('GET', '/flows', { token });
    assert.equal(all.body.items.length, 5);
    for (const q of ['page=0', 'page=-1', 'countPerPage=0', 'countPerPage=101', 'page=abc', 'page=1&page=2']) {
      const res = await h.request('GET', `/flows?${q}`, { token });
      assert.equal(res.status, 400, q);
    }
    const xml = await h.request('GET', '/flows.xml?countPerPage=2', { token });
    assert.match(xml.text, /<FlowList [^>]*><Items><Flow><Id>/);
    assert.match(xml.text, /<TotalCount>5<\/TotalCount><TotalPages>3<\/TotalPages><HasMorePages>true<\/HasMorePages>/);
  });

  test('a flow can be written in XML (DataContract lists and dictionaries) and read back the same', async () => {
    const created = await h.request('POST', '/flows', { body: MENU });
    const xml = await h.request('GET', `/flows/${created.body.id}.xml`);
    assert.equal(xml.status, 200);
    assert.match(xml.text, /<Media xmlns:a="[^"]+"><a:string>sound:hello-world<\/a:string>/);
    assert.match(xml.text, /<Branches xmlns:a="[^"]+"><a:KeyValueOfstringstring><a:Key>1<\/a:Key><a:Value>yes<\/a:Value>/);
    // The document element of the response is itself a valid request body.
    const doc = /<Document>(.*)<\/Document>/s.exec(xml.text)?.[1];
    assert.ok(doc);
    const again = await h.request('POST', '/flows', { raw: `<Flow>${doc}</Flow>`, contentType: 'application/xml', headers: { accept: 'application/json' } });
    assert.equal(again.status, 201, again.text);
    assert.deepEqual(again.body.document, MENU);
  });

  test('another account\'s flow is 404 for every verb', async () => {
    const created = await h.request('POST', '/flows', { body: MENU });
    const other = h.token({ accountId: 'other' });
    assert.equal((await h.request('GET', `/flows/${created.body.id}`, { token: other })).status, 404);
    assert.equal((await h.request('PUT', `/flows/${created.body.id}`, { token: other, body: MENU })).status, 404);
    assert.equal((await h.request('DELETE', `/flows/${created.body.id}`, { token: other })).status, 404);
    assert.equal((await h.request('GET', `/flows/${created.body.id}`)).status, 200);
  });
});

describe('/phone-numbers', () => {
  let h: HttpHarness;
  before(async () => { h = await startHttpHarness(); });
  after(async () => { await h.close(); });

  test('add (validated, unique), get, list, disable, delete', async () => {
    const added = await h.request('POST', '/phone-numbers', { body: { number: '+12025550100', name: 'Main' } });
    assert.equal(added.status, 201, added.text);
    assert.equal(added.body.enabled, true);
    assert.equal(added.body.number, '+12025550100');
    const id = added.body.id as string;

    const dup = await h.request('POST', '/phone-numbers', { body: { number: '+12025550100' } });
    assert.equal(dup.status, 409);
    const dupOther = await h.request('POST', '/phone-numbers', { token: h.token({ accountId: 'other' }), body: { Number: '+12025550100' } });
    assert.equal(dupOther.status, 409, 'numbers are unique across the engine');

    for (const number of ['2025550100', '+1202555010', 'abc', '', 12025550100]) {
      const res = await h.request('POST', '/phone-numbers', { body: { number } });
      assert.equal(res.status, 400, String(number));
      assert.equal(responseStatus(res).errors[0]?.fieldName, 'number');
    }
    assert.equal((await h.request('POST', '/phone-numbers', { body: { number: '+12025550101', enabled: 'maybe' } })).status, 400);

    const got = await h.request('GET', `/phone-numbers/${id}`);
    assert.deepEqual(got.body, added.body);
    const disabled = await h.request('PATCH', `/phone-numbers/${id}`, { body: { enabled: false } });
    assert.equal(disabled.status, 200);
    assert.equal(disabled.body.enabled, false);
    assert.equal(disabled.body.name, 'Main');
    const renamed = await h.request('PUT', `/phone-numbers/${id}`, { raw: '<PhoneNumber><Name>Desk</Name><Enabled>true</Enabled></PhoneNumber>', contentType: 'application/xml' });
    assert.equal(renamed.status, 200, renamed.text);
    assert.match(renamed.text, /<Name>Desk<\/Name>/);
    assert.match(renamed.text, /<Enabled>true<\/Enabled>/);
    assert.equal((await h.request('PATCH', `/phone-numbers/${id}`, { body: { number: '+12025550109' } })).status, 400);

    const list = await h.request('GET', '/phone-numbers');
    assert.equal(list.body.totalCount, 1);
    assert.equal((await h.request('GET', `/phone-numbers/${id}`, { token: h.token({ accountId: 'other' }) })).status, 404);
    assert.equal((await h.request('DELETE', `/phone-numbers/${id}`, { token: h.token({ accountId: 'other' }) })).status, 404);
    assert.equal((await h.request('DELETE', `/phone-numbers/${id}`)).status, 204);
    assert.equal((await h.request('GET', `/phone-numbers/${id}`)).status, 404);
  });
});

describe('/sessions', () => {
  let h: HttpHarness;
  let flowA: string;
  let flowB: string;
  const ids: string[] = [];
  before(async () => {
    h = await startHttpHarness();
    await h.seedNumber('+15551230000');
    flowA = (await h.seedFlow()).id;
    flowB = (await h.seedFlow()).id;
    for (const [flowId, numberToDial] of [[flowA, '+18144043093'], [flowA, '+12025550100'], [flowB, '+18144043093']] as const) {
      const res = await h.request('POST', '/sessions/outgoing', { body: { flowId, numberToDial } });
      assert.equal(res.status, 200, res.text);
      ids.push(res.body.id);
    }
    const first = ids[0] as string;
    await updateSession(h.store, first, { state: 'completed', dateEnded: new Date().toISOString() });
    await setSessionVariable(h.store, first, 'choice', '1');
    await appendSessionEvent(h.store, first, 'state', { state: 'completed' });
  });
  after(async () => { await h.close(); });

  test('GET /sessions/{id}: state, variables and the timeline; another account gets 404', async () => {
    const res = await h.request('GET', `/sessions/${ids[0]}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.state, 'completed');
    assert.deepEqual(res.body.variables, { choice: '1' });
    assert.ok(Array.isArray(res.body.timeline));
    assert.ok(res.body.timeline.some((e: any) => e.type === 'state' && e.data.state === 'completed'));
    const xml = await h.request('GET', `/sessions/${ids[0]}?format=xml`);
    assert.match(xml.text, /<Variables xmlns:a="[^"]+"><a:KeyValueOfstringstring><a:Key>choice<\/a:Key><a:Value>1<\/a:Value>/);
    assert.match(xml.text, /<Timeline><SessionEvent><Seq>/);
    assert.equal((await h.request('GET', `/sessions/${ids[0]}`, { token: h.token({ accountId: 'other' }) })).status, 404);
    assert.equal((await h.request('GET', '/sessions/nope')).status, 404);
  });

  test('GET /sessions filters by state, flowId, number and dates, and pages', async () => {
    const count = async (q: string) => {
      const res = await h.request('GET', `/sessions${q}`);
      assert.equal(res.status, 200, `${q}: ${res.text}`);
      return res.body.totalCount as number;
    };
    assert.equal(await count(''), 3);
    assert.equal(await count('?state=completed'), 1);
    assert.equal(await count('?state=queued'), 2);
    assert.equal(await count(`?flowId=${flowA}`), 2);
    assert.equal(await count(`?flowId=${flowB}&state=queued`), 1);
    assert.equal(await count('?number=%2B12025550100'), 1);
    assert.equal(await count('?number=+12025550100'), 1, 'an unencoded + still matches');
    assert.equal(await count('?number=%2B15551230000'), 3, 'caller IDs match too');
    assert.equal(await count('?dateFrom=2000-01-01&dateTo=2999-12-31'), 3);
    assert.equal(await count('?dateTo=2000-01-01'), 0);
    const today = new Date().toISOString().slice(0, 10);
    assert.equal(await count(`?dateTo=${today}`), 3, 'a bare dateTo covers its whole day');
    const page = await h.request('GET', '/sessions?countPerPage=2&page=2');
    assert.equal(page.body.items.length, 1);
    assert.equal(page.body.totalPages, 2);
    for (const q of ['?state=bogus', '?dateFrom=yesterday', '?dateFrom=2020-01-02&dateTo=2020-01-01', '?countPerPage=1000']) {
      assert.equal((await h.request('GET', `/sessions${q}`)).status, 400, q);
    }
    assert.equal((await h.request('GET', '/sessions', { token: h.token({ accountId: 'other' }) })).body.totalCount, 0);
  });
});
