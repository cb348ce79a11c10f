// What the console's editor asks the API for, through the real server and the simulator: a say
// step's text spoken by the engine's TTS (espeak-ng) as a WAV, cached by content like a call's;
// the sounds Asterisk knows (ARI GET /sounds), searched, paged and kept briefly; who saved each
// flow version. Errors in the API's own shape.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseWav } from '../../src/tts/wav.js';
import { startE2E, type E2E } from '../support/e2e-stack.js';

const wavFiles = (e2e: E2E): string[] =>
  readdirSync(join(dirname(e2e.stack.config.databasePath), 'tts-cache')).filter((f) => f.endsWith('.wav'));

describe('console media API through the real server', () => {
  let e2e: E2E;
  before(async () => { e2e = await startE2E(); });
  after(async () => { await e2e?.close(); });

  const preview = (body: unknown, token?: string | null) =>
    fetch(`${e2e.base}/speech/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token ?? e2e.token()}` }) },
      body: JSON.stringify(body),
    });

  test('PreviewSpeech answers the spoken text as an 8 kHz WAV, synthesized once per content', async () => {
    const res = await preview({ text: 'Hello {{name}}, your code is {{code}}.', language: 'en-US', variables: { name: 'Ada' } });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('content-type'), 'audio/wav');
    const wav = parseWav(Buffer.from(await res.arrayBuffer()));
    assert.equal(wav.sampleRate, 8000);
    assert.ok(wav.samples.length > 8000 * 0.5, 'at least half a second of speech');
    const cached = wavFiles(e2e);
    assert.equal(cached.length, 1);

    // The same text again (extra spaces fold as a call's do) is the cached file.
    const again = await preview({ text: 'Hello  {{name}},  your code is {{code}}.', language: 'en-US', variables: { name: 'Ada' } });
    assert.equal(again.status, 200);
    await again.arrayBuffer();
    assert.deepEqual(wavFiles(e2e), cached);
    // A call saying the same text hits that file too (the say step's text, rendered).
    const flow = await e2e.request('POST', '/flows', { body: { name: 'Say', steps: [
      { id: 'n', type: 'set', variable: 'name', value: 'Ada' }, { id: 'c', type: 'set', variable: 'code', value: 'code' },
      { id: 's', type: 'say', text: 'Hello {{name}}, your code is {{code}}.', language: 'en-US' }, { id: 'h', type: 'hangup' },
    ] } });
    assert.equal(flow.status, 201, flow.text);
    const call = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: flow.body.id, numberToDial: '+18144043093' } });
    assert.equal(call.status, 200, call.text);
    const ended = await e2e.waitForSession(call.body.id, (s) => s.dateEnded !== null && s.dateEnded !== undefined, 60_000);
    assert.ok(ended.timeline.some((e: { type: string }) => e.type === 'say.text'), JSON.stringify(ended.timeline.slice(-3)));
    assert.deepEqual(wavFiles(e2e), cached, 'the call spoke from the preview\'s cached audio');
  });

  test('PreviewSpeech refuses bad input in the API\'s error shape', async () => {
    const errorOf = async (body: unknown) => {
      const res = await preview(body);
      const json = await res.json() as { responseStatus: { errorCode: string; errors?: Array<{ fieldName: string; errorCode: string }> } };
      return { status: res.status, code: json.responseStatus.errorCode, fields: (json.responseStatus.errors ?? []).map((e) => e.fieldName) };
    };
    assert.deepEqual(await errorOf({}), { status: 400, code: 'ValidationException', fields: ['text'] });
    assert.deepEqual(await errorOf({ text: 'x'.repeat(1001) }), { status: 400, code: 'ValidationException', fields: ['text'] });
    assert.deepEqual(await errorOf({ text: 'hi', voice: 'en us; rm' }), { status: 400, code: 'ValidationException', fields: ['voice'] });
    assert.deepEqual(await errorOf({ text: 'hi', language: 'english please' }), { status: 400, code: 'ValidationException', fields: ['language'] });
    assert.deepEqual(await errorOf({ text: 'hi', variables: ['a'] }), { status: 400, code: 'ValidationException', fields: ['variables'] });
    assert.deepEqual(await errorOf({ text: '{{nothing}}', variables: { nothing: ' ' } }), { status: 400, code: 'ValidationException', fields: ['text'] });
    const anonymous = await preview({ text: 'hi' }, null);
    assert.equal(anonymous.status, 401);
  });

  test('ListSounds lists the simulator\'s sounds, searched and paged, and keeps the list briefly', async () => {
    const asked = () => e2e.sim.requests().filter((r) => r.path === '/ari/sounds').length;
    const before = asked();
    const all = await e2e.request('GET', '/sounds?all=true');
    assert.equal(all.status, 200, all.text);
    const hello = all.body.items.find((s: { id: string }) => s.id === 'hello-world');
    assert.deepEqual(hello, { id: 'hello-world', languages: ['en', 'en_US_f_Allison'], formats: ['gsm', 'slin'] });
    const ids = all.body.items.map((s: { id: string }) => s.id);
    assert.deepEqual(ids, [...ids].sort(), 'sorted by id');

    const demo = await e2e.request('GET', '/sounds?search=DEMO-');
    assert.deepEqual(demo.body.items.map((s: { id: string }) => s.id), ['demo-congrats', 'demo-echotest', 'demo-instruct', 'demo-thanks']);
    const page = await e2e.request('GET', '/sounds?search=demo&countPerPage=3&page=2');
    assert.deepEqual({ ids: page.body.items.map((s: { id: string }) => s.id), total: page.body.totalCount, more: page.body.hasMorePages },
      { ids: ['demo-thanks'], total: 4, more: false });
    assert.equal(asked() - before, 1, 'one ARI request for the three lists (kept for a minute)');

    const english = await e2e.request('GET', '/sounds?language=en&search=hello');
    assert.deepEqual(english.body.items, [{ id: 'hello-world', languages: ['en'], formats: ['gsm', 'slin'] }]);
    assert.deepEqual((await e2e.request('GET', '/sounds?language=fr')).body.items, []);
    const csv = await e2e.request('GET', '/sounds?search=hello', { headers: { accept: 'text/csv' } });
    assert.equal(csv.status, 200);
    assert.match(csv.text, /hello-world/);

    const bad = await e2e.request('GET', '/sounds?language=../etc');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.responseStatus.errors[0].fieldName, 'language');
    assert.equal((await e2e.request('GET', `/sounds?search=${'a'.repeat(101)}`)).status, 400);
    assert.equal((await e2e.request('GET', '/sounds', { token: null })).status, 401);
  });

  test('each flow version records who saved it (the token\'s subject); the seeded flow says null', async () => {
    const created = await e2e.request('POST', '/flows', { body: { name: 'Authored', steps: [{ id: 'h', type: 'hangup' }] }, token: e2e.token({ sub: 'alice@example.com' }) });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.createdBy, 'alice@example.com');
    const id = created.body.id as string;
    const patched = await e2e.request('PATCH', `/flows/${id}`, { body: { name: 'Authored 2' }, token: e2e.token({ sub: 'bob' }) });
    assert.deepEqual([patched.body.version, patched.body.createdBy], [2, 'bob']);
    assert.equal((await e2e.request('GET', `/flows/${id}?version=1`)).body.createdBy, 'alice@example.com');
    assert.equal((await e2e.request('GET', `/flows/${id}`)).body.createdBy, 'bob');
    const copy = await e2e.request('POST', `/flows/${id}/copy`, { body: {}, token: e2e.token({ sub: 'carol' }) });
    assert.equal(copy.body.createdBy, 'carol');
    const xml = await e2e.request('GET', `/flows/${id}.xml`);
    assert.match(xml.text, /<CreatedBy>bob<\/CreatedBy>/);
    assert.equal((await e2e.request('GET', '/flows/demo-flow')).body.createdBy, null);
  });
});

describe('console media API without espeak-ng, and with Asterisk failing', () => {
  let e2e: E2E;
  before(async () => { e2e = await startE2E({ TTS_ESPEAK_PATH: '/nonexistent/espeak-ng' }); });
  after(async () => { await e2e?.close(); });

  test('PreviewSpeech says TTS is unavailable (503); ListSounds says Asterisk did not list its sounds (503)', async () => {
    const res = await e2e.request('POST', '/speech/preview', { body: { text: 'hello' } });
    assert.equal(res.status, 503, res.text);
    assert.equal(res.body.responseStatus.errorCode, 'TtsUnavailable');
    assert.match(res.body.responseStatus.message, /espeak-ng is not installed/);

    e2e.sim.faults.failNext({ method: 'GET', path: /\/sounds$/, status: 500, body: { message: 'Internal error' } });
    const sounds = await e2e.request('GET', '/sounds');
    assert.equal(sounds.status, 503, sounds.text);
    assert.equal(sounds.body.responseStatus.errorCode, 'SoundsUnavailable');
  });
});
