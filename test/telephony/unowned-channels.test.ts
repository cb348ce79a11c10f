// The sweep of channels no call owns (UNOWNED_CHANNEL_SWEEP_MS), on the real runtime: the stack as
// `npm start` wires it (HTTP, ari-client, its built-in simulator over real sockets, SQLite), with
// a 100 ms sweep and a 2 s grace (twice ORIGINATE_TIMEOUT_SEC=1). A channel no session knows is
// made as it happens for real: a call enters the application and its StasisStart is lost
// (`POST /sim/inbound` with `unseen`). A second engine on the same simulator, application
// `engine-b` (which begins with the first one's `engine`), runs with the sweep off.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startE2E, TEST_JWT_SECRET, type E2E } from '../support/e2e-stack.js';
import { waitUntil } from '../support/wait-until.js';
import { sample } from '../metrics/prom-text.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startStack, type RunningStack } from '../../src/stack.js';
import { startSimulator, type RunningSimulator } from '../../src/sim/index.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { createAriClientPort } from '../../src/telephony/ari/ari-client-adapter.js';
import { createTelephonyEngine, type TelephonyEngine } from '../../src/telephony/engine.js';

const GRACE_MS = 2_000;
const CALLER = '+18144043093';
const ANSWERS = '+13125550001';
const PLAIN = '+13125550004';
const SIM_PASSWORD = 'sim-password-for-the-sweep-test';
const FINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

type Listed = { id: string; dialplan: { app_name: string; app_data: string }; creationtime: string };

/** What GET /ari/channels says of a channel, as the engine reads it. */
async function listedChannel(sim: RunningSimulator, id: string): Promise<Listed | undefined> {
  const res = await fetch(`${sim.url}/ari/channels`, { headers: { authorization: `Basic ${Buffer.from(`${sim.username}:${sim.password}`).toString('base64')}` } });
  assert.equal(res.status, 200);
  return ((await res.json()) as Listed[]).find((c) => c.id === id);
}

/** A call into `app` whose StasisStart is lost: in the application, known to no session. */
async function unseenCall(sim: RunningSimulator, app: string): Promise<{ id: string; createdMs: number }> {
  const res = await fetch(`${sim.url}/sim/inbound`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from: 'PJSIP/phone1', exten: '+12125550100', app, args: ['inbound', '+12125550100', '1001'], unseen: true }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const { channelId } = (await res.json()) as { channelId: string };
  const entry = await waitUntil(async () => {
    const c = await listedChannel(sim, channelId);
    return c?.dialplan.app_name === 'Stasis' && c;
  }, { message: `channel ${channelId} in Stasis(${app})` });
  return { id: channelId, createdMs: Date.parse(entry.creationtime) };
}

const hangUpRequest = (sim: RunningSimulator, id: string) => sim.requests().find((r) => r.method === 'DELETE' && r.path === `/ari/channels/${id}`);

