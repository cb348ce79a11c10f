// The simulator's `sound:http` URLs too short for Asterisk 22.10.1's media cache path: fetched,
// then failed (trace v-http-media-short-url; docs/simulator.md). With the default astcachedir
// (/var/cache/asterisk) and language en, 27 characters fail and 28 play.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSimulator, type RunningSimulator } from '../../src/sim/index.js';
import { shortestPlayableUrl } from '../../src/sim/http-media.js';
import { writeWav } from '../../src/tts/wav.js';
import { connectAri, EventLog, op, type AriClient } from '../support/sim-client.js';

const USER = 'engine';
const PASS = 'secret-pass';
const APP = 'shorturl';

describe('sound:http URLs shorter than the media cache path', () => {
  let sim: RunningSimulator;
  let client: AriClient;
  let log: EventLog;
  let media: Server;
  let base = '';
  const seen: string[] = [];

  before(async () => {
    const wav = writeWav({ sampleRate: 8000, samples: new Int16Array(800) });
    media = createServer((req, res) => {
      seen.push(String(req.url));
      res.writeHead(200, { 'Content-Type': 'audio/wav', 'Content-Length': String(wav.length) }).end(wav);
    });
    await new Promise<void>((resolve) => media.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(media.address() as AddressInfo).port}`;
    sim = await startSimulator({ username: USER, password: PASS, timeScale: 0.02 });
    client = await connectAri(sim.url, USER, PASS, APP);
    log = new EventLog(client);
  });

  after(async () => {
    log.cancelAll();
    client.stop();
    await sim.close();
    await new Promise((resolve) => media.close(resolve));
  });

  /** A URL of exactly `length` characters on the media server: /a…a.wav, or /a…a where .wav does not fit. */
  const urlOf = (length: number): string => {
    const free = length - base.length - 1;
    assert.ok(free >= 1, `the media server's address ${base} leaves no room for a ${length}-character URL`);
    return free >= 5 ? `${base}/${'a'.repeat(free - 4)}.wav` : `${base}/${'a'.repeat(free)}`;
  };

  const play = async (channelId: string, url: string): Promise<string> => {
    const pb = (await op(client, 'channels', 'play')({ channelId, media: `sound:${url}` })) as { id: string };
    const fin = await log.wait((e) => e.type === 'PlaybackFinished' && (e.playback as { id: string }).id === pb.id, 5000, `PlaybackFinished of ${url}`);
    return (fin.playback as { state: string }).state;
  };

  test('the threshold as Asterisk computes it: astcachedir + /bucket-XXXXXX must fit in language + url + 3', () => {
    assert.equal(shortestPlayableUrl('/var/cache/asterisk', 'en'), 28);
    // The lab Asterisk of the recording: 26 characters failed, 27 played.
    assert.equal(shortestPlayableUrl('/opt/lab/run/cache', 'en'), 27);
  });

  test('a URL one character short is fetched and fails; at the threshold, and padded with a fragment, it plays', async () => {
    const ch = (await op(client, 'channels', 'originate')({ endpoint: 'Local/answer@test', app: APP })) as { id: string };
    await log.waitType('StasisStart', ch.id);
    const short = urlOf(27);
    assert.equal(await play(ch.id, short), 'failed');
    assert.ok(seen.includes(new URL(short).pathname), `the short URL was fetched first (server saw ${seen.join(', ')})`);
    assert.equal(await play(ch.id, urlOf(28)), 'done');
    // Padding: the fragment lengthens the URL and never reaches the server (as curl does).
    const padded = `${base}/b#${'x'.repeat(24)}`;
    assert.equal(await play(ch.id, padded), 'done');
    assert.ok(seen.includes('/b') && !seen.some((u) => u.includes('#')), `fragment not sent (server saw ${seen.join(', ')})`);
    await op(client, 'channels', 'hangup')({ channelId: ch.id });
  });
});
