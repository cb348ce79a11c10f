// Text to speech: espeak-ng for real (a child process), the WAV it gives brought to 8 kHz mono,
// the content-hash cache (hits, size cap, eviction), a missing espeak-ng said plainly, the HTTP
// provider against a real local server, the /media/ publication.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { EspeakProvider, ESPEAK_MISSING } from '../../src/tts/espeak.js';
import { HttpTtsProvider } from '../../src/tts/http-tts.js';
import { TtsCache } from '../../src/tts/cache.js';
import { MediaPublisher } from '../../src/tts/media-publisher.js';
import { Speech } from '../../src/tts/speech.js';
import { parseWav, wavDurationMs, writeWav } from '../../src/tts/wav.js';
import type { TtsProvider, TtsRequest } from '../../src/tts/provider.js';

const logger = pino({ level: 'silent' });
const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'tts-'));
  dirs.push(d);
  return d;
};
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** A provider that counts its syntheses and answers `ms` of silence at 8 kHz. */
function countingProvider(ms = 500): TtsProvider & { calls: TtsRequest[] } {
  const calls: TtsRequest[] = [];
  return {
    name: 'counting', calls,
    check: () => Promise.resolve({ available: true }),
    synthesize: (r) => {
      calls.push(r);
      return Promise.resolve(writeWav({ sampleRate: 8000, samples: new Int16Array(8 * ms) }));
    },
  };
}

describe('espeak-ng', () => {
  test('synthesizes an 8 kHz mono 16-bit WAV as long as the speech', async () => {
    const espeak = new EspeakProvider();
    assert.deepEqual(await espeak.check(), { available: true });
    const wav = await espeak.synthesize({ text: 'Your appointment is tomorrow at ten.', language: 'en-US' });
    const pcm = parseWav(wav);
    assert.equal(pcm.sampleRate, 8000);
    assert.equal(wav.readUInt16LE(22), 1, 'mono');
    assert.equal(wav.readUInt16LE(34), 16, '16-bit');
    const ms = wavDurationMs(wav);
    assert.ok(ms > 1000 && ms < 6000, `a short sentence lasts ${ms} ms`);
    assert.ok(pcm.samples.some((s) => Math.abs(s) > 1000), 'not silence');
  });

  test('text starting with a dash is text, not an option; a bad voice is refused', async () => {
    const espeak = new EspeakProvider();
    assert.ok(wavDurationMs(await espeak.synthesize({ text: '--version' })) > 200);
    await assert.rejects(espeak.synthesize({ text: 'x', voice: 'en; rm -rf /' }), /not an espeak-ng voice name/);
  });

  test('missing: check says how to install it, speak fails with that reason, nothing throws', async () => {
    const missing = new EspeakProvider(join(tempDir(), 'no-espeak-ng'));
    const status = await missing.check();
    assert.equal(status.available, false);
    assert.equal(status.detail, ESPEAK_MISSING);
    const speech = new Speech(missing, new TtsCache(tempDir(), 1e6), { kind: 'http', publisher: new MediaPublisher(() => 'http://engine', 60_000) }, logger);
    await speech.start();
    assert.deepEqual(speech.readiness(), { provider: 'espeak-ng', available: false, detail: ESPEAK_MISSING });
    const spoken = await speech.speak({ text: 'hello' });
    assert.equal(spoken.ok, false);
    assert.match(spoken.ok ? '' : spoken.reason, /text to speech unavailable \(espeak-ng\): espeak-ng is not installed \(Debian\/Ubuntu: apt-get install -y espeak-ng\)/);
  });
});