describe('the sweep of channels in the application that no call owns', { timeout: 120_000 }, () => {
  let e2e: E2E;
  let dir: string;
  let otherStore: Store;
  let other: TelephonyEngine;

  before(async () => {
    e2e = await startE2E({ UNOWNED_CHANNEL_SWEEP_MS: '100', ORIGINATE_TIMEOUT_SEC: '1' }, {
      [CALLER]: { result: 'answer', answerAfterMs: 100 },
      [ANSWERS]: { result: 'answer', answerAfterMs: 100 },
      [PLAIN]: { result: 'answer', answerAfterMs: 100 },
    });
    dir = mkdtempSync(join(tmpdir(), 'unowned-channels-'));
    otherStore = await openSqliteStore(join(dir, 'other.sqlite'));
    const logger = pino({ level: 'silent' });
    const config = loadConfig({ JWT_SECRET: 'x'.repeat(40), ARI_APP: 'engine-b', UNOWNED_CHANNEL_SWEEP_MS: '0', ORIGINATE_TIMEOUT_SEC: '1' });
    other = createTelephonyEngine({
      port: createAriClientPort({ url: e2e.sim.url, username: e2e.sim.username, password: e2e.sim.password, app: config.ariApp, logger }),
      store: otherStore, config, logger,
      router: { endpointFor: (n) => `PJSIP/${n}@trunk`, endpointForExtension: () => undefined },
    });
    await other.start();
  });
  after(async () => {
    await other?.stop({ drainMs: 0 });
    await otherStore?.close();
    await e2e?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const present = (id: string): boolean => e2e.sim.channels().some((c) => c.id === id);
  const hangUpRequestOf = (id: string) => hangUpRequest(e2e.sim, id);
  const sweeps = (): number => e2e.stack.engine.stats().unownedChannelSweeps;
  const listed = (id: string) => listedChannel(e2e.sim, id);
  const orphan = (app: string) => unseenCall(e2e.sim, app);

  /** Waits until the sweep hung up a fresh channel of ours, then for two more sweeps: whatever it would touch, it has. */
  const sweptPastAnOrphan = async (): Promise<void> => {
    const control = await orphan('engine');
    await waitUntil(() => !present(control.id), { message: `the sweep hanging up ${control.id}`, timeoutMs: 20_000 });
    const seen = sweeps();
    await waitUntil(() => sweeps() >= seen + 2, { message: 'two more sweeps' });
  };

  test('a channel in our application that no call owns is hung up once older than the grace, counted by server', async () => {
    const metricsBefore = await (await fetch(`${e2e.base}/metrics`)).text();
    const { id, createdMs } = await orphan('engine');
    assert.equal((await listed(id))?.dialplan.app_data, 'engine,inbound,+12125550100,1001');
    await waitUntil(() => !present(id), { message: `the sweep hanging up ${id}`, timeoutMs: 20_000 });
    const request = hangUpRequestOf(id);
    assert.ok(request, 'hung up over ARI (DELETE /channels/{id})');
    // Left alone while young: the hang-up came only once the grace had passed since its creation.
    assert.ok(Date.parse(request.at) - createdMs >= GRACE_MS, `hung up ${Date.parse(request.at) - createdMs} ms after its creation`);
    const metricsAfter = await (await fetch(`${e2e.base}/metrics`)).text();
    const counted = (text: string) => sample(text, 'engine_unowned_channels_hung_up_total', { server: 'asterisk' });
    assert.ok(counted(metricsAfter) - counted(metricsBefore) >= 1, metricsAfter.split('\n').filter((l) => l.includes('unowned')).join('\n'));
  });

  test('a young channel no call owns is left until the grace has passed', async () => {
    const { id, createdMs } = await orphan('engine');
    const seen = sweeps();
    await waitUntil(() => sweeps() >= seen + 3, { message: 'three sweeps' });
    await waitUntil(() => !present(id), { message: `the sweep hanging up ${id}`, timeoutMs: 20_000 });
    const request = hangUpRequestOf(id);
    assert.ok(request && Date.parse(request.at) - createdMs >= GRACE_MS, `hung up ${request && Date.parse(request.at) - createdMs} ms after its creation`);
  });

  test('a live call and the party it dialed are never touched', async () => {
    const flow = await e2e.request('POST', '/flows', { body: { name: 'Dial and stay', steps: [{ id: 'connect', type: 'dial', to: ANSWERS, timeoutMs: 5000 }] } });
    assert.equal(flow.status, 201, flow.text);
    const placed = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: flow.body.id, numberToDial: CALLER, callerId: '+12125550100' } });
    assert.equal(placed.status, 200, placed.text);
    const bridged = await e2e.waitForSession(placed.body.id, (s) => s.timeline.filter((e: { type: string }) => e.type === 'ari.bridge-entered').length === 2, 20_000);
    const leg: string = bridged.timeline.find((e: { type: string }) => e.type === 'leg.created').data.leg;
    assert.equal((await listed(bridged.channelId))?.dialplan.app_name, 'Stasis');
    assert.equal((await listed(leg))?.dialplan.app_name, 'Stasis');

    await sweptPastAnOrphan();
    const now = await e2e.waitForSession(placed.body.id, () => true);
    assert.equal(now.state, 'in-progress', now.endReason);
    assert.ok(Date.now() - Date.parse(now.dateCreated) > GRACE_MS, 'the call is older than the grace');
    for (const id of [bridged.channelId, leg]) {
      assert.ok(present(id), `${id} still up`);
      assert.equal(hangUpRequestOf(id), undefined, `no hang-up of ${id}`);
    }
    assert.equal(e2e.sim.hangupFromFarEnd(bridged.channelId), true);
    await e2e.waitForSession(placed.body.id, (s) => FINAL.has(s.state));
  });

  test('another engine\'s channels and channels outside Stasis are left alone; with the sweep off, an engine sweeps nothing', async () => {
    const theirs = await orphan('engine-b');
    assert.equal((await listed(theirs.id))?.dialplan.app_data, 'engine-b,inbound,+12125550100,1001', 'in Stasis, in an application whose name begins with ours');
    // Originated into the dialplan, not into an application.
    const auth = `Basic ${Buffer.from(`${e2e.sim.username}:${e2e.sim.password}`).toString('base64')}`;
    const originated = await fetch(`${e2e.sim.url}/ari/channels?endpoint=${encodeURIComponent(`PJSIP/${PLAIN}@trunk`)}&extension=s&context=default`, { method: 'POST', headers: { authorization: auth } });
    assert.equal(originated.status, 200, await originated.clone().text());
    const plain = ((await originated.json()) as { id: string }).id;
    await waitUntil(() => e2e.sim.channels().find((c) => c.id === plain && c.state === 'Up'), { message: `${plain} answered` });
    assert.notEqual((await listed(plain))?.dialplan.app_name, 'Stasis');

    await sweptPastAnOrphan();
    assert.ok(Date.now() - theirs.createdMs > GRACE_MS, 'older than the grace');
    for (const id of [theirs.id, plain]) {
      assert.ok(present(id), `${id} still up`);
      assert.equal(hangUpRequestOf(id), undefined, `no hang-up of ${id}`);
    }
    // engine-b's own channel, unowned and past the grace: its engine, sweep off, never listed anything.
    assert.equal(other.stats().unownedChannelSweeps, 0);
    assert.equal(other.stats().unownedChannelsHungUp, 0);
    assert.ok(e2e.sim.requests().every((r) => !(r.method === 'DELETE' && r.path === `/ari/channels/${theirs.id}`)));
  });
});

