// The feature scenarios: what a flow and the live-control API do to an answered call, each against
// the answer test callee (Local/answer@test-callees: answers, stays silent). Text to speech and
// URL media (Asterisk fetches them: res_http_media_cache), a recording listed, downloaded and read
// with Range, hold with music (res_musiconhold; against a real Asterisk the music is heard through
// a snoop of the held channel), redirect, DTMF to the far end, EndSession in each live state, and
// a blind transfer. The webhook check (exactly one session.ended per call) is engine-scenarios.ts'.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FlowDocument } from '../../src/domain/flow.js';
import { parseWav, writeWav } from '../../src/tts/wav.js';
import { timelineOf } from './faults-engine.js';
import { CALLEES, rowsOf, stepsOf, type ScenarioContext } from './scenario-lab.js';
import { heardOn, toneShare } from './scenario-audio.js';

const FLOWS = {
  say: {
    name: 'Scenario say',
    steps: [{ id: 'speak', type: 'say', text: 'Hello from the flow engine.' }, { id: 'bye', type: 'hangup' }],
  },
  record: {
    name: 'Scenario record',
    steps: [{ id: 'rec', type: 'record', maxDurationMs: 2000, beep: false, variable: 'recording' }, { id: 'bye', type: 'hangup' }],
  },
  pause: {
    name: 'Scenario pause',
    steps: [
      { id: 'wait', type: 'pause', ms: 60000 },
      { id: 'resumed', type: 'set', variable: 'after', value: 'resumed', next: 'bye' },
      { id: 'bye', type: 'hangup' },
    ],
  },
  redirected: {
    name: 'Scenario redirect target',
    steps: [
      { id: 'start', type: 'set', variable: 'where', value: 'start' },
      { id: 'landed', type: 'set', variable: 'redirected', value: 'yes' },
      { id: 'thanks', type: 'playback', media: ['sound:auth-thankyou'] },
      { id: 'bye', type: 'hangup' },
    ],
  },
  transfer: {
    name: 'Scenario transfer',
    steps: [{ id: 'hello', type: 'playback', media: ['sound:hello-world'] }, { id: 'away', type: 'transfer', to: CALLEES.answer }],
  },
} satisfies Record<string, FlowDocument>;

/** One second of a 440 Hz tone, 8 kHz 16-bit mono: the URL media the playback scenario serves. */
function toneWav(): Buffer {
  const samples = new Int16Array(8000);
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000));
  return writeWav({ sampleRate: 8000, samples });
}

