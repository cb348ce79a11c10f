// The sound list's choice of Asterisk server and its brief cache, on fake sources (the real path,
// ARI through the simulator, is test/e2e/console-media-api.test.ts): a connected server answers
// before a disconnected one, a failing one hands over to the next, an answer is kept for the TTL
// and a failure is not kept.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SoundCatalog, type SoundSource } from '../../src/services/sounds.js';

function source(name: string, connected: boolean, result: 'ok' | 'fail'): SoundSource & { asked: number } {
  const s = {
    asked: 0,
    isConnected: () => connected,
    listSounds: async () => {
      s.asked += 1;
      return result === 'ok'
        ? { ok: true as const, value: [{ id: `from-${name}`, formats: [{ language: 'en', format: 'gsm' }, { language: 'en', format: 'wav' }] }] }
        : { ok: false as const, kind: 'failed', message: 'HTTP 500' };
    },
  };
  return s;
}

describe('SoundCatalog', () => {
  test('any healthy server: a disconnected one is skipped, a failing one hands over to the next', async () => {
    const down = source('down', false, 'ok');
    const failing = source('failing', true, 'fail');
    const healthy = source('healthy', true, 'ok');
    const catalog = new SoundCatalog(() => [down, failing, healthy]);
    const page = await catalog.list({});
    assert.deepEqual(page.items, [{ id: 'from-healthy', languages: ['en'], formats: ['gsm', 'wav'] }]);
    assert.deepEqual([down.asked, failing.asked, healthy.asked], [0, 1, 1]);
  });

  test('no server answers: 503 SoundsUnavailable with the last reason; the failure is not kept', async () => {
    const failing = source('failing', true, 'fail');
    const catalog = new SoundCatalog(() => [failing]);
    await assert.rejects(catalog.list({}), { kind: 'unavailable', errorCode: 'SoundsUnavailable', message: /did not list its sounds: HTTP 500/ });
    await assert.rejects(catalog.list({}));
    assert.equal(failing.asked, 2, 'asked again after a failure');
    await assert.rejects(new SoundCatalog(() => []).list({}), { message: /no Asterisk server is configured/ });
  });

  test('an answer is kept for the TTL per language, then asked again', async () => {
    let now = 1_000;
    const healthy = source('healthy', true, 'ok');
    const catalog = new SoundCatalog(() => [healthy], 60_000, () => now);
    await catalog.list({});
    await catalog.list({ search: 'x' });
    assert.equal(healthy.asked, 1);
    await catalog.list({ language: 'en' });
    assert.equal(healthy.asked, 2, 'another language is another list');
    now += 60_001;
    await catalog.list({});
    assert.equal(healthy.asked, 3);
  });
});
