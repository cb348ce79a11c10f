// ari-client throws (and would crash the process) on a WebSocket message it cannot parse or an event
// type its API description lacks; the adapter handles every message itself. A relay between the
// adapter and the simulator injects such messages; the adapter drops them (and events that are not
// what ARI documents) and keeps delivering real events.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import WebSocket, { WebSocketServer } from 'ws';
import pino from 'pino';
import { startSimulator, type RunningSimulator } from '../../src/sim/index.js';
import { createAriClientPort, type AriClientPort } from '../../src/telephony/ari/ari-client-adapter.js';
import type { TelephonyEvent } from '../../src/telephony/port.js';
import { waitUntil } from '../support/wait-until.js';

let sim: RunningSimulator;
let relay: http.Server;
let port: AriClientPort;
const clients = new Set<WebSocket>();
const upstreams = new Set<WebSocket>();
const events: TelephonyEvent[] = [];
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => { uncaught.push(err); };

before(async () => {
  process.on('uncaughtException', onUncaught);
  sim = await startSimulator({ timeScale: 0.05, username: 'engine', password: 'pw-guard', scripts: { '+18144043093': { result: 'answer', answerAfterMs: 100 } } });
  const target = new URL(sim.url);
  const wss = new WebSocketServer({ noServer: true });
  relay = http.createServer((req, res) => {
    const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  relay.on('upgrade', (req, socket, head) => {
    const upstream = new WebSocket(`ws://${target.host}${req.url ?? ''}`, { headers: req.headers.authorization ? { authorization: req.headers.authorization } : {} });
    upstreams.add(upstream);
    upstream.on('error', () => socket.destroy());
    upstream.once('open', () => wss.handleUpgrade(req, socket, head, (client) => {
      clients.add(client);
      upstream.on('message', (data) => client.send(data.toString()));
      client.on('close', () => { clients.delete(client); upstream.terminate(); });
    }));
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  const { port: relayPort } = relay.address() as AddressInfo;
  port = createAriClientPort({ url: `http://127.0.0.1:${relayPort}`, username: 'engine', password: 'pw-guard', app: 'guard', logger: pino({ level: 'silent' }) });
  port.onEvent((e) => events.push(e));
  await port.start();
});

after(async () => {
  await port?.close();
  for (const c of clients) c.terminate();
  for (const u of upstreams) u.terminate();
  relay?.closeAllConnections();
  await new Promise<void>((r) => relay.close(() => r()));
  await sim?.close();
  process.off('uncaughtException', onUncaught);
});

test('malformed messages and unknown event types are dropped; real events still flow', async () => {
  const garbage = [
    'not json', '{"type": 42}', 'null', '[]', '{"no":"type"}',
    JSON.stringify({ type: 'SomethingAsterisk23Adds', timestamp: new Date().toISOString(), channel: { id: 'x' } }),
    JSON.stringify({ type: 'StasisStart', channel: 'not-an-object' }),
    JSON.stringify({ type: 'ChannelDtmfReceived', channel: { id: 'x', state: 'Up' }, digit: 'Z' }),
  ];
  // A valid ARI event the engine does not consume is ignored, not counted as dropped.
  const ignored = JSON.stringify({ type: 'ChannelVarset', timestamp: new Date().toISOString(), variable: 'X', value: '1', application: 'guard' });
  for (const c of clients) for (const g of [...garbage, ignored]) c.send(g);
  const channelId = `g-${randomUUID()}`;
  const res = await port.originate({ channelId, endpoint: 'PJSIP/+18144043093@trunk', callerId: '+15551230000', timeoutSec: 5, variables: {}, appArgs: [] });
  assert.equal(res.ok, true);
  await waitUntil(() => events.some((e) => e.type === 'stasis-start' && e.channelId === channelId), { message: 'StasisStart of the call' });
  assert.ok(events.some((e) => e.type === 'stasis-start' && e.channelId === channelId), 'real events are delivered after the garbage');
  assert.ok(!events.some((e) => e.type === 'dtmf'), 'an invalid digit is not a DTMF event');
  assert.equal(port.stats().droppedMessages, garbage.length, 'every malformed message, and only those, dropped');
  assert.equal(port.isConnected(), true);
  assert.deepEqual(uncaught.map(String), []);
  await port.hangup(channelId);
});
