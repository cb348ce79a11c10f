// Stasis application names, as Asterisk 22.10.1 treats them and the engine relies on
// (docs/scaling.md#stasis-applications): a second events WebSocket under a name takes it over
// (the first gets ApplicationReplaced and no more events); an application whose WebSocket is gone
// stays registered (GET /applications answers it) until res_stasis' cleanup finds it empty at the
// next unregistration, and Stasis() into it fails, so the dialplan's [engine-inbound] tries the next one (POST /sim/inbound `apps`). Then
// the engine's start-up check (ensureApplicationIsOurs) against those answers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startSimulator, type RunningSimulator } from '../../src/sim/index.js';
import { ApplicationTakenError, ensureApplicationIsOurs } from '../../src/telephony/ari/app-check.js';
import type { Session } from '../../src/domain/model.js';
import { raw } from '../support/sim-client.js';
import { waitUntil } from '../support/wait-until.js';

const USER = 'engine';
const PASS = 'applications-test-password';

interface Events { ws: WebSocket; received: Array<{ type: string; [k: string]: unknown }> }

function openEvents(sim: RunningSimulator, app: string): Promise<Events> {
  const ws = new WebSocket(`${sim.url.replace('http', 'ws')}/ari/events?app=${app}`, { headers: { authorization: `Basic ${Buffer.from(`${USER}:${PASS}`).toString('base64')}` } });
  const received: Events['received'] = [];
  ws.on('message', (data) => received.push(JSON.parse(String(data)) as Events['received'][number]));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, received }));
    ws.once('error', reject);
  });
}

const closed = (ws: WebSocket): Promise<void> => new Promise((resolve) => {
  if (ws.readyState === WebSocket.CLOSED) resolve();
  else ws.once('close', () => resolve());
  ws.close();
});

