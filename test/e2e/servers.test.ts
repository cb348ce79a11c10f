// Several Asterisk servers (ARI_SERVERS): the whole stack against two simulators over real
// sockets. New calls spread by fewest live calls; each session stores its server; /ready and the
// metrics name each server; a stopped server takes no new calls; a second engine under the same
// ARI_APP refuses to start.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startStack, type RunningStack } from '../../src/stack.js';
import { startSimulator, type RunningSimulator } from '../../src/sim/index.js';
import { ApplicationTakenError } from '../../src/telephony/ari/app-check.js';
import { engineClient, TEST_JWT_SECRET, type EngineClient } from '../support/e2e-stack.js';
import { waitUntil } from '../support/wait-until.js';
import { createSession } from '../support/session-writers.js';
import { seedDemo, DEMO_CALLER_ID } from '../../src/demo.js';
import WebSocket from 'ws';

const PASSWORD = 'sim-password-for-the-servers-test';
const FLOW = { name: 'long call', steps: [{ id: 'w', type: 'pause', ms: 600_000 }] };

function env(dir: string, servers: Array<{ name: string; sim: RunningSimulator; weight?: number }>, extra: Record<string, string> = {}): Record<string, string> {
  return {
    JWT_SECRET: TEST_JWT_SECRET, DATABASE_PATH: join(dir, 'engine.sqlite'), PORT: '0', HOST: '127.0.0.1', ARI_APP: 'engine-a',
    SESSION_LEASE_MS: '3000', MAX_CALLS_PER_SECOND_PER_ACCOUNT: '1000', MAX_LIVE_CALLS_PER_ACCOUNT: '1000', UNAUTHENTICATED_PER_MINUTE: '100000', DRAIN_TIMEOUT_MS: '0',
    ARI_SERVERS: JSON.stringify(servers.map((s) => ({ name: s.name, url: s.sim.url, username: 'engine', password: PASSWORD, ...(s.weight !== undefined ? { weight: s.weight } : {}) }))),
    ...extra,
  };
}

