// Media from URLs in flows (sound:http(s)://…, as Asterisk 22 plays them, or the plain http(s)://
// URL people paste): the syntax checked by flow validation, where they point checked on save with
// the webhooks' destination policy (metadata addresses refused even in labs), and both forms
// played in a simulated call (real ari-client against the simulator, which fetches them).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { responseStatus, startHttpHarness, type HttpHarness } from '../support/http-harness.js';
import { startE2E, type E2E } from '../support/e2e-stack.js';
import { asteriskMedia, validateFlowDocument } from '../../src/domain/flow-validation.js';

const flow = (media: string[], prompt: string[] = ['sound:vm-press']) => ({
  name: 'URL media',
  steps: [
    { id: 'hello', type: 'playback', media },
    { id: 'menu', type: 'gather', prompt, maxDigits: 1 },
    { id: 'bye', type: 'hangup' },
  ],
});

describe('media URLs: syntax', () => {
  test('sound:https:// and sound:http:// URLs are media; malformed ones get a field error', () => {
    assert.ok(validateFlowDocument(flow(['sound:https://media.example.com/greetings/hello.wav?v=2', 'sound:http://cdn.example.org/a.sln16'])).ok);
    for (const bad of ['sound:https://exa mple.com/a.wav', 'sound:ftp://example.com/a.wav', 'sound:https://example.com/a,b.wav',
      'https://exa mple.com/a.wav', 'ftp://example.com/a.wav', 'https://example.com/a,b.wav', `https://example.com/${'a'.repeat(1100)}.wav`]) {
      const r = validateFlowDocument(flow([bad]));
      assert.equal(r.ok, false, bad);
      if (!r.ok) assert.equal(r.errors[0]!.fieldName, 'steps[0].media[0]');
    }
  });

  test('a plain http(s):// URL is media wherever sound:http(s):// is, and goes to Asterisk as sound:', () => {
    assert.ok(validateFlowDocument(flow(['https://media.example.com/greetings/hello.wav?v=2'], ['http://cdn.example.org/menu.sln16'])).ok);
    assert.equal(asteriskMedia('https://media.example.com/a.wav'), 'sound:https://media.example.com/a.wav');
    assert.equal(asteriskMedia('sound:https://media.example.com/a.wav'), 'sound:https://media.example.com/a.wav');
    assert.equal(asteriskMedia('sound:hello-world'), 'sound:hello-world');
  });
});