describe('Stasis applications in the simulator', () => {
  let sim: RunningSimulator;
  const get = (path: string) => raw(`${sim.url}/ari`, 'GET', path, { user: USER, pass: PASS });
  const inbound = (body: Record<string, unknown>) => raw(sim.url, 'POST', '/sim/inbound', { body: { from: 'PJSIP/phone1', exten: '+12125550100', args: ['inbound', '+12125550100', '1001'], ...body } });
  const stasisStart = (events: Events, channelId: string) => events.received.find((e) => e.type === 'StasisStart' && (e.channel as { id?: string } | undefined)?.id === channelId);

  before(async () => {
    sim = await startSimulator({ username: USER, password: PASS, timeScale: 0.05 });
  });
  after(async () => {
    await sim?.close();
  });

  test('a second WebSocket under the same name takes it over: the first gets ApplicationReplaced and no more events', async () => {
    assert.equal((await get('/applications/eng')).status, 404);
    const first = await openEvents(sim, 'eng');
    const held = await get('/applications/eng');
    assert.equal(held.status, 200);
    assert.deepEqual((held.body as { channel_ids: string[] }).channel_ids, [], 'a live WebSocket holds it, no channel in it');
    const second = await openEvents(sim, 'eng');
    await waitUntil(() => first.received.some((e) => e.type === 'ApplicationReplaced' && e.application === 'eng'), { timeoutMs: 10_000, message: 'ApplicationReplaced on the first socket' });
    const call = await inbound({ app: 'eng' });
    const channelId = (call.body as { channelId: string }).channelId;
    await waitUntil(() => stasisStart(second, channelId), { timeoutMs: 10_000, message: 'StasisStart on the second socket' });
    assert.equal(stasisStart(first, channelId), undefined, 'the first socket no longer gets the application\'s events');
    assert.equal((await raw(`${sim.url}/ari`, 'DELETE', `/channels/${channelId}`, { user: USER, pass: PASS })).status, 204);
    await closed(first.ws);
    await closed(second.ws);
    await waitUntil(async () => (await get('/applications/eng')).status === 404, { timeoutMs: 10_000, message: 'eng unregistered once its sockets and channels are gone' });
  });

  test('an application whose WebSocket is gone stays listed while a channel is in it; the fallback skips it', async () => {
    const gone = await openEvents(sim, 'engine-gone');
    const live = await openEvents(sim, 'engine-live');
    const call = await inbound({ app: 'engine-gone' });
    const stuck = (call.body as { channelId: string }).channelId;
    await waitUntil(() => stasisStart(gone, stuck), { timeoutMs: 10_000, message: 'the call entered engine-gone' });
    await closed(gone.ws);

    await waitUntil(async () => {
      const res = await get('/applications/engine-gone');
      return res.status === 200 && (res.body as { channel_ids: string[] }).channel_ids.includes(stuck);
    }, { timeoutMs: 10_000, message: 'engine-gone still registered, with its channel' });
    const names = ((await get('/applications')).body as Array<{ name: string }>).map((a) => a.name);
    assert.ok(names.includes('engine-gone') && names.includes('engine-live'), names.join(','));

    // The engine's start-up check: a name held by a live socket (no channel in it) is refused; one
    // with only the channels of an engine that is gone (no live session owns them) is taken over.
    const warnings: string[] = [];
    const deps = (sessions: Session[]) => ({ liveSessions: async () => sessions, warn: (_d: Record<string, unknown>, m: string) => { warnings.push(m); } });
    const servers = [{ name: 'b', url: sim.url, username: USER, password: PASS }];
    await assert.rejects(ensureApplicationIsOurs(servers, 'engine-live', deps([])),
      (err: unknown) => err instanceof ApplicationTakenError && /"engine-live" is already registered on Asterisk server "b"/.test(err.message));

    // [engine-inbound]: Stasis(engine-gone) fails (inactive), Stasis(engine-live) takes the call.
    const next = await inbound({ apps: ['engine-gone', 'engine-live'] });
    assert.equal(next.status, 200, next.text);
    assert.equal((next.body as { app: string }).app, 'engine-live');
    const channelId = (next.body as { channelId: string }).channelId;
    await waitUntil(() => stasisStart(live, channelId), { timeoutMs: 10_000, message: 'the next call reached engine-live' });

    await ensureApplicationIsOurs(servers, 'engine-gone', deps([]));
    assert.equal(warnings.length, 1, 'taking over a dead engine\'s application is logged');
    const owned = { channelId: stuck, ownerId: 'other-host:1:ab', leaseExpires: new Date(Date.now() + 60_000).toISOString() } as Session;
    await assert.rejects(ensureApplicationIsOurs(servers, 'engine-gone', deps([owned])), ApplicationTakenError, 'its channel is a session another engine still holds');
    await ensureApplicationIsOurs(servers, 'nobody-uses-this', deps([]));
    await ensureApplicationIsOurs([{ ...servers[0]!, password: 'wrong' }], 'engine-live', deps([]));
    assert.match(warnings.at(-1) ?? '', /cannot check/, 'a server that answers no 200/404 is not checked, and says so');

    // The dead engine's call hung up: its application stays registered, inactive and empty, until
    // the next unregistration runs res_stasis' cleanup (the lab's 22.10.1 does the same). The
    // check makes one (a throwaway socket) first, so a restarted engine takes its name back.
    assert.equal((await raw(`${sim.url}/ari`, 'DELETE', `/channels/${stuck}`, { user: USER, pass: PASS })).status, 204);
    await waitUntil(() => !sim.channels().some((c) => c.id === stuck), { timeoutMs: 10_000, message: 'the stuck call gone' });
    const empty = await get('/applications/engine-gone');
    assert.equal(empty.status, 200, 'still registered');
    assert.deepEqual((empty.body as { channel_ids: string[] }).channel_ids, []);
    const seen = warnings.length;
    await ensureApplicationIsOurs(servers, 'engine-gone', deps([]));
    assert.equal(warnings.length, seen, 'nothing to warn about: the cleanup removed it');
    assert.equal((await get('/applications/engine-gone')).status, 404);

    await raw(`${sim.url}/ari`, 'DELETE', `/channels/${channelId}`, { user: USER, pass: PASS });
    await closed(live.ws);
  });
});