describe('several Asterisk servers', () => {
  let dir: string;
  let simA: RunningSimulator;
  let simB: RunningSimulator;
  let stack: RunningStack;
  let client: EngineClient;
  let flowId: string;

  const place = async (n: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < n; i += 1) {
      const res = await client.request('POST', '/sessions/outgoing', { body: { flowId, numberToDial: `+1814404${String(3000 + ids.length + Math.floor(Math.random() * 1000)).padStart(4, '0')}`, callerId: DEMO_CALLER_ID } });
      assert.equal(res.status, 200, res.text);
      ids.push(res.body.id as string);
    }
    return ids;
  };
  const serverOf = async (id: string): Promise<string | undefined> => (await stack.store.getSession(undefined, id))?.asteriskServer;
  const ready = async (): Promise<any> => (await client.request('GET', '/ready', { token: null })).body;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'engine-servers-'));
    const script = { defaultScript: { result: 'answer' as const, answerAfterMs: 20 } };
    simA = await startSimulator({ username: 'engine', password: PASSWORD, timeScale: 0.05, ...script });
    simB = await startSimulator({ username: 'engine', password: PASSWORD, timeScale: 0.05, ...script });
    stack = await startStack(loadConfig(env(dir, [{ name: 'a', sim: simA }, { name: 'b', sim: simB }])), createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'));
    await stack.ariConnected;
    client = engineClient(`http://127.0.0.1:${stack.httpPort}`);
    await seedDemo(stack.store);
    await waitUntil(async () => (await ready()).servers?.every((s: any) => s.up), { timeoutMs: 20_000, message: 'both servers up in /ready' });
    const created = await client.request('POST', '/flows', { body: FLOW });
    assert.equal(created.status, 201, created.text);
    flowId = created.body.id;
  });
  after(async () => {
    await stack?.stop(0);
    await simA?.close();
    await simB?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('new calls spread over both servers by fewest live calls, and each session stores its server', async () => {
    const ids = await place(6);
    await waitUntil(async () => {
      for (const id of ids) if ((await client.request('GET', `/sessions/${id}`)).body.state !== 'in-progress') return false;
      return true;
    }, { timeoutMs: 30_000, message: 'the six calls answered' });
    const servers = await Promise.all(ids.map(serverOf));
    assert.equal(servers.filter((s) => s === 'a').length, 3, `servers: ${servers.join(',')}`);
    assert.equal(servers.filter((s) => s === 'b').length, 3, `servers: ${servers.join(',')}`);
    const channelsOn = (sim: RunningSimulator): Set<string> => new Set(sim.channels().map((c) => c.id));
    for (const id of ids) {
      const session = await stack.store.getSession(undefined, id);
      assert.ok(session);
      assert.ok(channelsOn(session.asteriskServer === 'a' ? simA : simB).has(session.channelId), `session ${id}'s channel is on server ${session.asteriskServer}`);
    }
    const body = await ready();
    assert.deepEqual(body.servers.map((s: any) => [s.name, s.up, s.liveCalls]), [['a', true, 3], ['b', true, 3]]);
    assert.ok(!JSON.stringify(body).includes(PASSWORD) && !JSON.stringify(body).includes(simA.url), '/ready names servers, never URLs or passwords');

    const metrics = await client.request('GET', '/metrics', { token: null });
    assert.match(metrics.text, /engine_asterisk_server_up\{server="a"\} 1/);
    assert.match(metrics.text, /engine_asterisk_server_live_calls\{server="b"\} 3/);

    // Ending them: the hang-ups go to each call's own server.
    for (const id of ids) assert.equal((await client.request('DELETE', `/sessions/${id}`)).status < 300, true);
    await waitUntil(() => simA.channels().length === 0 && simB.channels().length === 0, { timeoutMs: 20_000, message: 'no channel left on either server' });
  });

  test('a second engine with the same ARI_APP refuses to start, naming the server', async () => {
    const other = mkdtempSync(join(tmpdir(), 'engine-servers-2-'));
    try {
      await assert.rejects(
        startStack(loadConfig(env(other, [{ name: 'a', sim: simA }, { name: 'b', sim: simB }])), createLogger('silent')),
        (err: unknown) => err instanceof ApplicationTakenError && /ARI_APP "engine-a" is already registered on Asterisk server "a"/.test(err.message),
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('a session left by an engine that is gone is hung up on the server the store names', async () => {
    // Another engine's call on server b: its application's socket is gone (the engine died).
    const dead = new WebSocket(`${simB.url.replace('http', 'ws')}/ari/events?app=engine-dead`, { headers: { authorization: `Basic ${Buffer.from(`engine:${PASSWORD}`).toString('base64')}` } });
    await new Promise((resolve, reject) => { dead.once('open', resolve); dead.once('error', reject); });
    const channelId = `orphan-${Date.now()}`;
    const made = await fetch(`${simB.url}/ari/channels?endpoint=${encodeURIComponent('PJSIP/+18144049999@trunk')}&app=engine-dead&channelId=${channelId}`, {
      method: 'POST', headers: { authorization: `Basic ${Buffer.from(`engine:${PASSWORD}`).toString('base64')}` },
    });
    assert.equal(made.status, 200, await made.text());
    await waitUntil(() => simB.channels().some((c) => c.id === channelId && c.state === 'Up'), { timeoutMs: 10_000, message: 'the other engine\'s call answered on b' });
    dead.terminate();
    await createSession(stack.store, {
      id: `orphan-session-${Date.now()}`, accountId: 'demo', flowId, flowVersion: 1, numberToDial: '+18144049999', callerId: DEMO_CALLER_ID,
      channelId, endpoint: 'PJSIP/+18144049999@trunk', owner: { id: 'another-host:4242:abcdef01', leaseExpires: new Date(Date.now() - 1_000).toISOString() }, asteriskServer: 'b',
    }).then(async (s) => {
      const ended = await waitUntil(async () => {
        const now = await stack.store.getSession(undefined, s.id);
        return now && now.state === 'failed' ? now : undefined;
      }, { timeoutMs: 20_000, message: 'the orphan session ended failed' });
      assert.match(ended.endReason ?? '', /hung up/);
    });
    await waitUntil(() => !simB.channels().some((c) => c.id === channelId), { timeoutMs: 10_000, message: 'its channel hung up on b' });
    assert.ok(!simA.requests().some((r) => r.path.includes(channelId)), 'server a was never asked about it');
  });

  test('a server stopped: /ready shows it down, every new call goes to the other, its own calls end failed after the grace', async () => {
    const pair = await place(2);
    await waitUntil(async () => {
      for (const id of pair) if ((await client.request('GET', `/sessions/${id}`)).body.state !== 'in-progress') return false;
      return true;
    }, { timeoutMs: 30_000, message: 'the two calls answered' });
    const servers = await Promise.all(pair.map(serverOf));
    assert.deepEqual([...servers].sort(), ['a', 'b'], 'one call on each server');
    const onB = pair[servers.indexOf('b')] as string;
    const onA = pair[servers.indexOf('a')] as string;
    const before = simA.originateCount();
    await simB.close();
    const lost = await waitUntil(async () => {
      const s = (await client.request('GET', `/sessions/${onB}`)).body;
      return s.state === 'failed' ? s : undefined;
    }, { timeoutMs: 30_000, message: 'the call on b ended failed once b stayed unreachable past SESSION_LEASE_MS' });
    assert.match(lost.endReason, /Asterisk server "b" unreachable for 3 s: the call was lost/);
    assert.equal((await client.request('GET', `/sessions/${onA}`)).body.state, 'in-progress', 'the call on a goes on');
    await waitUntil(async () => (await ready()).servers?.find((s: any) => s.name === 'b')?.up === false, { timeoutMs: 20_000, message: 'server b down in /ready' });
    const body = await ready();
    assert.equal(body.status, 'ready', 'one server up is enough to take calls');
    const ids = await place(4);
    await waitUntil(async () => {
      for (const id of ids) if ((await client.request('GET', `/sessions/${id}`)).body.state !== 'in-progress') return false;
      return true;
    }, { timeoutMs: 30_000, message: 'the four calls answered on server a' });
    assert.deepEqual(await Promise.all(ids.map(serverOf)), ['a', 'a', 'a', 'a']);
    assert.equal(simA.originateCount() - before, 4);
    for (const id of [...ids, onA]) await client.request('DELETE', `/sessions/${id}`);
  });
});
