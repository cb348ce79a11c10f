// The stream step on a real Asterisk 22.10.1 with a SIP phone: the whole engine (src/stack.ts)
// against the lab Asterisk at STREAM_LAB_ARI_URL, an outgoing call to PJSIP/phone1 (a baresip that
// auto-answers and sends a 440 Hz sine) whose flow forks a listen-only stream of what the phone
// hears (tracks: outbound, a snoop spy=out) and then streams to an agent that talks back. Both
// directions are checked by content: the phone's 440 Hz reaches the agent, and the agent's 1 kHz
// reaches the phone (heard on the forked stream's outbound track). Skipped without the lab.
//   STREAM_LAB_ARI_URL=http://127.0.0.1:8088 STREAM_LAB_ARI_PASSWORD=… node --import tsx --test test/streams/stream-real-asterisk.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startStack } from '../../src/stack.js';
import { engineClient, TEST_JWT_SECRET } from '../support/e2e-stack.js';
import { startTestAgent } from '../support/stream-agent.js';
import { ulawToneShare, ulawTone } from '../support/audio.js';

const ARI_URL = process.env.STREAM_LAB_ARI_URL;
const PHONE_NUMBER = '+12025550101';

test('stream step on a real Asterisk 22.10.1 with a SIP phone: both directions by content', { skip: ARI_URL ? false : 'STREAM_LAB_ARI_URL is not set (a lab Asterisk with PJSIP/phone1 auto-answering a 440 Hz sine)' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stream-lab-'));
  const routes = join(dir, 'routes.json');
  writeFileSync(routes, JSON.stringify({ default: 'PJSIP/{number}@trunk', rules: [{ match: PHONE_NUMBER, endpoint: process.env.STREAM_LAB_PHONE ?? 'PJSIP/phone1' }] }));
  const config = loadConfig({
    JWT_SECRET: TEST_JWT_SECRET, DATABASE_PATH: join(dir, 'engine.sqlite'), PORT: '0', HOST: '127.0.0.1', DRAIN_TIMEOUT_MS: '0',
    ARI_URL: ARI_URL!, ARI_USERNAME: process.env.STREAM_LAB_ARI_USERNAME ?? 'engine', ARI_PASSWORD: process.env.STREAM_LAB_ARI_PASSWORD ?? '',
    ARI_APP: process.env.STREAM_LAB_ARI_APP ?? 'stream-lab', ROUTES_FILE: routes, ALLOW_PRIVATE_DESTINATIONS: 'true',
  });
  const stack = await startStack(config, createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'));
  const talker = await startTestAgent();
  const listener = await startTestAgent();
  try {
    await stack.ariConnected;
    const api = engineClient(`http://127.0.0.1:${stack.httpPort}`);
    const number = await api.request('POST', '/phone-numbers', { body: { number: '+12025550100', name: 'stream lab caller', enabled: true } });
    assert.ok(number.status === 201 || number.status === 409, number.text);
    const flow = await api.request('POST', '/flows', { body: { name: 'stream lab', steps: [
      { id: 'listen', type: 'stream', url: listener.url, fork: true, tracks: 'outbound' },
      { id: 'talk', type: 'stream', url: talker.url, maxDurationMs: 20_000 },
      { id: 'bye', type: 'hangup' },
    ] } });
    assert.equal(flow.status, 201, flow.text);
    const placed = await api.request('POST', '/sessions/outgoing', { body: { flowId: flow.body.id, numberToDial: PHONE_NUMBER } });
    assert.ok(placed.status < 300, placed.text);

    const t = await talker.connection(0, 30_000);
    const start = (await t.next((m) => m.event === 'start', 'start', 30_000)).msg;
    await t.next((m) => m.event === 'media' && m.media.chunk === '100', '2 s of the phone');
    const media = t.messages.filter((m) => m.msg.event === 'media').slice(50, 100);
    const fromPhone = Buffer.concat(media.map((m) => Buffer.from(m.msg.media.payload, 'base64')));
    assert.ok(ulawToneShare(fromPhone, 440) > 0.5, `the agent hears the phone's 440 Hz (share ${ulawToneShare(fromPhone, 440).toFixed(2)})`);

    const l = await listener.connection(0, 5_000);
    const sentFrom = l.messages.length;
    t.send({ event: 'media', streamSid: start.streamSid, media: { payload: ulawTone(1000, 2000).toString('base64') } });
    t.send({ event: 'mark', streamSid: start.streamSid, mark: { name: 'said' } });
    await t.next((m) => m.event === 'mark', 'the mark after 2 s of audio', 10_000);
    const heard = l.messages.slice(sentFrom).filter((m) => m.msg.event === 'media' && m.msg.media.track === 'outbound').slice(20, 90);
    const toPhone = Buffer.concat(heard.map((m) => Buffer.from(m.msg.media.payload, 'base64')));
    assert.ok(ulawToneShare(toPhone, 1000) > 0.5, `the phone hears the agent's 1 kHz (share ${ulawToneShare(toPhone, 1000).toFixed(2)}, ${heard.length} frames)`);

    t.send({ event: 'engine.exit', variables: { done: 'yes' } });
    const s = await api.waitForSession(placed.body.id, (x) => ['completed', 'failed'].includes(x.state), 20_000);
    assert.equal(s.state, 'completed', JSON.stringify(s.timeline.slice(-8)));
    assert.equal(s.variables.done, 'yes');
    await l.closed;
  } finally {
    await talker.close();
    await listener.close();
    await stack.stop(0);
    rmSync(dir, { recursive: true, force: true });
  }
});
