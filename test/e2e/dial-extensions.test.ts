// Dialing lab extensions and caller-ID pass-through, end to end: a dial or transfer step whose
// `to` is an extension goes where a routing rule sends it (never to the trunk default); the
// account setting callerIdPassthrough (GetAccount / PatchAccount) lets a dial present the first
// party's number. Real HTTP, real ari-client against the simulator, real SQLite.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startE2E, type E2E } from '../support/e2e-stack.js';

const FINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
const isFinal = (s: { state: string }) => FINAL.has(s.state);

const CALLER = '+18144043093';
const OWN = '+12125550100';

const dialFlow = (to: string, extra: Record<string, unknown> = {}) => ({
  name: `Dial ${to}`,
  steps: [
    { id: 'connect', type: 'dial', to, timeoutMs: 2000, variable: 'dialed', onAnswered: 'bye', onFailed: 'failed', ...extra },
    { id: 'failed', type: 'set', variable: 'why', value: 'failed' },
    { id: 'bye', type: 'hangup' },
  ],
});

describe('dialing extensions and caller-ID pass-through', () => {
  let e2e: E2E;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ext-routes-'));
    const routes = join(dir, 'routes.json');
    writeFileSync(routes, JSON.stringify({
      default: 'PJSIP/{number}@trunk',
      rules: [{ match: '1002', endpoint: 'PJSIP/phone2' }, { match: '1003', endpoint: 'PJSIP/phone3' }],
    }));
    e2e = await startE2E({ ORIGINATE_TIMEOUT_SEC: '5', ROUTES_FILE: routes }, {
      [CALLER]: { result: 'answer', answerAfterMs: 100 },
      'PJSIP/phone2': { result: 'answer', answerAfterMs: 100, hangupAfterMs: 300 },
    });
  });
  after(async () => { await e2e?.close(); });

  const admin = (accountId = 'demo') => e2e.token({ roles: ['SystemAdministrator'], accountId });
  const rows = (s: any, type: string): any[] => s.timeline.filter((e: any) => e.type === type);
  const run = async (flow: unknown): Promise<any> => {
    const created = await e2e.request('POST', '/flows', { body: flow });
    assert.equal(created.status, 201, created.text);
    const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: created.body.id, numberToDial: CALLER, callerId: OWN } });
    assert.equal(res.status, 200, res.text);
    return e2e.waitForSession(res.body.id, isFinal, 20_000);
  };
  /** CALLERID(num) the engine gave the dialed leg of a session (POST /channels/create). */
  const presented = (s: any): unknown => {
    const leg = rows(s, 'leg.created')[0]?.data.leg;
    const create = e2e.sim.requests().find((r) => r.path === '/ari/channels/create' && r.query.channelId === leg);
    return (create?.body as { variables?: Record<string, string> } | undefined)?.variables?.['CALLERID(num)'];
  };
  const setPassthrough = async (on: boolean): Promise<void> => {
    const res = await e2e.request('PATCH', '/account', { body: { callerIdPassthrough: on }, token: admin() });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.callerIdPassthrough, on);
  };

  test('a dial to an extension goes to the endpoint its routing rule names', async () => {
    const s = await run(dialFlow('1002'));
    assert.equal(s.state, 'completed', s.endReason);
    assert.equal(s.variables.dialed, 'answered', JSON.stringify(rows(s, 'dial.ended')));
    const created = rows(s, 'leg.created')[0];
    assert.equal(created.data.endpoint, 'PJSIP/phone2');
    assert.equal(created.data.number, '1002');
    assert.equal(s.legs[1].number, '1002');
    assert.equal(presented(s), OWN, 'by default the session\'s own number is shown');
  });

  test('an extension no rule routes fails the dial with the reason, and never reaches the trunk', async () => {
    const before = e2e.sim.requests().length;
    const s = await run(dialFlow('1009'));
    assert.equal(s.variables.dialed, 'failed');
    assert.equal(s.variables.why, 'failed');
    assert.match(rows(s, 'dial.ended')[0].data.reason, /no routing rule dials the extension 1009/);
    assert.ok(!e2e.sim.requests().slice(before).some((r) => r.path === '/ari/channels/create'), 'no channel was made');
  });

  test('a transfer to an extension continues in engine-transfer with the rule\'s endpoint', async () => {
    const s = await run({ name: 'Transfer to 1003', steps: [{ id: 'away', type: 'transfer', to: '1003' }] });
    assert.equal(s.state, 'completed', s.endReason);
    assert.equal(s.endReason, 'transferred to 1003');
    assert.equal(rows(s, 'session.transferred')[0].data.endpoint, 'PJSIP/phone3');
    const cont = e2e.sim.requests().find((r) => r.path === `/ari/channels/${s.channelId}/continue`);
    assert.equal(cont?.query.context, 'engine-transfer');
    assert.equal(cont?.query.extension, '1003');
    const unrouted = await run({ name: 'Transfer to 1009', steps: [{ id: 'away', type: 'transfer', to: '1009' }] });
    assert.equal(unrouted.state, 'failed');
    assert.match(unrouted.endReason, /no routing rule dials the extension 1009/);
  });

  test('flows refuse a `to` that is neither E.164 nor an extension, and a callerId keyword they do not know', async () => {
    for (const to of ['1', '123456789', '10 02', 'PJSIP/phone2', '1002&PJSIP/x']) {
      const res = await e2e.request('POST', '/flows', { body: dialFlow(to) });
      assert.equal(res.status, 400, to);
      assert.equal(res.body.responseStatus.errors[0].fieldName, 'steps[0].to');
    }
    const res = await e2e.request('POST', '/flows', { body: dialFlow('1002', { callerId: 'callee' }) });
    assert.equal(res.status, 400);
    assert.equal(res.body.responseStatus.errors[0].fieldName, 'steps[0].callerId');
  });

  test('GetAccount shows the setting; only a SystemAdministrator turns it on, a Manager may turn it off', async () => {
    const read = await e2e.request('GET', '/account');
    assert.equal(read.status, 200, read.text);
    assert.equal(read.body.id, 'demo');
    assert.equal(read.body.callerIdPassthrough, false, 'off by default');
    const refused = await e2e.request('PATCH', '/account', { body: { callerIdPassthrough: true } });
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.body.responseStatus.errorCode, 'Forbidden');
    assert.equal((await e2e.request('GET', '/account')).body.callerIdPassthrough, false);
    const bad = await e2e.request('PATCH', '/account', { body: { callerIdPassthrough: 'yes' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.responseStatus.errors[0].fieldName, 'callerIdPassthrough');

    await setPassthrough(true);
    const again = await e2e.request('PATCH', '/account', { body: { callerIdPassthrough: true } });
    assert.equal(again.status, 200, 'a Manager writing back the value it read changes nothing');
    const off = await e2e.request('PATCH', '/account', { body: { callerIdPassthrough: false } });
    assert.equal(off.status, 200, off.text);
    assert.equal(off.body.callerIdPassthrough, false);
    assert.ok(off.body.dateModified);

    // A SystemAdministrator of another account names this one; a Manager of another sees its own.
    const named = await e2e.request('PATCH', '/account?accountId=demo', { body: { callerIdPassthrough: true }, token: admin('ops') });
    assert.equal(named.status, 200, named.text);
    assert.equal(named.body.id, 'demo');
    const stranger = await e2e.request('GET', '/account', { token: e2e.token({ accountId: 'elsewhere' }) });
    assert.equal(stranger.body.id, 'elsewhere');
    assert.equal(stranger.body.callerIdPassthrough, false);
    const xml = await e2e.request('GET', '/account.xml');
    assert.match(xml.text, /<Account [^>]*xmlns="http:\/\/schemas.datacontract.org\/2004\/07\/Voice.Api.Accounts"><Id>demo<\/Id>/);
    await setPassthrough(false);
  });

  test('callerId first-party without the setting fails the dial, saying why; with it the callee\'s number is shown', async () => {
    await setPassthrough(false);
    const denied = await run(dialFlow('1002', { callerId: 'first-party' }));
    assert.equal(denied.variables.dialed, 'failed');
    assert.match(rows(denied, 'dial.ended')[0].data.reason, /needs caller-ID pass-through/);
    assert.equal(denied.legs.length, 1, 'no channel was made');

    await setPassthrough(true);
    const s = await run(dialFlow('1002', { callerId: 'first-party' }));
    assert.equal(s.variables.dialed, 'answered', JSON.stringify(rows(s, 'dial.ended')));
    assert.equal(rows(s, 'leg.created')[0].data.callerId, CALLER);
    assert.equal(presented(s), CALLER, 'the dialed party sees the callee of the outgoing call');
    await setPassthrough(false);
  });

  test('on an inbound call, first-party presents the caller\'s number', async () => {
    await setPassthrough(true);
    const flow = await e2e.request('POST', '/flows', { body: dialFlow('1002', { callerId: 'first-party' }) });
    const ext = await e2e.request('POST', '/extensions', { body: { number: '8601', inboundFlowId: flow.body.id } });
    assert.equal(ext.status, 201, ext.text);
    const res = await fetch(`${e2e.sim.url}/sim/inbound`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'PJSIP/phone1', exten: '8601', app: 'engine', args: ['inbound', '8601', '1001'], callerId: '"Lab Phone 1" <1001>' }),
    });
    assert.equal(res.status, 200);
    const { channelId } = (await res.json()) as { channelId: string };
    let sessionId: string | undefined;
    const deadline = Date.now() + 10_000;
    while (sessionId === undefined && Date.now() < deadline) {
      const list = await e2e.request('GET', '/sessions?countPerPage=20');
      for (const item of list.body.items) {
        if (item.direction === 'inbound' && (await e2e.request('GET', `/sessions/${item.id}`)).body.channelId === channelId) sessionId = item.id;
      }
      if (sessionId === undefined) await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(sessionId, 'the inbound session exists');
    const s = await e2e.waitForSession(sessionId, isFinal, 20_000);
    assert.equal(s.to, '8601');
    assert.equal(s.variables.dialed, 'answered', JSON.stringify(rows(s, 'dial.ended')));
    assert.equal(presented(s), '1001', 'the dialed party sees the caller');
    await setPassthrough(false);
  });
});
