// Lab extensions end to end: the /extensions operations over real HTTP (JSON, XML, CSV, paging,
// account isolation), and calls into the application that dialed an extension (the lab
// dialplan's `_8XXX` arguments) through the real ari-client and the simulator, real SQLite.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startE2E, type E2E } from '../support/e2e-stack.js';

const FINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
const isFinal = (s: { state: string }) => FINAL.has(s.state);

const GREETING = {
  name: 'Extension greeting',
  steps: [
    { id: 'hello', type: 'playback', media: ['sound:hello-world'] },
    { id: 'bye', type: 'hangup' },
  ],
};

describe('lab extensions end to end', () => {
  let e2e: E2E;
  let flowId: string;

  before(async () => {
    e2e = await startE2E();
    const flow = await e2e.request('POST', '/flows', { body: GREETING });
    assert.equal(flow.status, 201, flow.text);
    flowId = flow.body.id;
  });
  after(async () => { await e2e?.close(); });

  const callIn = async (dialed: string, caller = '1001'): Promise<string> => {
    const res = await fetch(`${e2e.sim.url}/sim/inbound`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'PJSIP/phone1', exten: dialed, app: 'engine', args: ['inbound', dialed, caller], callerId: `"Lab Phone 1" <${caller}>` }),
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { channelId: string }).channelId;
  };

  /** Waits for the engine to refuse a call (its counter moves) and checks how it hung up. */
  const refused = async (reason: 'unknown-number' | 'disabled' | 'flow-missing' | 'no-inbound-flow', dialed: string): Promise<void> => {
    const count = (): number => e2e.stack.engine.stats().inboundRefusals[reason];
    const before = count();
    const channelId = await callIn(dialed);
    // The counter moves before the hangup request reaches the simulator: wait for both.
    const hangup = () => e2e.sim.requests().find((r) => r.method === 'DELETE' && r.path.endsWith(`/channels/${channelId}`));
    const deadline = Date.now() + 10_000;
    while ((count() === before || !hangup()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(count(), before + 1, `refused as ${reason}`);
    assert.equal(hangup()?.query.reason, 'congestion', 'hung up with reason congestion');
  };

  test('NewExtension, GetExtension, ListExtensions, PatchExtension, DeleteExtension, as the phone number operations', async () => {
    const added = await e2e.request('POST', '/extensions', { body: { number: '8101', name: 'Front desk', inboundFlowId: flowId } });
    assert.equal(added.status, 201, added.text);
    assert.equal(added.headers.get('location'), `/extensions/${added.body.id}`);
    assert.deepEqual({ ...added.body, id: undefined, dateCreated: undefined, dateModified: undefined }, {
      id: undefined, accountId: 'demo', number: '8101', name: 'Front desk', enabled: true, inboundFlowId: flowId, dateCreated: undefined, dateModified: undefined,
    });
    const one = await e2e.request('GET', `/extensions/${added.body.id}`);
    assert.equal(one.status, 200, one.text);
    assert.equal(one.body.number, '8101');

    const patched = await e2e.request('PATCH', `/extensions/${added.body.id}`, { body: { name: 'Reception', enabled: false } });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.name, 'Reception');
    assert.equal(patched.body.enabled, false);
    assert.equal(patched.body.inboundFlowId, flowId, 'omitted fields keep their value');
    const cleared = await e2e.request('PUT', `/extensions/${added.body.id}`, { body: { inboundFlowId: '' } });
    assert.equal(cleared.body.inboundFlowId, null);
    const renumbered = await e2e.request('PATCH', `/extensions/${added.body.id}`, { body: { number: '8102' } });
    assert.equal(renumbered.status, 400);
    assert.equal(renumbered.body.responseStatus.errors[0].errorCode, 'ReadOnly');

    const gone = await e2e.request('DELETE', `/extensions/${added.body.id}`);
    assert.equal(gone.status, 204);
    assert.equal((await e2e.request('GET', `/extensions/${added.body.id}`)).status, 404);
    assert.equal((await e2e.request('DELETE', `/extensions/${added.body.id}`)).status, 404);
  });

  test('bad input gets field errors; an extension is unique across accounts; another account\'s is not found', async () => {
    for (const number of ['1', '123456789', '+12125550100', '80 1', '80,1', '８００１', 12]) {
      const res = await e2e.request('POST', '/extensions', { body: { number } });
      assert.equal(res.status, 400, `${String(number)}: ${res.text}`);
      assert.equal(res.body.responseStatus.errors[0].fieldName, 'number');
      assert.equal(res.body.responseStatus.errors[0].errorCode, 'InvalidExtension');
    }
    const noFlow = await e2e.request('POST', '/extensions', { body: { number: '8201', inboundFlowId: 'no-such-flow' } });
    assert.equal(noFlow.status, 400);
    assert.equal(noFlow.body.responseStatus.errors[0].fieldName, 'inboundFlowId');

    const mine = await e2e.request('POST', '/extensions', { body: { number: '8202' } });
    assert.equal(mine.status, 201, mine.text);
    const other = e2e.token({ accountId: 'other-account' });
    const taken = await e2e.request('POST', '/extensions', { body: { number: '8202' }, token: other });
    assert.equal(taken.status, 409, taken.text);
    assert.equal(taken.body.responseStatus.errors[0].errorCode, 'Duplicate');
    assert.equal((await e2e.request('GET', `/extensions/${mine.body.id}`, { token: other })).status, 404);
    assert.equal((await e2e.request('PATCH', `/extensions/${mine.body.id}`, { body: { name: 'x' }, token: other })).status, 404);
    assert.equal((await e2e.request('DELETE', `/extensions/${mine.body.id}`, { token: other })).status, 404);
    // A flow of another account cannot be an extension's inbound flow.
    const foreign = await e2e.request('POST', '/extensions', { body: { number: '8203', inboundFlowId: flowId }, token: other });
    assert.equal(foreign.status, 400, foreign.text);
    const listed = await e2e.request('GET', '/extensions', { token: other });
    assert.deepEqual(listed.body.items, []);
  });

  test('lists page and sort as ListRequest says, and come as CSV and XML', async () => {
    for (const number of ['8301', '8303', '8302']) {
      assert.equal((await e2e.request('POST', '/extensions', { body: { number, name: `ext ${number}` } })).status, 201);
    }
    const page = await e2e.request('GET', '/extensions?countPerPage=2&sortField=number&sortOrder=Descend');
    assert.equal(page.status, 200, page.text);
    assert.equal(page.body.items.length, 2);
    assert.ok(page.body.totalCount >= 4, 'the demo extension and these');
    assert.deepEqual(page.body.items.map((x: any) => x.number), ['8303', '8302']);
    const csv = await e2e.request('GET', '/extensions.csv?sortField=number');
    assert.equal(csv.status, 200);
    const [header, ...lines] = csv.text.trim().split('\r\n');
    assert.equal(header, 'id,accountId,number,name,enabled,inboundFlowId,dateCreated,dateModified');
    assert.ok(lines.some((l) => l.includes(',8301,ext 8301,true,')), csv.text);
    const xml = await e2e.request('GET', '/extensions.xml?sortField=number');
    assert.match(xml.text, /<ExtensionList [^>]*xmlns="http:\/\/schemas.datacontract.org\/2004\/07\/Voice.Api.Extensions"/);
    assert.match(xml.text, /<Extension><Id>[^<]+<\/Id><AccountId>demo<\/AccountId><Number>8000<\/Number>/);
    const posted = await e2e.request('POST', '/extensions.xml', {
      raw: '<NewExtension xmlns="http://schemas.datacontract.org/2004/07/Voice.Api.Extensions"><Number>8304</Number><Enabled>false</Enabled></NewExtension>',
      contentType: 'application/xml',
    });
    assert.equal(posted.status, 201, posted.text);
    assert.match(posted.text, /<Number>8304<\/Number><Name><\/Name><Enabled>false<\/Enabled>/);
    const bad = await e2e.request('GET', '/extensions?sortField=extension');
    assert.equal(bad.status, 400, 'sortField: dateCreated, number or name');
  });

  test('a call to an extension with a flow runs it as an inbound session: to is the extension', async () => {
    const ext = await e2e.request('POST', '/extensions', { body: { number: '8401', inboundFlowId: flowId } });
    assert.equal(ext.status, 201, ext.text);
    const channelId = await callIn('8401', '1002');
    const list = await waitForInbound(e2e, channelId);
    assert.equal(list.direction, 'inbound');
    assert.equal(list.to, '8401');
    assert.equal(list.from, '1002');
    const done = await e2e.waitForSession(list.id, isFinal);
    assert.equal(done.state, 'completed', done.endReason);
    assert.equal(done.flowId, flowId);
    assert.deepEqual(done.timeline.filter((e: any) => e.type === 'state').map((e: any) => e.data.state), ['queued', 'ringing', 'in-progress', 'completed']);
    assert.ok(done.timeline.some((e: any) => e.type === 'playback.started'), 'the flow played its prompt');
  });

  test('the demo extension 8000 carries the demo flow', async () => {
    const listed = await e2e.request('GET', '/extensions?all=true');
    const demo = listed.body.items.find((x: any) => x.number === '8000');
    assert.equal(demo?.inboundFlowId, 'demo-flow');
  });

  test('calls to an unknown, a disabled, a flowless extension or one whose flow was deleted are refused', async () => {
    await refused('unknown-number', '8999');
    await refused('unknown-number', '123456789');
    const flow = await e2e.request('POST', '/flows', { body: GREETING });
    const ext = await e2e.request('POST', '/extensions', { body: { number: '8501', inboundFlowId: flow.body.id, enabled: false } });
    assert.equal(ext.status, 201, ext.text);
    await refused('disabled', '8501');
    await e2e.request('PATCH', `/extensions/${ext.body.id}`, { body: { enabled: true, inboundFlowId: null } });
    await refused('no-inbound-flow', '8501');
    await e2e.request('PATCH', `/extensions/${ext.body.id}`, { body: { inboundFlowId: flow.body.id } });
    // Deleting the flow leaves the extension pointing at it, as a phone number: its calls are refused.
    assert.equal((await e2e.request('DELETE', `/flows/${flow.body.id}`)).status, 204);
    assert.equal((await e2e.request('GET', `/extensions/${ext.body.id}`)).body.inboundFlowId, flow.body.id);
    await refused('flow-missing', '8501');
  });
});

/** The inbound session of a channel, as ListSessions shows it. */
async function waitForInbound(e2e: E2E, channelId: string): Promise<any> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const list = await e2e.request('GET', '/sessions?countPerPage=100');
    for (const item of list.body.items) {
      if (item.direction !== 'inbound') continue;
      const detail = await e2e.request('GET', `/sessions/${item.id}`);
      if (detail.body.channelId === channelId) return item;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no inbound session for channel ${channelId}`);
}
