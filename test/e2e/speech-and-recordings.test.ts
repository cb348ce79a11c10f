// End to end through the simulator: say text synthesized by espeak-ng, served at /media/ and
// fetched by the simulator (which times the playback by the WAV's length), the TTS cache hit by
// the second call; a recording listed, downloaded (whole and by Range), its ready event, deleted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, dirname } from 'node:path';
import { writeWav } from '../../src/tts/wav.js';
import { startE2E, type E2E } from '../support/e2e-stack.js';

const FLOW = {
  name: 'Speak and record',
  steps: [
    { id: 'greet', type: 'set', variable: 'name', value: 'Ada' },
    { id: 'hello', type: 'say', text: 'Hello {{name}}, please leave a message.', language: 'en-US' },
    { id: 'rec', type: 'record', variable: 'message', maxDurationMs: 1000, beep: false },
    { id: 'bye', type: 'hangup' },
  ],
};
const CALLEE = '+18144043095';
const isFinal = (s: { state: string }) => ['completed', 'failed', 'busy', 'no-answer', 'canceled'].includes(s.state);
const timelineOf = (s: { timeline: Array<{ type: string; data: Record<string, unknown> }> }) => s.timeline;

describe('say text and recordings through the simulator', () => {
  let e2e: E2E;
  let flowId: string;
  before(async () => {
    e2e = await startE2E({}, { [CALLEE]: { result: 'answer', answerAfterMs: 100 } });
    const created = await e2e.request('POST', '/flows', { body: FLOW });
    assert.equal(created.status, 201, created.text);
    flowId = created.body.id;
  });
  after(async () => { await e2e?.close(); });

  const call = async () => {
    const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId, numberToDial: CALLEE } });
    assert.equal(res.status, 200, res.text);
    const session = await e2e.waitForSession(res.body.id, isFinal);
    assert.equal(session.state, 'completed', JSON.stringify(timelineOf(session).slice(-4)));
    return session;
  };

  test('the spoken text plays from the engine\'s /media/ URL; the second call hits the TTS cache', async () => {
    const first = await call();
    const said = timelineOf(first).find((e) => e.type === 'say.text');
    assert.deepEqual(said?.data, { text: 'Hello Ada, please leave a message.', language: 'en-US' });
    const played = timelineOf(first).find((e) => e.type === 'playback.started');
    const media = (played?.data.media as string[])[0]!;
    assert.match(media, new RegExp(`^sound:http://127\\.0\\.0\\.1:${e2e.stack.httpPort}/media/[A-Za-z0-9_-]{24}\\.wav$`));
    const finished = timelineOf(first).find((e) => e.type === 'playback.finished');
    assert.equal(finished?.data.state, 'done', 'the simulator fetched and played the WAV');

    // What the simulator fetched is an 8 kHz WAV, no token needed; HEAD revalidates by ETag.
    const url = media.slice('sound:'.length);
    const wav = await fetch(url);
    assert.equal(wav.status, 200);
    assert.equal(wav.headers.get('content-type'), 'audio/wav');
    const bytes = Buffer.from(await wav.arrayBuffer());
    assert.equal(bytes.readUInt32LE(24), 8000);
    const head = await fetch(url, { method: 'HEAD', headers: { 'if-none-match': wav.headers.get('etag')! } });
    assert.equal(head.status, 304);
    assert.equal((await fetch(url.replace(/[A-Za-z0-9_-]{24}\.wav$/, 'AAAAAAAAAAAAAAAAAAAAAAAA.wav'))).status, 404);

    await call();
    const cacheDir = join(dirname(e2e.stack.config.databasePath), 'tts-cache');
    assert.equal(readdirSync(cacheDir).filter((f) => f.endsWith('.wav')).length, 1, 'one synthesis for two calls');
  });

  test('a recording is listed, downloaded as the simulator stored it, by range, announced, deleted', async () => {
    const session = await call();
    const name = session.variables.message as string;
    assert.ok(name);
    const list = await e2e.request('GET', `/sessions/${session.id}/recordings`);
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.items.length, 1);
    const item = list.body.items[0];
    assert.deepEqual({ id: item.id, sessionId: item.sessionId, stepId: item.stepId, format: item.format }, { id: name, sessionId: session.id, stepId: 'rec', format: 'wav' });

    const auth = `Basic ${Buffer.from(`${e2e.sim.username}:${e2e.sim.password}`).toString('base64')}`;
    const stored = Buffer.from(await (await fetch(`${e2e.sim.url}/ari/recordings/stored/${name}/file`, { headers: { authorization: auth } })).arrayBuffer());
    assert.ok(stored.length > 44);

    const meta = await e2e.request('GET', `/recordings/${name}`);
    assert.equal(meta.status, 200);
    assert.equal(meta.body.size, stored.length);
    assert.equal(meta.body.contentType, 'audio/wav');

    const headers = { authorization: `Bearer ${e2e.token()}` };
    const whole = await fetch(`${e2e.base}/recordings/${name}/file`, { headers });
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-type'), 'audio/wav');
    assert.equal(whole.headers.get('accept-ranges'), 'bytes');
    assert.ok(Buffer.from(await whole.arrayBuffer()).equals(stored), 'the bytes the simulator stored');
    const part = await fetch(`${e2e.base}/recordings/${name}/file`, { headers: { ...headers, range: 'bytes=4-11' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 4-11/${stored.length}`);
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(stored.subarray(4, 12)));
    assert.equal((await fetch(`${e2e.base}/recordings/${name}/file`, { headers: { ...headers, range: `bytes=${stored.length}-` } })).status, 416);

    // The timeline row the recording was registered with is the one session.recording.ready comes from.
    const events = await fetch(`${e2e.base}/sessions/${session.id}/events`, { headers: { ...headers, accept: 'text/event-stream' } });
    assert.match(await events.text(), /event: session\.recording\.ready/);

    assert.equal((await e2e.request('GET', `/recordings/${name}`, { token: e2e.token({ accountId: 'other' }) })).status, 404, 'another account');
    assert.equal((await e2e.request('DELETE', `/recordings/${name}`)).status, 204);
    assert.equal((await e2e.request('GET', `/recordings/${name}`)).status, 404);
    assert.equal((await e2e.request('GET', `/sessions/${session.id}/recordings`)).body.items.length, 0);
    assert.equal((await fetch(`${e2e.sim.url}/ari/recordings/stored/${name}`, { headers: { authorization: auth } })).status, 404, 'gone from Asterisk');
  });
});

describe('URL media and a missing espeak-ng through the simulator', () => {
  let e2e: E2E;
  let media: Server;
  let mediaBase: string;
  const fetched: string[] = [];
  before(async () => {
    media = createServer((req, res) => {
      fetched.push(`${req.method} ${req.url} ${req.headers['user-agent'] ?? ''}`);
      if (req.url === '/hello.wav') res.writeHead(200, { 'content-type': 'audio/wav' }).end(writeWav({ sampleRate: 8000, samples: new Int16Array(4000) }));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => media.listen(0, '127.0.0.1', r));
    mediaBase = `http://127.0.0.1:${(media.address() as { port: number }).port}`;
    e2e = await startE2E({ ALLOW_PRIVATE_DESTINATIONS: 'true', TTS_ESPEAK_PATH: '/nonexistent/espeak-ng' }, { [CALLEE]: { result: 'answer', answerAfterMs: 100 } });
  });
  after(async () => { await e2e?.close(); media?.close(); });

  const run = async (steps: unknown[]) => {
    const created = await e2e.request('POST', '/flows', { body: { name: 'x', steps } });
    assert.equal(created.status, 201, created.text);
    const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: created.body.id, numberToDial: CALLEE } });
    assert.equal(res.status, 200, res.text);
    return e2e.waitForSession(res.body.id, isFinal);
  };

  test('a URL plays; a missing URL fails the step as Asterisk does (started, then finished failed)', async () => {
    const ok = await run([{ id: 'p', type: 'playback', media: [`sound:${mediaBase}/hello.wav`] }, { id: 'h', type: 'hangup' }]);
    assert.equal(ok.state, 'completed');
    assert.ok(fetched.some((f) => f.startsWith('GET /hello.wav')), fetched.join('; '));
    const missing = await run([{ id: 'p', type: 'playback', media: [`sound:${mediaBase}/missing.wav`] }, { id: 'h', type: 'hangup' }]);
    assert.equal(missing.state, 'failed');
    assert.match(missing.endReason ?? '', /playback failed/);
    assert.ok(timelineOf(missing).some((e) => e.type === 'playback.started'));
  });

  test('say text without espeak-ng fails the session with the reason, and /ready says so', async () => {
    const session = await run([{ id: 's', type: 'say', text: 'hello' }, { id: 'h', type: 'hangup' }]);
    assert.equal(session.state, 'failed');
    assert.match(session.endReason ?? '', /espeak-ng is not installed \(Debian\/Ubuntu: apt-get install -y espeak-ng\)/);
    const ready = await e2e.request('GET', '/ready', { token: null });
    assert.equal(ready.status, 200, 'the engine still places calls');
    assert.equal(ready.body.tts.available, false);
    assert.match(ready.body.tts.detail, /espeak-ng is not installed/);
  });
});