describe('TtsCache', () => {
  test('the second request of the same text, voice and language is a hit; another voice is not', async () => {
    const provider = countingProvider();
    const cache = new TtsCache(tempDir(), 1e6);
    const a = await cache.get(provider, { text: 'hi', voice: 'en' });
    const b = await cache.get(provider, { text: 'hi', voice: 'en' });
    const c = await cache.get(provider, { text: 'hi', voice: 'fr' });
    assert.equal(a, b);
    assert.notEqual(a, c);
    assert.equal(provider.calls.length, 2);
    assert.deepEqual([cache.hits, cache.misses], [1, 2]);
  });

  test('the same text asked twice at once is synthesized once', async () => {
    const provider = countingProvider();
    const cache = new TtsCache(tempDir(), 1e6);
    const [a, b] = await Promise.all([cache.get(provider, { text: 'same' }), cache.get(provider, { text: 'same' })]);
    assert.equal(a, b);
    assert.equal(provider.calls.length, 1);
  });

  test('over the size cap the least recently used files are evicted; a restart keeps the rest', async () => {
    const dir = tempDir();
    const provider = countingProvider(500); // 8044 bytes each
    const cache = new TtsCache(dir, 20_000);
    const one = await cache.get(provider, { text: 'one' });
    await cache.get(provider, { text: 'two' });
    await cache.get(provider, { text: 'one' }); // one is now the most recent
    const three = await cache.get(provider, { text: 'three' });
    assert.ok(cache.size() <= 20_000);
    assert.deepEqual(readdirSync(dir).sort(), [`${one}.wav`, `${three}.wav`].sort());
    const reopened = new TtsCache(dir, 20_000);
    await reopened.get(provider, { text: 'one' });
    assert.equal(reopened.hits, 1);
  });
});

describe('HttpTtsProvider', () => {
  let server: Server | undefined;
  after(() => server?.close());

  test('posts the request as JSON and brings the WAV it gets to 8 kHz; errors and timeouts are TtsErrors', async () => {
    const bodies: unknown[] = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        const parsed = JSON.parse(body) as { text: string };
        bodies.push(parsed);
        if (parsed.text === 'fail') { res.writeHead(503).end(); return; }
        if (parsed.text === 'slow') return; // never answers
        res.writeHead(200, { 'content-type': 'audio/wav' }).end(writeWav({ sampleRate: 16000, samples: new Int16Array(16000) }));
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const provider = new HttpTtsProvider(`http://127.0.0.1:${port}/tts`, 1500);
    const wav = await provider.synthesize({ text: 'hello', voice: 'nova', language: 'en-US' });
    assert.equal(parseWav(wav).sampleRate, 8000);
    assert.equal(wavDurationMs(wav), 1000);
    assert.deepEqual(bodies[0], { text: 'hello', voice: 'nova', language: 'en-US' });
    await assert.rejects(provider.synthesize({ text: 'fail' }), /answered 503/);
    await assert.rejects(provider.synthesize({ text: 'slow' }), /did not answer within 1500 ms/);
    server.closeAllConnections();
  });
});

describe('MediaPublisher', () => {
  test('unguessable names that expire; nothing else is found', () => {
    let now = 1000;
    const file = join(tempDir(), 'a.wav');
    writeFileSync(file, 'x');
    const publisher = new MediaPublisher(() => 'http://engine:3000/', 60_000, () => now);
    const url = publisher.publish(file);
    const m = /^http:\/\/engine:3000\/media\/([A-Za-z0-9_-]{24})\.wav$/.exec(url);
    assert.ok(m, url);
    assert.equal(publisher.publish(file), url, 'the same file keeps its name (Asterisk\'s media cache can hit)');
    assert.equal(publisher.lookup(`${m[1]}.wav`), file);
    now += 30_001;
    const renewed = publisher.publish(file);
    assert.notEqual(renewed, url, 'a name with less than half its life left is not handed out again');
    assert.equal(publisher.lookup(`${m[1]}.wav`), file, 'the old name still works until it expires');
    assert.equal(publisher.lookup(`${m[1]}.mp3`), undefined);
    assert.equal(publisher.lookup('../a.wav'), undefined);
    now += 30_000;
    assert.equal(publisher.lookup(`${m[1]}.wav`), undefined);
    assert.ok(publisher.lookup(`${/([A-Za-z0-9_-]{24})\.wav$/.exec(renewed)![1]}.wav`));
  });
});
