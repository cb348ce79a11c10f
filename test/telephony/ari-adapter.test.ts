// The real ari-client adapter against the simulator over real sockets: event translation, REST
// with engine ids, error mapping, reconnects after drops/restarts/outages, no listener growth.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { adapterBed, type AdapterBed } from '../support/telephony-sim.js';
import type { TelephonyEvent } from '../../src/telephony/port.js';

const ANSWERS = '+18144043093';
const BUSY = '+12025550100';

function originateReq(channelId: string, number = ANSWERS) {
  return {
    channelId, endpoint: `PJSIP/${number}@trunk`, callerId: '"Engine" <+15551230000>', timeoutSec: 5,
    variables: { ENGINE_SESSION_ID: 'sess-1' }, appArgs: ['sess-1'],
  };
}

describe('ari-client adapter against the simulator', { timeout: 60_000 }, () => {
  let bed: AdapterBed;
  const rejections: unknown[] = [];
  const onRejection = (r: unknown) => { rejections.push(r); };

  before(async () => {
    process.on('unhandledRejection', onRejection);
    bed = await adapterBed({
      [ANSWERS]: { result: 'answer', answerAfterMs: 100 },
      [BUSY]: { result: 'busy', answerAfterMs: 100 },
    });
  });
  after(async () => {
    await bed?.close();
    process.off('unhandledRejection', onRejection);
  });

  test('connects and reports it', () => {
    assert.equal(bed.port.isConnected(), true);
    assert.deepEqual(bed.connection.map((e) => e.type), ['connected']);
  });

  test('originate with our channel id: Dial events are related to it, StasisStart carries the args', async () => {
    const channelId = `t-${randomUUID()}`;
    const res = await bed.port.originate(originateReq(channelId));
    assert.deepEqual(res, { ok: true, value: undefined });
    const start = await bed.waitEvent((e) => e.type === 'stasis-start' && e.channelId === channelId);
    assert.deepEqual(start.type === 'stasis-start' && start.args, ['sess-1']);
    assert.ok(bed.events.some((e) => e.type === 'dial' && e.channelId === channelId && e.dialstatus === 'ANSWER'));
    const request = bed.sim.requests().find((r) => r.method === 'POST' && r.path.endsWith('/channels') && r.query.channelId === channelId);
    assert.ok(request, 'originate went to POST /ari/channels with channelId');
    assert.deepEqual((request.body as { variables?: unknown } | undefined)?.variables, { ENGINE_SESSION_ID: 'sess-1' }, 'variables in the JSON body');
    assert.equal(request.query.app, 'engine-test');
    assert.equal(request.query.timeout, '5');

    const listed = await bed.port.listChannels();
    const mine = listed.ok ? listed.value.find((c) => c.id === channelId) : undefined;
    // In Stasis with its arguments (dialplan app_data `engine-test,sess-1`): the application alone.
    assert.equal(mine?.stasisApp, 'engine-test', JSON.stringify(listed));
    assert.ok(mine?.createdMs !== undefined && Math.abs(mine.createdMs - Date.now()) < 60_000, 'creationtime read');

    // play with our playback id, several media comma-joined in one parameter
    const playbackId = `pb-${randomUUID()}`;
    const play = await bed.port.play(channelId, playbackId, ['sound:hello-world', 'sound:thank-you']);
    assert.equal(play.ok, true);
    const playReq = bed.sim.requests().find((r) => r.path.endsWith(`/play/${playbackId}`));
    assert.equal(playReq?.query.media, 'sound:hello-world,sound:thank-you');
    const finished = await bed.waitEvent((e) => e.type === 'playback-finished' && e.playbackId === playbackId);
    assert.equal(finished.type === 'playback-finished' && finished.channelId, channelId, 'target_uri channel:<id> mapped');
    assert.equal(finished.type === 'playback-finished' && finished.state, 'done');

    assert.deepEqual(await bed.port.hangup(channelId), { ok: true, value: undefined });
    const destroyed = await bed.waitEvent((e) => e.type === 'channel-destroyed' && e.channelId === channelId);
    assert.equal(destroyed.type === 'channel-destroyed' && destroyed.cause, 16);
  });

  test('errors are typed: 404 not-found, 409 conflict, 400 invalid, 500 Allocation failed', async () => {
    assert.equal((await bed.port.hangup('no-such-channel')).ok === false && (await bed.port.hangup('no-such-channel') as { kind: string }).kind, 'not-found');
    const stop = await bed.port.stopPlayback('no-such-playback');
    assert.equal(!stop.ok && stop.kind, 'not-found');

    const channelId = `t-${randomUUID()}`;
    assert.equal((await bed.port.originate(originateReq(channelId))).ok, true);
    const again = await bed.port.originate(originateReq(channelId));
    assert.equal(!again.ok && again.kind, 'conflict', JSON.stringify(again));

    const bad = await bed.port.originate({ ...originateReq(`t-${randomUUID()}`), endpoint: 'justtext' });
    assert.equal(!bad.ok && bad.kind, 'invalid', JSON.stringify(bad));

    const alloc = await bed.port.originate({ ...originateReq(`t-${randomUUID()}`), endpoint: 'Foo/bar' });
    assert.equal(!alloc.ok && alloc.kind, 'failed', JSON.stringify(alloc));
    assert.match(!alloc.ok ? alloc.message : '', /Allocation failed/);

    bed.sim.faults.failNext({ method: 'POST', path: /\/channels$/, status: 500, body: { error: 'Allocation failed' } });
    const injected = await bed.port.originate(originateReq(`t-${randomUUID()}`));
    assert.equal(!injected.ok && injected.kind, 'failed');
    await bed.port.hangup(channelId);
  });

  test('busy via the trunk: Dial BUSY reaches our channel', async () => {
    const channelId = `t-${randomUUID()}`;
    await bed.port.originate(originateReq(channelId, BUSY));
    await bed.waitEvent((e) => e.type === 'channel-destroyed' && e.channelId === channelId);
    assert.ok(bed.events.some((e) => e.type === 'dial' && e.channelId === channelId && e.dialstatus === 'BUSY'));
  });

  test('a dropped WebSocket is reconnected, and the app receives events again', async () => {
    const mark = bed.connection.length;
    bed.sim.faults.dropWebSockets();
    await bed.waitConnection('disconnected', mark);
    await bed.waitConnection('connected', mark);
    assert.equal(bed.port.isConnected(), true);
    const channelId = `t-${randomUUID()}`;
    await bed.port.originate(originateReq(channelId));
    await bed.waitEvent((e) => e.type === 'stasis-start' && e.channelId === channelId);
    await bed.port.hangup(channelId);
  });

  test('an outage (connections refused) makes REST unavailable quickly, and the adapter comes back by itself', async () => {
    const mark = bed.connection.length;
    bed.sim.faults.refuseConnections(800);
    bed.sim.faults.dropWebSockets();
    await bed.waitConnection('disconnected', mark);
    const res = await bed.port.listChannels();
    assert.equal(!res.ok && res.kind, 'unavailable', JSON.stringify(res));
    await bed.waitConnection('connected', mark, 10_000);
    assert.equal((await bed.port.listChannels()).ok, true);
  });

  test('an Asterisk restart: hangup events (soft cause 4), then reconnect, no channels', async () => {
    const channelId = `t-${randomUUID()}`;
    await bed.port.originate(originateReq(channelId));
    await bed.waitEvent((e) => e.type === 'stasis-start' && e.channelId === channelId);
    const mark = bed.connection.length;
    await bed.sim.faults.restart();
    await bed.waitConnection('connected', mark, 10_000);
    const hangupReq = bed.events.find((e): e is Extract<TelephonyEvent, { type: 'hangup-request' }> => e.type === 'hangup-request' && e.channelId === channelId);
    assert.equal(hangupReq?.cause, 4);
    const listed = await bed.port.listChannels();
    assert.ok(listed.ok && !listed.value.some((c) => c.id === channelId));
  });

  test('listeners do not grow with calls: one per consumer, none per call', async () => {
    const before = bed.port.stats();
    const ids = Array.from({ length: 30 }, () => `t-${randomUUID()}`);
    await Promise.all(ids.map((id) => bed.port.originate(originateReq(id))));
    await Promise.all(ids.map((id) => bed.waitEvent((e) => e.type === 'stasis-start' && e.channelId === id)));
    await Promise.all(ids.map((id) => bed.port.hangup(id)));
    await Promise.all(ids.map((id) => bed.waitEvent((e) => e.type === 'channel-destroyed' && e.channelId === id)));
    const afterStats = bed.port.stats();
    assert.equal(afterStats.listeners, before.listeners);
    assert.ok(afterStats.socketsInUse <= 20);
  });

  test('150 requests in parallel stay within the bounded pool', async () => {
    let peak = 0;
    const sampler = setInterval(() => { peak = Math.max(peak, bed.port.stats().socketsInUse); }, 1);
    const results = await Promise.all(Array.from({ length: 150 }, () => bed.port.listChannels()));
    clearInterval(sampler);
    assert.ok(results.every((r) => r.ok));
    assert.ok(peak <= 20, `peak sockets ${peak}`);
  });

  test('no secret and no swagger noise in the logs; no unhandled rejection', () => {
    const all = bed.logLines.join('\n');
    assert.ok(!all.includes(bed.sim.password), 'the ARI password never appears');
    assert.ok(!/deprecated version of Swagger/.test(bed.logLines.filter((l) => !l.includes('"level":20')).join('\n')), 'swagger noise only at debug');
    assert.deepEqual(rejections.map(String), []);
  });
});