describe('media URLs: destination policy on save', () => {
  let h: HttpHarness;
  let lab: HttpHarness;
  before(async () => {
    h = await startHttpHarness();
    lab = await startHttpHarness({ ALLOW_PRIVATE_DESTINATIONS: 'true' });
  });
  after(async () => { await h.close(); await lab.close(); });

  test('a public URL is saved as written', async () => {
    const res = await h.request('POST', '/flows', { body: flow(['sound:https://media.example.com/hello.wav']) });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.body.document.steps[0].media, ['sound:https://media.example.com/hello.wav']);
  });

  test('loopback, private and metadata addresses are refused with a field error per URL', async () => {
    const res = await h.request('POST', '/flows', {
      body: flow(['sound:http://127.0.0.1:8080/a.wav', 'sound:hello-world'], ['sound:http://169.254.169.254/latest.wav']),
    });
    assert.equal(res.status, 400, res.text);
    const errors = responseStatus(res).errors;
    assert.deepEqual(errors.map((e) => `${e.fieldName}:${e.errorCode}`), ['steps[0].media[0]:DestinationNotAllowed', 'steps[1].prompt[0]:DestinationNotAllowed']);
    assert.match(errors[0]!.message, /loopback, private, link-local or metadata/);
    const patch = await h.request('POST', '/flows', { body: flow(['sound:http://localhost/a.wav']) });
    assert.equal(patch.status, 400);
  });

  test('ALLOW_PRIVATE_DESTINATIONS=true lets a lab use a local media server', async () => {
    const res = await lab.request('POST', '/flows', { body: flow(['sound:http://127.0.0.1:8080/a.wav', 'http://10.0.0.5/b.wav']) });
    assert.equal(res.status, 201, res.text);
  });

  test('plain URLs: stored as written; the same policy as sound: URLs', async () => {
    const res = await h.request('POST', '/flows', { body: flow(['https://media.example.com/hello.wav'], ['http://cdn.example.org/menu.wav']) });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.body.document.steps[0].media, ['https://media.example.com/hello.wav']);
    assert.deepEqual(res.body.document.steps[1].prompt, ['http://cdn.example.org/menu.wav']);
    const refused = await h.request('POST', '/flows', { body: flow(['http://192.168.1.10/a.wav'], ['https://localhost/b.wav']) });
    assert.equal(refused.status, 400, refused.text);
    assert.deepEqual(responseStatus(refused).errors.map((e) => `${e.fieldName}:${e.errorCode}`), ['steps[0].media[0]:DestinationNotAllowed', 'steps[1].prompt[0]:DestinationNotAllowed']);
  });

  test('metadata addresses are refused even with ALLOW_PRIVATE_DESTINATIONS=true: media (both forms) and webhooks', async () => {
    const res = await lab.request('POST', '/flows', {
      body: flow(['sound:http://169.254.169.254/x.wav', 'http://[fd00:ec2::254]/x.wav'], ['http://metadata.google.internal/x.wav', 'sound:http://[::ffff:169.254.169.254]/x.wav']),
    });
    assert.equal(res.status, 400, res.text);
    const errors = responseStatus(res).errors;
    assert.deepEqual(errors.map((e) => e.fieldName), ['steps[0].media[0]', 'steps[0].media[1]', 'steps[1].prompt[0]', 'steps[1].prompt[1]']);
    for (const e of errors) assert.match(e.message, /cloud metadata address/);
    for (const url of ['http://169.254.169.254/hook', 'http://[fd00:ec2::254]/hook', 'http://metadata.google.internal./hook']) {
      const hook = await lab.request('POST', '/webhooks', { body: { url } });
      assert.equal(hook.status, 400, `${url}: ${hook.text}`);
      assert.equal(responseStatus(hook).errors[0]!.fieldName, 'url');
      assert.match(responseStatus(hook).errors[0]!.message, /metadata/);
    }
  });
});

describe('media URLs: plain and sound: forms both play in a simulated call', () => {
  let e2e: E2E;
  let media: Server;
  let base: string;
  const fetched: string[] = [];
  const CALLEE = '+18144043093';

  before(async () => {
    // 1,600 bytes of 8 kHz 16-bit audio: 100 ms each.
    media = createServer((req, res) => {
      fetched.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'audio/wav' }).end(Buffer.alloc(1600));
    });
    await new Promise<void>((resolve) => media.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(media.address() as AddressInfo).port}`;
    e2e = await startE2E({ ALLOW_PRIVATE_DESTINATIONS: 'true' }, { [CALLEE]: { result: 'answer', answerAfterMs: 50 } });
  });
  after(async () => {
    await e2e?.close();
    await new Promise<void>((resolve) => media.close(() => resolve()));
  });

  test('the call completes, each file fetched once, the timeline shows the media as written', async () => {
    const written = [`${base}/plain.wav`, `sound:${base}/prefixed.wav`];
    const created = await e2e.request('POST', '/flows', {
      body: { name: 'URL media', steps: [{ id: 'hello', type: 'playback', media: written }, { id: 'bye', type: 'hangup' }] },
    });
    assert.equal(created.status, 201, created.text);
    const placed = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: created.body.id, numberToDial: CALLEE } });
    assert.equal(placed.status, 200, placed.text);
    const session = await e2e.waitForSession(placed.body.id, (s) => ['completed', 'failed'].includes(s.state));
    assert.equal(session.state, 'completed', JSON.stringify(session.timeline.slice(-4)));
    assert.deepEqual(fetched.filter((f) => f.startsWith('GET')).sort(), ['GET /plain.wav', 'GET /prefixed.wav']);
    const started = session.timeline.find((e: { type: string }) => e.type === 'playback.started');
    assert.deepEqual(started?.data.media, written);
  });
});
