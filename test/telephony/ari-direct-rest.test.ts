// The adapter's hot REST calls (originate, answer, play, stop playback, hangup) go out with
// node:http over its own agent instead of through ari-client: they must reach Asterisk exactly as
// ari-client would send them (paths, query encoding, JSON body), and fail the same typed way.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { adapterBed, type AdapterBed } from '../support/telephony-sim.js';
import { mapAriError } from '../../src/telephony/ari/ari-errors.js';

const ANSWERS = '+18144043093';
const SLOW_MS = 400;

describe('hot REST calls sent by the adapter itself', { timeout: 60_000 }, () => {
  let bed: AdapterBed;
  const rejections: unknown[] = [];
  const onRejection = (r: unknown) => { rejections.push(r); };

  before(async () => {
    process.on('unhandledRejection', onRejection);
    // A short request bound, so that a delayed answer times out.
    bed = await adapterBed({ [ANSWERS]: { result: 'answer', answerAfterMs: 100 } }, { requestTimeoutMs: SLOW_MS / 2 });
  });
  after(async () => {
    await bed?.close();
    process.off('unhandledRejection', onRejection);
  });

  const lastRequest = (match: (path: string, method: string) => boolean) =>
    [...bed.sim.requests()].reverse().find((r) => match(r.path, r.method));

  test('no socket to Asterisk left idle in Node\'s global agent (ari-client\'s reachability probe uses it): checked first, before any fault cuts sockets', () => {
    const port = new URL(bed.sim.url).port;
    const idle = Object.entries(http.globalAgent.freeSockets).filter(([name, list]) => name.includes(`:${port}:`) && (list?.length ?? 0) > 0);
    assert.deepEqual(idle, []);
  });

  test('originate: every query value arrives intact (+, quotes, <>, commas, spaces), variables as the JSON body', async () => {
    const channelId = `t-${randomUUID()}`;
    const res = await bed.port.originate({
      channelId, endpoint: `PJSIP/${ANSWERS}@trunk`, callerId: '"Engine, Inc" <+15551230000>', timeoutSec: 7,
      variables: { ENGINE_SESSION_ID: 's+1', 'CALLERID(name)': 'a b&c' }, appArgs: ['s+1', 'x y'],
    });
    assert.deepEqual(res, { ok: true, value: undefined });
    const req = lastRequest((p, m) => m === 'POST' && p === '/ari/channels');
    assert.ok(req, 'POST /ari/channels');
    // A `+` sent raw would arrive as a space: seeing it proves the %2B encoding.
    assert.deepEqual(req.query, {
      endpoint: `PJSIP/${ANSWERS}@trunk`, app: 'engine-test', appArgs: 's+1,x y', callerId: '"Engine, Inc" <+15551230000>',
      timeout: '7', channelId,
    });
    assert.deepEqual(req.body, { variables: { ENGINE_SESSION_ID: 's+1', 'CALLERID(name)': 'a b&c' } });
    const start = await bed.waitEvent((e) => e.type === 'stasis-start' && e.channelId === channelId);
    assert.deepEqual(start.type === 'stasis-start' && start.args, ['s+1', 'x y']);

    assert.deepEqual(await bed.port.answer(channelId), { ok: true, value: undefined });
    assert.ok(lastRequest((p, m) => m === 'POST' && p === `/ari/channels/${channelId}/answer`));

    // A tone plays until stopped: the stop below always finds the playback running, however
    // slowly this machine gets to it.
    const playbackId = `pb-${randomUUID()}`;
    assert.deepEqual(await bed.port.play(channelId, playbackId, ['tone:ring', 'sound:thank-you']), { ok: true, value: undefined });
    const play = lastRequest((p) => p === `/ari/channels/${channelId}/play/${playbackId}`);
    assert.deepEqual(play?.query, { media: 'tone:ring,sound:thank-you' });
    assert.equal(play?.body, undefined);
    // Stopped before it started, a playback is cancelled without PlaybackFinished: wait for the start.
    await bed.waitEvent((e) => e.type === 'playback-started' && e.playbackId === playbackId);

    assert.deepEqual(await bed.port.stopPlayback(playbackId), { ok: true, value: undefined });
    assert.equal(lastRequest((p) => p === `/ari/playbacks/${playbackId}`)?.method, 'DELETE');
    const stopped = await bed.waitEvent((e) => e.type === 'playback-finished' && e.playbackId === playbackId);
    assert.equal(stopped.type === 'playback-finished' && stopped.channelId, channelId);

    assert.deepEqual(await bed.port.hangup(channelId, 'busy'), { ok: true, value: undefined });
    assert.deepEqual(lastRequest((p, m) => m === 'DELETE' && p === `/ari/channels/${channelId}`)?.query, { reason: 'busy' });
    await bed.waitEvent((e) => e.type === 'channel-destroyed' && e.channelId === channelId);
  });

  test('Asterisk errors keep their typed kinds; an error without a JSON body names the HTTP status', async () => {
    const gone = `t-${randomUUID()}`;
    for (const result of [await bed.port.answer(gone), await bed.port.hangup(gone), await bed.port.play(gone, `pb-${randomUUID()}`, ['sound:x'])]) {
      assert.equal(!result.ok && result.kind, 'not-found', JSON.stringify(result));
    }
    const noPlayback = await bed.port.stopPlayback(`pb-${randomUUID()}`);
    assert.deepEqual(noPlayback, { ok: false, kind: 'not-found', message: 'Playback not found' });

    bed.sim.faults.failNext({ method: 'DELETE', path: /\/channels\//, status: 502, body: '' });
    const bare = await bed.port.hangup(gone);
    assert.deepEqual(bare, { ok: false, kind: 'failed', message: 'unexpected ARI answer (HTTP 502)' });
  });

  test('an empty id is refused before anything is sent, as swagger-client refuses a missing path parameter', async () => {
    const before = bed.sim.requests().length;
    for (const result of [await bed.port.answer(''), await bed.port.hangup(''), await bed.port.stopPlayback(''), await bed.port.play('', 'pb', ['sound:x']), await bed.port.play('ch', '', ['sound:x'])]) {
      assert.equal(!result.ok && result.kind, 'invalid', JSON.stringify(result));
    }
    assert.equal(bed.sim.requests().length, before);
  });

  test('a request answered too late times out as unavailable, and the pool is usable afterwards', async () => {
    bed.sim.faults.delayNext({ method: 'DELETE', path: /\/channels\//, delayMs: SLOW_MS });
    const slow = await bed.port.hangup(`t-${randomUUID()}`);
    assert.equal(!slow.ok && slow.kind, 'unavailable', JSON.stringify(slow));
    assert.match(!slow.ok ? slow.message : '', /ERR_ARI_TIMEOUT/);
    const next = await bed.port.hangup(`t-${randomUUID()}`);
    assert.equal(!next.ok && next.kind, 'not-found', JSON.stringify(next));
  });

  test('refused connections make the hot calls unavailable, not hanging', async () => {
    const mark = bed.connection.length;
    bed.sim.faults.refuseConnections(500);
    bed.sim.faults.dropWebSockets();
    await bed.waitConnection('disconnected', mark);
    const results = await Promise.all([
      bed.port.originate({ channelId: `t-${randomUUID()}`, endpoint: `PJSIP/${ANSWERS}@trunk`, callerId: '+15551230000', timeoutSec: 5, variables: {}, appArgs: [] }),
      bed.port.hangup(`t-${randomUUID()}`),
    ]);
    for (const r of results) assert.equal(!r.ok && r.kind, 'unavailable', JSON.stringify(r));
    await bed.waitConnection('connected', mark, 10_000);
    assert.ok(bed.port.stats().socketsInUse <= 20);
  });

  test('no unhandled rejection', () => {
    assert.deepEqual(rejections.map(String), []);
  });
});

describe('mapAriError', () => {
  test('the HTTP status is named only when the adapter knows it', () => {
    assert.deepEqual(mapAriError(new Error('<html>Bad gateway</html>'), 502), { ok: false, kind: 'failed', message: 'unexpected ARI answer (HTTP 502)' });
    assert.deepEqual(mapAriError(new Error('<html>Bad gateway</html>')), { ok: false, kind: 'failed', message: 'unexpected ARI error' });
    assert.deepEqual(mapAriError(new Error('{"message":"Channel not found"}'), 404), { ok: false, kind: 'not-found', message: 'Channel not found' });
  });
});
