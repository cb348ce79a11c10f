// ListRequest paging and sorting as the original service names it, CSV for the lists (RFC 4180,
// formula-safe), EndSession, PatchFlow and CopyFlow, over real HTTP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { responseStatus, startHttpHarness, type HttpHarness } from '../support/http-harness.js';
import { updateSession } from '../support/session-writers.js';

describe('lists, CSV and the session and flow operations', () => {
  let h: HttpHarness;
  const ids: string[] = [];
  before(async () => {
    h = await startHttpHarness();
    for (const [n, name] of [['+12025550101', '=HYPERLINK("x")'], ['+12025550102', 'Desk, "main"'], ['+12025550103', 'Alpha']] as const) {
      const res = await h.request('POST', '/phone-numbers', { body: { number: n, name } });
      assert.equal(res.status, 201, res.text);
      ids.push(res.body.id);
    }
  });
  after(() => h.close());

  it('sortField/sortOrder, specificIds, all and simplifiedPaging', async () => {
    const byName = await h.request('GET', '/phone-numbers?sortField=name&sortOrder=Ascend');
    assert.deepEqual(byName.body.items.map((n: any) => n.name), ['=HYPERLINK("x")', 'Alpha', 'Desk, "main"']);
    const desc = await h.request('GET', '/api/ListPhoneNumbers?sortField=number&sortOrder=Descend&countPerPage=2');
    assert.deepEqual(desc.body.items.map((n: any) => n.number), ['+12025550103', '+12025550102']);
    assert.equal(desc.body.totalPages, 2);
    const specific = await h.request('GET', `/phone-numbers?specificIds=${ids[0]},${ids[2]}`);
    assert.deepEqual(specific.body.items.map((n: any) => n.id).sort(), [ids[0], ids[2]].sort());
    assert.equal(specific.body.totalCount, 2);
    const all = await h.request('GET', '/phone-numbers?all=true&countPerPage=1&page=3');
    assert.equal(all.body.items.length, 3);
    const simple = await h.request('GET', '/phone-numbers?simplifiedPaging=true&countPerPage=1');
    assert.deepEqual(Object.keys(simple.body).sort(), ['hasMorePages', 'items']);
    assert.equal(simple.body.hasMorePages, true);
    for (const bad of ['sortField=password', 'sortOrder=Sideways', 'page=0', 'all=maybe']) {
      const res = await h.request('GET', `/phone-numbers?${bad}`);
      assert.equal(res.status, 400, bad);
      assert.equal(responseStatus(res).errors[0]?.fieldName, bad.split('=')[0]);
    }
  });

  it('lists as CSV by suffix, ?format= and Accept: a header row, RFC 4180 quoting, formula cells prefixed', async () => {
    const bySuffix = await h.request('GET', '/phone-numbers.csv?sortField=number');
    assert.equal(bySuffix.status, 200);
    assert.match(bySuffix.headers.get('content-type') ?? '', /^text\/csv/);
    const lines = bySuffix.text.split('\r\n');
    assert.equal(lines[0], 'id,accountId,number,name,enabled,inboundFlowId,dateCreated,dateModified');
    assert.equal(lines.length, 5); // header, three rows, the final CRLF
    assert.match(lines[1] ?? '', new RegExp(`^${ids[0]},acme,'\\+12025550101,"'=HYPERLINK\\(""x""\\)",true,`));
    assert.match(lines[2] ?? '', /,"Desk, ""main""",true,/);
    for (const [name, cell] of [['@SUM(A1)', "'@SUM(A1)"], ['-2+3', "'-2+3"]] as const) {
      assert.equal((await h.request('PATCH', `/phone-numbers/${ids[2]}`, { body: { name } })).status, 200);
      const one = await h.request('GET', `/phone-numbers.csv?specificIds=${ids[2]}`);
      assert.equal(one.text.split('\r\n')[1]?.split(',')[3], cell, name);
    }
    const byParam = await h.request('GET', '/sessions?format=csv');
    assert.equal(byParam.text, 'id,accountId,direction,flowId,flowVersion,numberToDial,callerId,from,to,state,dateCreated,dateAnswered,dateEnded,endReason,channelId,endpoint,variables,legs,timeline,webhookDeliveries\r\n');
    const byAccept = await h.request('GET', '/flows', { headers: { accept: 'text/csv' } });
    assert.match(byAccept.headers.get('content-type') ?? '', /^text\/csv/);
    const error = await h.request('GET', '/sessions.csv?state=nope');
    assert.equal(error.status, 400);
    assert.equal(responseStatus(error).errors[0]?.fieldName, 'state');
  });

  it('EndSession ends a live session through the engine; a finished one is left as it is with 409', async () => {
    const flow = await h.seedFlow();
    const created = await h.request('POST', '/sessions/outgoing', { body: { flowId: flow.id, numberToDial: '+18144043093', callerId: '+12025550101' } });
    assert.equal(created.status, 200, created.text);
    const ended = await h.request('DELETE', `/sessions/${created.body.id}`);
    assert.equal(ended.status, 200, ended.text);
    assert.deepEqual(h.engine.ended.map((s) => s.id), [created.body.id]);
    await updateSession(h.store, created.body.id, { state: 'completed', dateEnded: new Date().toISOString(), endReason: 'done' });
    const again = await h.request('DELETE', `/xml/reply/EndSession?sessionId=${created.body.id}`);
    assert.equal(again.status, 409);
    assert.match(again.text, /<ErrorCode>SessionNotLive<\/ErrorCode>/);
    assert.equal((await h.store.getSession('acme', created.body.id))?.state, 'completed');
    assert.equal(h.engine.ended.length, 1);
    assert.equal((await h.request('DELETE', '/sessions/nope')).status, 404);
    assert.equal((await h.request('DELETE', `/sessions/${created.body.id}`, { token: h.token({ accountId: 'other' }) })).status, 404);
  });

  it('PatchFlow keeps omitted fields; CopyFlow makes a new flow from the latest version', async () => {
    const flow = await h.seedFlow();
    const renamed = await h.request('PATCH', `/flows/${flow.id}`, { body: { name: 'Renamed' } });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.body.version, 2);
    assert.equal(renamed.body.name, 'Renamed');
    assert.deepEqual(renamed.body.document.steps, flow.document.steps);
    const copy = await h.request('POST', `/flows/${flow.id}/copy`, { body: {} });
    assert.equal(copy.status, 201, copy.text);
    assert.notEqual(copy.body.id, flow.id);
    assert.equal(copy.body.name, 'Copy of Renamed');
    assert.equal(copy.body.version, 1);
    assert.equal(copy.headers.get('location'), `/flows/${copy.body.id}`);
    const named = await h.request('POST', '/api/CopyFlow', { body: { flowId: flow.id, name: 'Second' } });
    assert.equal(named.body.name, 'Second');
    assert.equal((await h.request('POST', '/flows/missing/copy', { body: {} })).status, 404);
  });
});