export function defineFeatureScenarios(ctx: ScenarioContext): void {
  describe('features on an answered call', () => {
    const flows: Partial<Record<keyof typeof FLOWS, string>> = {};
    let media: Server;
    let mediaBase = '';
    const mediaRequests: Array<{ method: string; url: string; userAgent: string }> = [];

    before(async () => {
      for (const [name, document] of Object.entries(FLOWS)) flows[name as keyof typeof FLOWS] = await ctx.flow(document);
      const wav = toneWav();
      media = createServer((req, res) => {
        mediaRequests.push({ method: req.method ?? '', url: req.url ?? '', userAgent: req.headers['user-agent'] ?? '' });
        res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': wav.length });
        res.end(req.method === 'HEAD' ? undefined : wav);
      });
      await new Promise<void>((resolve) => media.listen(0, '127.0.0.1', resolve));
      mediaBase = `http://127.0.0.1:${(media.address() as AddressInfo).port}`;
    });
    after(async () => { await new Promise((resolve) => media?.close(resolve)); });

    const api = () => ctx.engine().client;
    const answered = async (flow: keyof typeof FLOWS): Promise<string> => {
      const id = await ctx.call(flows[flow] as string, CALLEES.answer);
      await api().waitForSession(id, (s) => s.state === 'in-progress', 30_000);
      return id;
    };
    const completed = async (id: string): Promise<any> => {
      const session = await ctx.finalSession(id);
      assert.equal(session.state, 'completed', JSON.stringify(timelineOf(session).slice(-6)));
      return session;
    };

    test('say: text to speech is fetched by Asterisk from the engine and played to the end', async () => {
      const session = await completed(await ctx.call(flows.say as string, CALLEES.answer));
      assert.deepEqual(stepsOf(session), ['speak', 'bye']);
      assert.equal(rowsOf(session, 'say.text')[0]?.data.text, 'Hello from the flow engine.');
      const played = rowsOf(session, 'playback.finished');
      assert.deepEqual(played.map((r) => r.data.state), ['done'], JSON.stringify(timelineOf(session)));
      assert.match(rowsOf(session, 'playback.started')[0]?.data.media[0] ?? '', /^sound:http:\/\/.+\/media\/.+\.wav$/);
    });

    test('playback of an http URL: Asterisk fetches the file (its own user agent) and plays it', async () => {
      // Long enough for Asterisk 22.10.1's media cache (short URLs lose their cached file: docs/flows.md).
      const url = `${mediaBase}/scenario-media/tone-440hz-one-second.wav`;
      const flowId = await ctx.flow({ name: 'Scenario URL media', steps: [{ id: 'tone', type: 'playback', media: [`sound:${url}`] }, { id: 'bye', type: 'hangup' }] });
      const before = mediaRequests.length;
      const session = await completed(await ctx.call(flowId, CALLEES.answer));
      assert.deepEqual(rowsOf(session, 'playback.finished').map((r) => r.data.state), ['done'], JSON.stringify(timelineOf(session)));
      const fetched = mediaRequests.slice(before).filter((r) => r.url === '/scenario-media/tone-440hz-one-second.wav');
      assert.ok(fetched.length >= 1, 'Asterisk fetched the URL');
      assert.equal(fetched[0]?.userAgent, 'asterisk-libcurl-agent/1.0');
    });

    test('playback of a short http URL: padded by the engine, it plays (Asterisk 22.10.1 loses short URLs\' cached files)', async () => {
      // 24 characters: shorter than the cached file's path on any usual install (docs/flows.md).
      const port = new URL(mediaBase).port;
      const url = `http://127.1:${port}/s.wav`;
      assert.ok(url.length <= 26, url);
      const flowId = await ctx.flow({ name: 'Scenario short URL', steps: [{ id: 'tone', type: 'playback', media: [`sound:${url}`] }, { id: 'bye', type: 'hangup' }] });
      const before = mediaRequests.length;
      const session = await completed(await ctx.call(flowId, CALLEES.answer));
      assert.deepEqual(rowsOf(session, 'playback.finished').map((r) => r.data.state), ['done'], JSON.stringify(timelineOf(session)));
      assert.deepEqual(rowsOf(session, 'playback.started')[0]?.data.media, [`sound:${url}`], 'the timeline shows the URL as written');
      assert.ok(mediaRequests.slice(before).some((r) => r.url === '/s.wav'), 'the server was asked for the path as written (no fragment)');
    });

    test('record → list → download → Range: the lab phone\'s 440 Hz tone is in the file', async () => {
      // phone1 (baresip) sends a 440 Hz sine; a silent Local callee sends no frames at all, and a
      // real Asterisk then writes an empty WAV.
      const session = await completed(await ctx.call(flows.record as string, CALLEES.labPhone));
      assert.equal(rowsOf(session, 'recording.finished')[0]?.data.state, 'done', JSON.stringify(timelineOf(session)));
      const list = await api().request('GET', `/sessions/${session.id}/recordings`);
      assert.equal(list.status, 200, list.text);
      assert.equal(list.body.items.length, 1);
      const recording = list.body.items[0];
      assert.equal(recording.stepId, 'rec');
      assert.ok(session.variables.recording, 'the recording\'s name is in the variable');
      const file = await fetch(`${ctx.engine().base}/recordings/${recording.id}/file`, { headers: { authorization: `Bearer ${api().token()}` } });
      assert.equal(file.status, 200);
      assert.equal(file.headers.get('content-type'), 'audio/wav');
      const wav = Buffer.from(await file.arrayBuffer());
      const pcm = parseWav(wav);
      // About two seconds (maxDurationMs) of 8 kHz audio.
      assert.ok(pcm.samples.length >= 8000 && pcm.samples.length <= 8000 * 4, `${pcm.samples.length} samples`);
      if (ctx.target.audio) {
        const share = toneShare(pcm.samples, pcm.sampleRate, 440);
        assert.ok(share > 0.5, `440 Hz carries ${(share * 100).toFixed(0)} % of the recording's power`);
      }
      const part = await fetch(`${ctx.engine().base}/recordings/${recording.id}/file`, { headers: { authorization: `Bearer ${api().token()}`, range: 'bytes=0-43' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes 0-43/${wav.length}`);
      assert.deepEqual(Buffer.from(await part.arrayBuffer()), wav.subarray(0, 44));
    });

    test('hold plays music on hold to the callee, resume goes back to the flow', async () => {
      const id = await answered('pause');
      const on = await api().request('POST', `/sessions/${id}/hold`, { body: { hold: true } });
      assert.equal(on.status, 204, on.text);
      const session = await api().request('GET', `/sessions/${id}`);
      if (ctx.target.audio) {
        const level = await heardOn(ctx.target, session.body.channelId, 1500);
        assert.ok(level.rms > 200, `the held callee hears music (RMS ${level.rms.toFixed(0)} over ${level.samples} samples)`);
      }
      const off = await api().request('POST', `/sessions/${id}/hold`, { body: { hold: false } });
      assert.equal(off.status, 204, off.text);
      const go = await api().request('POST', `/sessions/${id}/redirect`, { body: { flowId: flows.pause, stepId: 'resumed' } });
      assert.equal(go.status, 204, go.text);
      const ended = await completed(id);
      assert.deepEqual(rowsOf(ended, 'session.hold').map((r) => r.data.hold), [true, false]);
      assert.equal(ended.variables.after, 'resumed');
    });

    test('redirect: a live call leaves its flow for another flow\'s step', async () => {
      const id = await answered('pause');
      const go = await api().request('POST', `/sessions/${id}/redirect`, { body: { flowId: flows.redirected, stepId: 'landed' } });
      assert.equal(go.status, 204, go.text);
      const session = await completed(id);
      assert.equal(session.variables.redirected, 'yes');
      assert.equal(session.variables.where, undefined, 'the target flow started at the step named');
      assert.deepEqual(stepsOf(session), ['wait', 'landed', 'thanks', 'bye']);
    });

    test('send DTMF: the digits go to the far end, the call goes on', async () => {
      const id = await answered('pause');
      const sent = await api().request('POST', `/sessions/${id}/dtmf`, { body: { digits: '12#' } });
      assert.equal(sent.status, 204, sent.text);
      const bad = await api().request('POST', `/sessions/${id}/dtmf`, { body: { digits: '12x' } });
      assert.equal(bad.status, 400, bad.text);
      const live = await api().request('GET', `/sessions/${id}`);
      assert.equal(live.body.state, 'in-progress');
      assert.equal(rowsOf(live.body, 'dtmf.sent')[0]?.data.digits, '12#');
      assert.equal((await api().request('DELETE', `/sessions/${id}`)).status, 200);
      await completed(id);
    });

    describe('EndSession in each live state', () => {
      test('at once after placing (queued or dialing): canceled, no call left', async () => {
        const id = await ctx.call(flows.pause as string, CALLEES.noAnswer);
        const end = await api().request('DELETE', `/sessions/${id}`);
        assert.equal(end.status, 200, end.text);
        const session = await ctx.finalSession(id);
        assert.equal(session.state, 'canceled', JSON.stringify(timelineOf(session).slice(-5)));
        assert.deepEqual(stepsOf(session), []);
      });

      test('ringing: canceled', async () => {
        const id = await ctx.call(flows.pause as string, CALLEES.noAnswer);
        await api().waitForSession(id, (s) => s.state === 'ringing', 30_000);
        assert.equal((await api().request('DELETE', `/sessions/${id}`)).status, 200);
        const session = await ctx.finalSession(id);
        assert.equal(session.state, 'canceled', JSON.stringify(timelineOf(session).slice(-5)));
      });

      test('in progress: completed, the flow stopped', async () => {
        const id = await answered('pause');
        assert.equal((await api().request('DELETE', `/sessions/${id}`)).status, 200);
        const session = await completed(id);
        assert.deepEqual(stepsOf(session), ['wait']);
      });

      test('on hold: completed', async () => {
        const id = await answered('pause');
        assert.equal((await api().request('POST', `/sessions/${id}/hold`, { body: { hold: true } })).status, 204);
        assert.equal((await api().request('DELETE', `/sessions/${id}`)).status, 200);
        const session = await completed(id);
        assert.deepEqual(rowsOf(session, 'session.hold').map((r) => r.data.hold), [true]);
      });
    });

    test('transfer: the call leaves the engine for [engine-transfer] and the session ends completed', async () => {
      const session = await completed(await ctx.call(flows.transfer as string, CALLEES.answer));
      assert.deepEqual(stepsOf(session), ['hello', 'away']);
      assert.equal(rowsOf(session, 'session.transferred')[0]?.data.to, CALLEES.answer);
      assert.match(session.endReason ?? '', /transferred to/);
      await ctx.hangupChannel(session.channelId);
    });
  });
}
