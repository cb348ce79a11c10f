// Media from URLs in flows (sound:http(s)://…, as Asterisk 22 plays them): the syntax checked by
// flow validation, where they point checked on save with the webhooks' destination policy.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { responseStatus, startHttpHarness, type HttpHarness } from '../support/http-harness.js';
import { validateFlowDocument } from '../../src/domain/flow-validation.js';

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
    for (const bad of ['sound:https://exa mple.com/a.wav', 'sound:ftp://example.com/a.wav', 'sound:https://example.com/a,b.wav']) {
      const r = validateFlowDocument(flow([bad]));
      assert.equal(r.ok, false, bad);
      if (!r.ok) assert.equal(r.errors[0]!.fieldName, 'steps[0].media[0]');
    }
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
    const res = await lab.request('POST', '/flows', { body: flow(['sound:http://127.0.0.1:8080/a.wav']) });
    assert.equal(res.status, 201, res.text);
  });
});
