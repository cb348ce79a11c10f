// The simulator driven by the real ari-client over real sockets (plus raw HTTP for statuses).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSimulator, type RunningSimulator } from '../../src/sim/index.js';
import { connectAri, EventLog, op, raw, type AriClient } from '../support/sim-client.js';

const USER = 'engine';
const PASS = 'secret-pass';
const APP = 'simtest';

describe('ARI simulator with ari-client', () => {
  let sim: RunningSimulator;
  let client: AriClient;
  let log: EventLog;

  before(async () => {
    sim = await startSimulator({ username: USER, password: PASS, timeScale: 0.02, soundDurationsMs: { prompt: 1000 } });
    client = await connectAri(sim.url, USER, PASS, APP);
    log = new EventLog(client);
  });

  after(async () => {
    log.cancelAll();
    client.stop();
    await sim.close();
  });

  const originate = async (endpoint: string, extra: Record<string, unknown> = {}) =>
    (await op(client, 'channels', 'originate')({ endpoint, app: APP, callerId: '"Lab" <+15551230000>', ...extra })) as { id: string; state: string };

  test('answered call: 200 Down, Dial ANSWER, StasisStart Up with args, play, app hangup cause 16', async () => {
    const ch = await originate('PJSIP/+15550000001@trunk', { appArgs: 'a,b' });
    assert.equal(ch.state, 'Down');
    const start = await log.waitType('StasisStart', ch.id);
    assert.deepEqual(start.args, ['a', 'b']);
    const pb = (await op(client, 'channels', 'play')({ channelId: ch.id, media: 'sound:prompt' })) as { id: string };
    const fin = await log.wait((e) => e.type === 'PlaybackFinished' && (e.playback as { id: string }).id === pb.id);
    assert.equal((fin.playback as { state: string }).state, 'done');
    await op(client, 'channels', 'hangup')({ channelId: ch.id });
    const destroyed = await log.waitType('ChannelDestroyed', ch.id);
    assert.equal(destroyed.cause, 16);
    assert.deepEqual(log.typesFor(ch.id).filter((t) => t !== 'ChannelVarset'), [
      'Dial', 'ChannelStateChange', 'Dial', 'ChannelStateChange', 'Dial', 'StasisStart', 'PlaybackStarted', 'PlaybackFinished',
      'ChannelHangupRequest', 'StasisEnd', 'ChannelDestroyed',
    ]);
  });

  test('busy over PJSIP is cause 17 / 486 without StasisStart; Local busy is cause 0 on the app channel', async () => {
    sim.setCallee('+15550000002', { result: 'busy', answerAfterMs: 10 });
    const ch = await originate('PJSIP/+15550000002@trunk');
    const d = await log.waitType('ChannelDestroyed', ch.id);
    assert.equal(d.cause, 17);
    assert.equal(d.tech_cause, 486);
    assert.ok(!log.typesFor(ch.id).includes('StasisStart'));
    sim.setCallee('Local/busy@lab', { result: 'busy', answerAfterMs: 0 });
    const local = await originate('Local/busy@lab');
    assert.equal((await log.waitType('ChannelDestroyed', local.id)).cause, 0);
  });

  test('no-answer ends at the originate timeout with cause 19; congestion 34; reject 21', async () => {
    sim.setCallee('+15550000003', { result: 'no-answer' });
    const na = await originate('PJSIP/+15550000003@trunk', { timeout: 1 });
    assert.equal((await log.waitType('ChannelDestroyed', na.id)).cause, 19);
    sim.setCallee('+15550000004', { result: 'congestion', answerAfterMs: 5 });
    const cg = await originate('PJSIP/+15550000004@trunk');
    assert.equal((await log.waitType('ChannelDestroyed', cg.id)).cause, 34);
    sim.setCallee('+15550000005', { result: 'reject', answerAfterMs: 5 });
    const rj = await originate('PJSIP/+15550000005@trunk');
    assert.equal((await log.waitType('ChannelDestroyed', rj.id)).cause, 21);
  });

  test('DTMF script after the first playback starts; far-end hangup after hangupAfterMs', async () => {
    sim.setCallee('+15550000006', { result: 'answer', answerAfterMs: 10, hangupAfterMs: 20000, dtmf: [{ digits: '1#', afterPlaybackStarted: 1, delayMs: 300 }] });
    const ch = await originate('PJSIP/+15550000006@trunk');
    await log.waitType('StasisStart', ch.id);
    await op(client, 'channels', 'play')({ channelId: ch.id, media: 'sound:prompt' });
    const d1 = await log.wait((e) => e.type === 'ChannelDtmfReceived' && e.digit === '1');
    assert.equal(d1.duration_ms, 180);
    await log.wait((e) => e.type === 'ChannelDtmfReceived' && e.digit === '#');
    const destroyed = await log.waitType('ChannelDestroyed', ch.id);
    assert.ok(log.typesFor(ch.id).includes('StasisEnd'));
    assert.equal(destroyed.cause, 0);
  });

  test('multi-media, queued playback, stop, missing sound and every scheme', async () => {
    const ch = await originate('Local/answer@lab');
    sim.setCallee('Local/answer@lab', { result: 'answer', answerAfterMs: 0 });
    await log.waitType('StasisStart', ch.id);
    // The second medium is a tone (it plays until stopped), so the stop below finds the playback however late it comes.
    const first = (await op(client, 'channels', 'play')({ channelId: ch.id, media: ['sound:prompt', 'tone:ring'] })) as { id: string; next_media_uri?: string };
    assert.equal(first.next_media_uri, 'tone:ring');
    const queued = (await op(client, 'channels', 'playWithId')({ channelId: ch.id, playbackId: 'q-1', media: 'sound:does-not-exist' })) as { state: string };
    assert.equal(queued.state, 'queued');
    await log.wait((e) => e.type === 'PlaybackContinuing' && (e.playback as { id: string }).id === first.id);
    await op(client, 'playbacks', 'stop')({ playbackId: first.id });
    const missing = await log.wait((e) => e.type === 'PlaybackFinished' && (e.playback as { id: string }).id === 'q-1');
    assert.equal((missing.playback as { state: string }).state, 'failed');
    for (const media of ['number:42', 'characters:ab', 'recording:none-yet', 'tone:ring']) {
      const pb = (await op(client, 'channels', 'play')({ channelId: ch.id, media })) as { id: string };
      await log.wait((e) => e.type === 'PlaybackStarted' && (e.playback as { id: string }).id === pb.id);
      if (media === 'tone:ring') await op(client, 'playbacks', 'stop')({ playbackId: pb.id });
      const end = await log.wait((e) => e.type === 'PlaybackFinished' && (e.playback as { id: string }).id === pb.id);
      assert.equal((end.playback as { state: string }).state, media === 'recording:none-yet' ? 'failed' : 'done', media);
    }
    await op(client, 'channels', 'hangup')({ channelId: ch.id, reason: 'busy' });
    assert.equal((await log.waitType('ChannelDestroyed', ch.id)).cause, 17);
  });

  test('record until maxDuration into a stored recording; bridges enter, list, destroy', async () => {
    const a = await originate('PJSIP/phone1');
    const b = await originate('PJSIP/phone2');
    await log.waitType('StasisStart', a.id);
    await log.waitType('StasisStart', b.id);
    const rec = (await op(client, 'channels', 'record')({ channelId: a.id, name: 'msg-1', format: 'wav', maxDurationSeconds: 2 })) as { state: string };
    assert.equal(rec.state, 'queued');
    const done = await log.wait((e) => e.type === 'RecordingFinished' && (e.recording as { name: string }).name === 'msg-1');
    assert.equal((done.recording as { state: string }).state, 'done');
    const stored = (await op(client, 'recordings', 'listStored')()) as Array<{ name: string }>;
    assert.ok(stored.some((s) => s.name === 'msg-1'));
    const bridge = (await op(client, 'bridges', 'create')({ type: 'mixing', name: 'room' })) as { id: string };
    await op(client, 'bridges', 'addChannel')({ bridgeId: bridge.id, channel: [a.id, b.id] });
    await log.wait((e) => e.type === 'ChannelEnteredBridge' && (e.channel as { id: string }).id === b.id);
    const got = (await op(client, 'bridges', 'get')({ bridgeId: bridge.id })) as { channels: string[] };
    assert.deepEqual(got.channels, [a.id, b.id].sort());
    // As in trace m: one leg hangs up (the app stays subscribed to the bridge), then the bridge goes.
    await op(client, 'channels', 'hangup')({ channelId: b.id });
    await log.wait((e) => e.type === 'ChannelLeftBridge' && (e.channel as { id: string }).id === b.id);
    await op(client, 'bridges', 'destroy')({ bridgeId: bridge.id });
    await log.wait((e) => e.type === 'BridgeDestroyed');
    assert.equal(log.events.filter((e) => e.type === 'ChannelLeftBridge').length, 2);
    await op(client, 'channels', 'hangup')({ channelId: a.id });
  });

  test('errors: Asterisk bodies, statuses, auth', async () => {
    const base = `${sim.url}/ari`;
    const noAuth = await raw(base, 'GET', '/asterisk/info', { auth: false });
    assert.equal(noAuth.status, 401);
    assert.equal(noAuth.headers.get('www-authenticate'), 'Basic realm="Asterisk REST Interface"');
    assert.deepEqual(noAuth.body, { message: 'Authentication required' });
    assert.equal((await raw(base, 'GET', `/asterisk/info?api_key=${USER}:${PASS}`, { auth: false })).status, 200);
    const as = { user: USER, pass: PASS };
    assert.deepEqual((await raw(base, 'GET', '/channels/nope', as)).body, { message: 'Channel not found' });
    assert.deepEqual((await raw(base, 'POST', '/channels?endpoint=Foo/bar&app=x', as)).body, { error: 'Allocation failed' });
    assert.deepEqual((await raw(base, 'POST', '/channels?endpoint=justtext&app=x', as)).body, { message: 'Invalid endpoint specified' });
    assert.equal((await raw(base, 'PUT', '/channels', as)).status, 405);
    assert.equal((await raw(base, 'GET', '/nothing', as)).status, 404);
    await assert.rejects(op(client, 'channels', 'get')({ channelId: 'nope' }), /Channel not found/);
    const before = sim.originateCount();
    await raw(base, 'POST', '/channels?app=x', as);
    assert.equal(sim.originateCount(), before);
  });

  test('control API: callees, channels with requests, fail-next', async () => {
    const put = await raw(sim.url, 'PUT', '/sim/callees/+15550000009', { body: { result: 'answer', answerAfterMs: 50, dtmf: [{ digits: '42#', atMs: 3000 }] } });
    assert.equal(put.status, 200);
    assert.equal((await raw(sim.url, 'PUT', '/sim/callees/x', { body: { result: 'maybe' } })).status, 400);
    const noApp = await raw(sim.url, 'PUT', '/sim/callees/@x', { body: { stasis: { args: ['inbound'] } } });
    assert.equal(noApp.status, 400);
    assert.match(JSON.stringify(noApp.body), /stasis\.app/);
    assert.equal((await raw(sim.url, 'PUT', '/sim/callees/@x', { body: { stasis: { app: 'a', args: ['x,y'] } } })).status, 400, 'an argument with a comma cannot be a dialplan argument');
    const ch = await originate('PJSIP/+15550000009@trunk');
    await log.waitType('StasisStart', ch.id);
    const list = (await raw(sim.url, 'GET', '/sim/channels')).body as Array<{ id: string; requests: Array<{ method: string }> }>;
    const mine = list.find((c) => c.id === ch.id);
    assert.equal(mine?.requests[0]?.method, 'POST');
    assert.equal((await raw(sim.url, 'DELETE', '/sim/callees/+15550000009')).status, 204);
    assert.equal((await raw(sim.url, 'POST', '/sim/faults/fail-next', { body: { method: 'DELETE', pathRegex: '^/ari/channels/', status: 500 } })).status, 204);
    await assert.rejects(op(client, 'channels', 'hangup')({ channelId: ch.id }), /Simulated failure/);
    await op(client, 'channels', 'hangup')({ channelId: ch.id });
    await log.waitType('ChannelDestroyed', ch.id);
  });

  test('restart: hangup cause 4 to the app, 1006, then no channels; ari-client reconnects', async () => {
    const ch = await originate('PJSIP/phone3');
    await log.waitType('StasisStart', ch.id);
    const reconnected = new Promise<void>((resolve) => client.once('WebSocketConnected', () => resolve()));
    await sim.faults.restart();
    const hr = await log.wait((e) => e.type === 'ChannelHangupRequest' && e.cause === 4);
    assert.equal(hr.soft, true);
    await reconnected;
    assert.deepEqual(await op(client, 'channels', 'list')(), []);
  });
});