describe('the sweep with several Asterisk servers', { timeout: 60_000 }, () => {
  let dir: string;
  let simA: RunningSimulator;
  let simB: RunningSimulator;
  let stack: RunningStack;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'unowned-servers-'));
    simA = await startSimulator({ username: 'engine', password: SIM_PASSWORD, timeScale: 0.05 });
    simB = await startSimulator({ username: 'engine', password: SIM_PASSWORD, timeScale: 0.05 });
    stack = await startStack(loadConfig({
      JWT_SECRET: TEST_JWT_SECRET, DATABASE_PATH: join(dir, 'engine.sqlite'), PORT: '0', HOST: '127.0.0.1', ARI_APP: 'engine-a', DRAIN_TIMEOUT_MS: '0',
      UNOWNED_CHANNEL_SWEEP_MS: '100', ORIGINATE_TIMEOUT_SEC: '1',
      ARI_SERVERS: JSON.stringify([{ name: 'a', url: simA.url, username: 'engine', password: SIM_PASSWORD }, { name: 'b', url: simB.url, username: 'engine', password: SIM_PASSWORD }]),
    }), createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'));
    await stack.ariConnected;
    await waitUntil(() => stack.engine.readiness().servers?.every((s) => s.up), { message: 'both servers up' });
  });
  after(async () => {
    await stack?.stop(0);
    await simA?.close();
    await simB?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a channel no call owns on one server is hung up there, and counted under that server\'s name', async () => {
    const { id } = await unseenCall(simB, 'engine-a');
    await waitUntil(() => !simB.channels().some((c) => c.id === id), { message: `the sweep hanging up ${id} on b`, timeoutMs: 20_000 });
    assert.ok(hangUpRequest(simB, id), 'DELETE /channels/{id} on b');
    assert.equal(hangUpRequest(simA, id), undefined, 'nothing asked of a');
    const metrics = await (await fetch(`http://127.0.0.1:${stack.httpPort}/metrics`)).text();
    assert.equal(sample(metrics, 'engine_unowned_channels_hung_up_total', { server: 'b' }), 1);
    assert.equal(sample(metrics, 'engine_unowned_channels_hung_up_total', { server: 'a' }), 0);
  });
});
