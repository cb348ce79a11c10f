// GET /ari/sounds as res_ari_sounds answers it (api-docs/sounds.json; the Sound shape of trace
// asterisk-info: id and {language, format} pairs, no text): the sounds the simulator knows, the
// `lang` and `format` filters narrowing each sound's pairs and leaving out sounds without one,
// missing sounds absent; and the engine's ARI adapter reading it through the telephony port.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSimulator, type RunningSimulator } from '../../src/sim/index.js';
import { createAriClientPort } from '../../src/telephony/ari/ari-client-adapter.js';
import { createLogger } from '../../src/log.js';
import { raw } from '../support/sim-client.js';

const USER = 'engine';
const PASS = 'secret-pass';

interface Sound { id: string; text?: string; formats: Array<{ language: string; format: string }> }

describe('simulator: GET /sounds', () => {
  let sim: RunningSimulator;
  before(async () => {
    sim = await startSimulator({ username: USER, password: PASS, timeScale: 0.02, soundDurationsMs: { 'custom/welcome': 800 }, missingSounds: ['beep'] });
  });
  after(async () => { await sim.close(); });

  const list = async (query = ''): Promise<Sound[]> => {
    const res = await raw(sim.url, 'GET', `/ari/sounds${query}`, { user: USER, pass: PASS });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as Sound[];
  };

  test('every known sound with its language and format pairs, as GET /sounds/{id} shows one', async () => {
    const all = await list();
    const ids = all.map((s) => s.id);
    assert.ok(ids.includes('hello-world') && ids.includes('custom/welcome'), ids.join(' '));
    assert.ok(!ids.includes('beep'), 'a missing sound is not listed');
    const one = await raw(sim.url, 'GET', '/ari/sounds/hello-world', { user: USER, pass: PASS });
    assert.deepEqual(all.find((s) => s.id === 'hello-world'), one.body);
    assert.ok(all.every((s) => s.text === undefined && s.formats.length > 0));
  });

  test('lang and format narrow the pairs; a filter nothing matches leaves the list empty', async () => {
    const en = await list('?lang=en');
    assert.deepEqual(en.find((s) => s.id === 'hello-world')?.formats, [{ language: 'en', format: 'gsm' }, { language: 'en', format: 'slin' }]);
    const gsm = await list('?lang=en&format=gsm');
    assert.ok(gsm.length > 0 && gsm.every((s) => s.formats.length === 1 && s.formats[0]!.format === 'gsm' && s.formats[0]!.language === 'en'));
    assert.deepEqual(await list('?lang=fr'), []);
    assert.deepEqual(await list('?format=mp3'), []);
  });

  test('the ARI adapter lists them through the telephony port, with lang', async () => {
    const port = createAriClientPort({ url: sim.url, username: USER, password: PASS, app: 'sounds-test', logger: createLogger('silent') });
    try {
      await port.start();
      const res = await port.listSounds('en_US_f_Allison');
      assert.ok(res.ok, JSON.stringify(res));
      const hello = res.value.find((s) => s.id === 'hello-world');
      assert.deepEqual(hello, { id: 'hello-world', formats: [{ language: 'en_US_f_Allison', format: 'gsm' }, { language: 'en_US_f_Allison', format: 'slin' }] });
      const asked = sim.requests().filter((r) => r.path === '/ari/sounds');
      assert.deepEqual(asked.at(-1)?.query, { lang: 'en_US_f_Allison' });
    } finally {
      await port.close();
    }
  });
});
