// The stream step end to end over real sockets: the engine as npm start wires it, ari-client to the
// simulator (external media over WebSocket as trace r of Asterisk 22.10.1 shows, with audio), and a
// real WebSocket agent server. Audio is checked by content (Goertzel): the callee's 440 Hz tone
// reaches the agent, the agent's 1 kHz tone reaches the callee.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startE2E, type E2E } from '../support/e2e-stack.js';
import { startTestAgent, type TestAgent } from '../support/stream-agent.js';
import { framesWithTone, ulawToneShare, ulawTone } from '../support/audio.js';
import { startExampleAgents } from '../../examples/stream-agents.js';

const CALLEE = '+18144043093';
const rows = (s: any, type: string): any[] => s.timeline.filter((e: any) => e.type === type);
const stepsOf = (s: any): string[] => s.timeline.filter((e: any) => e.type === 'step.started').map((e: any) => e.data.stepId);
const isFinal = (s: any): boolean => ['completed', 'failed', 'canceled', 'busy', 'no-answer'].includes(s.state);

/** Twilio's documented fields, in their order. */
const MEDIA_KEYS = ['event', 'sequenceNumber', 'media', 'streamSid'];

describe('stream step over real sockets', () => {
  let e2e: E2E;
  let agent: TestAgent;

  before(async () => {
    e2e = await startE2E({ ALLOW_PRIVATE_DESTINATIONS: 'true', SIM_TIME_SCALE: '1' }, {
      [CALLEE]: { result: 'answer', answerAfterMs: 50, speak: { toneHz: 440 }, recordHeard: true },
    });
  });
  after(async () => {
    await e2e?.close();
  });

  const call = async (steps: unknown[]): Promise<string> => {
    const flow = await e2e.request('POST', '/flows', { body: { name: `stream ${Math.random()}`, steps } });
    assert.equal(flow.status, 201, flow.text);
    const placed = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: flow.body.id, numberToDial: CALLEE } });
    assert.ok(placed.status === 200 || placed.status === 201, placed.text);
    return placed.body.id as string;
  };
  const ended = (id: string): Promise<any> => e2e.waitForSession(id, isFinal, 30_000);

  test('both directions by content; marks after their audio played; engine.exit returns to the flow with the agent\'s variables', async () => {
    agent = await startTestAgent();
    try {
      const id = await call([
        { id: 'talk', type: 'stream', url: agent.url, parameters: { who: 'e2e' }, agentExits: ['after'], next: 'done' },
        { id: 'wrong', type: 'hangup' },
        { id: 'after', type: 'set', variable: 'back', value: 'yes' },
        { id: 'done', type: 'hangup' },
      ]);
      const c = await agent.connection();
      const connected = await c.next((m) => m.event === 'connected', 'connected');
      assert.deepEqual(connected.msg, { event: 'connected', protocol: 'Call', version: '1.0.0' });
      const start = (await c.next((m) => m.event === 'start', 'start')).msg;
      assert.deepEqual(Object.keys(start), ['event', 'sequenceNumber', 'start', 'streamSid']);
      assert.equal(start.sequenceNumber, '1');
      assert.match(start.streamSid, /^MZ[0-9a-f]{32}$/);
      assert.deepEqual(Object.keys(start.start), ['accountSid', 'streamSid', 'callSid', 'tracks', 'customParameters', 'mediaFormat']);
      assert.equal(start.start.callSid, id);
      assert.deepEqual(start.start.tracks, ['inbound']);
      assert.deepEqual(start.start.customParameters, { who: 'e2e' });
      assert.deepEqual(start.start.mediaFormat, { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 });

      // One second of the caller's audio: 50 frames of the 440 Hz tone.
      await c.next((m) => m.event === 'media' && m.media.chunk === '50', '50 media frames');
      const media = c.messages.filter((m) => m.msg.event === 'media').slice(0, 50).map((m) => m.msg);
      media.forEach((m, i) => {
        assert.deepEqual(Object.keys(m), MEDIA_KEYS);
        assert.deepEqual(Object.keys(m.media), ['track', 'chunk', 'timestamp', 'payload']);
        assert.equal(m.media.track, 'inbound');
        assert.equal(m.media.chunk, String(i + 1));
        assert.equal(m.media.timestamp, String(i * 20));
        assert.equal(m.sequenceNumber, String(i + 2));
        assert.equal(m.streamSid, start.streamSid);
      });
      const heardByAgent = Buffer.concat(media.map((m) => Buffer.from(m.media.payload, 'base64')));
      assert.ok(ulawToneShare(heardByAgent, 440) > 0.8, `the agent hears 440 Hz (share ${ulawToneShare(heardByAgent, 440)})`);
      assert.ok(ulawToneShare(heardByAgent, 1000) < 0.05);

      // One second of 1 kHz, sent at once (faster than real time), then a mark.
      const sentAt = performance.now();
      const tone = ulawTone(1000, 1000);
      for (let at = 0; at < tone.length; at += 800) c.send({ event: 'media', streamSid: start.streamSid, media: { payload: tone.subarray(at, at + 800).toString('base64') } });
      c.send({ event: 'mark', streamSid: start.streamSid, mark: { name: 'greeting' } });
      const mark = await c.next((m) => m.event === 'mark', 'the mark echoed');
      assert.deepEqual(Object.keys(mark.msg), ['event', 'sequenceNumber', 'streamSid', 'mark']);
      assert.deepEqual(mark.msg.mark, { name: 'greeting' });
      assert.ok(mark.at - sentAt >= 950, `the mark comes back once its second of audio has played (${Math.round(mark.at - sentAt)} ms)`);
      const seqs = c.messages.filter((m) => m.msg.sequenceNumber !== undefined).map((m) => Number(m.msg.sequenceNumber));
      assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'sequence numbers count every message');

      c.send({ event: 'engine.exit', variables: { intent: 'sales', score: 3 }, next: 'after' });
      const stop = (await c.next((m) => m.event === 'stop', 'stop')).msg;
      assert.deepEqual(stop.stop, { accountSid: start.start.accountSid, callSid: id });
      const s = await ended(id);
      assert.deepEqual(stepsOf(s), ['talk', 'after', 'done']);
      assert.equal(s.variables.intent, 'sales');
      assert.equal(s.variables.score, '3');
      assert.equal(s.variables.back, 'yes');
      const stopped = rows(s, 'stream.stopped')[0].data;
      assert.equal(stopped.reason, 'exit');
      assert.equal(stopped.framesToCaller, 50);
      assert.ok(stopped.framesToAgent >= 50);
      assert.equal(rows(s, 'stream.mark').length, 1);
      assert.ok(!JSON.stringify(s.timeline).includes(media[0].media.payload), 'no audio in the timeline');

      const heard = e2e.sim.heardAudio(s.channelId);
      assert.ok(heard, 'the callee recorded what it heard');
      assert.ok(framesWithTone(heard, 1000) >= 45, `the callee heard the agent's 1 kHz tone (${framesWithTone(heard, 1000)} frames)`);
      assert.ok(framesWithTone(heard, 1000) <= 50);
    } finally {
      await agent.close();
    }
  });

  test('clear drops the queued audio at once and echoes the waiting marks; DTMF arrives as dtmf', async () => {
    agent = await startTestAgent();
    try {
      const id = await call([{ id: 'talk', type: 'stream', url: agent.url }, { id: 'bye', type: 'hangup' }]);
      const c = await agent.connection();
      const start = (await c.next((m) => m.event === 'start', 'start')).msg;
      c.send({ event: 'media', streamSid: start.streamSid, media: { payload: ulawTone(1000, 5000).toString('base64') } });
      c.send({ event: 'mark', streamSid: start.streamSid, mark: { name: 'end-of-speech' } });
      const session = await e2e.waitForSession(id, (s) => rows(s, 'stream.started').length > 0);
      assert.ok(e2e.sim.sendDtmf(session.channelId, '5'));
      const dtmf = (await c.next((m) => m.event === 'dtmf', 'dtmf')).msg;
      assert.deepEqual(Object.keys(dtmf), ['event', 'streamSid', 'sequenceNumber', 'dtmf']);
      assert.deepEqual(dtmf.dtmf, { track: 'inbound_track', digit: '5' });
      c.send({ event: 'clear', streamSid: start.streamSid });
      const mark = await c.next((m) => m.event === 'mark', 'the cleared mark echoed');
      assert.equal(mark.msg.mark.name, 'end-of-speech');
      c.socket.close(1000);
      const s = await ended(id);
      assert.deepEqual(stepsOf(s), ['talk', 'bye']);
      const clear = rows(s, 'stream.clear')[0].data;
      assert.ok(clear.clearedFrames > 100, `most of the 5 s was still queued (${clear.clearedFrames} frames)`);
      const stopped = rows(s, 'stream.stopped')[0].data;
      assert.equal(stopped.reason, 'closed');
      assert.equal(stopped.framesToCaller + clear.clearedFrames, 250, 'every frame either played or was cleared');
      // No recording at all: no 20 ms tick reached the callee before the clear (a busy machine), so
      // it heard nothing, which the bounds below then require of the frames played.
      const heard = e2e.sim.heardAudio(s.channelId) ?? Buffer.alloc(0);
      // What the callee heard of the tone is what was played before the clear: nothing after it.
      assert.ok(framesWithTone(heard, 1000) <= stopped.framesToCaller);
      assert.ok(framesWithTone(heard, 1000) >= stopped.framesToCaller - 2);
    } finally {
      await agent.close();
    }
  });

  test('an agent that drops takes onDisconnected; an unreachable one takes onFailed', async () => {
    agent = await startTestAgent();
    const unreachable = await startTestAgent();
    const deadUrl = unreachable.url;
    await unreachable.close();
    try {
      const id = await call([
        { id: 'talk', type: 'stream', url: agent.url, onDisconnected: 'dropped', onFailed: 'bad' },
        { id: 'bad', type: 'hangup' },
        { id: 'dropped', type: 'stream', url: deadUrl, connectTimeoutMs: 2000, onFailed: 'unreachable', onDisconnected: 'bad' },
        { id: 'unreachable', type: 'hangup' },
      ]);
      const c = await agent.connection();
      await c.next((m) => m.event === 'media', 'media');
      c.socket.terminate();
      const s = await ended(id);
      assert.deepEqual(stepsOf(s), ['talk', 'dropped', 'unreachable']);
      assert.equal(rows(s, 'stream.stopped')[0].data.reason, 'dropped');
      assert.match(rows(s, 'stream.failed')[0].data.reason, /could not be reached/);
      assert.equal(s.state, 'completed');
    } finally {
      await agent.close();
    }
  });

  test('fork: listens to both tracks alongside the following steps until stopStream', async () => {
    agent = await startTestAgent();
    try {
      const id = await call([
        { id: 'listen', type: 'stream', url: agent.url, fork: true, tracks: 'both' },
        { id: 'wait', type: 'pause', ms: 60_000 },
      ]);
      const c = await agent.connection();
      const start = (await c.next((m) => m.event === 'start', 'start')).msg;
      assert.deepEqual(start.start.tracks, ['inbound', 'outbound']);
      await c.next((m) => m.event === 'media' && m.media.track === 'inbound' && m.media.chunk === '25', 'inbound media');
      await c.next((m) => m.event === 'media' && m.media.track === 'outbound' && m.media.chunk === '25', 'outbound media');
      const inbound = c.messages.filter((m) => m.msg.event === 'media' && m.msg.media.track === 'inbound').slice(0, 25);
      const audio = Buffer.concat(inbound.map((m) => Buffer.from(m.msg.media.payload, 'base64')));
      assert.ok(ulawToneShare(audio, 440) > 0.8, 'the inbound track carries the caller');
      const s1 = await e2e.waitForSession(id, (s) => stepsOf(s).includes('wait'));
      assert.equal(s1.state, 'in-progress', 'the flow went on while the stream runs');
      // A redirect to a flow that stops the stream.
      const stopper = await e2e.request('POST', '/flows', { body: { name: 'stopper', steps: [{ id: 'stop', type: 'stopStream', stream: 'listen' }, { id: 'rest', type: 'pause', ms: 60_000 }] } });
      assert.equal(stopper.status, 201, stopper.text);
      const redirected = await e2e.request('POST', `/sessions/${id}/redirect`, { body: { flowId: stopper.body.id } });
      assert.ok(redirected.status < 300, redirected.text);
      await c.next((m) => m.event === 'stop', 'stop after stopStream');
      await c.closed;
      const s2 = await e2e.waitForSession(id, (s) => rows(s, 'stream.stopped').length > 0);
      assert.equal(rows(s2, 'stream.stopped')[0].data.reason, 'stopStream');
      await e2e.request('DELETE', `/sessions/${id}`);
      await ended(id);
    } finally {
      await agent.close();
    }
  });

  test('RedirectSession during a stream: the agent gets stop and the other flow runs', async () => {
    agent = await startTestAgent();
    try {
      const id = await call([{ id: 'talk', type: 'stream', url: agent.url }, { id: 'never', type: 'hangup' }]);
      const c = await agent.connection();
      await c.next((m) => m.event === 'media', 'media');
      const other = await e2e.request('POST', '/flows', { body: { name: 'after redirect', steps: [{ id: 'elsewhere', type: 'set', variable: 'moved', value: 'yes' }, { id: 'end', type: 'hangup' }] } });
      const redirected = await e2e.request('POST', `/sessions/${id}/redirect`, { body: { flowId: other.body.id } });
      assert.ok(redirected.status < 300, redirected.text);
      await c.next((m) => m.event === 'stop', 'stop');
      const s = await ended(id);
      assert.deepEqual(stepsOf(s), ['talk', 'elsewhere', 'end']);
      assert.equal(s.variables.moved, 'yes');
      assert.equal(rows(s, 'stream.stopped')[0].data.reason, 'interrupted');
    } finally {
      await agent.close();
    }
  });

  test('the caller hanging up sends the agent stop and takes no exit', async () => {
    agent = await startTestAgent();
    try {
      const id = await call([{ id: 'talk', type: 'stream', url: agent.url, next: 'never' }, { id: 'never', type: 'hangup' }]);
      const c = await agent.connection();
      await c.next((m) => m.event === 'media', 'media');
      const session = await e2e.waitForSession(id, (s) => rows(s, 'stream.started').length > 0);
      assert.ok(e2e.sim.hangupFromFarEnd(session.channelId));
      await c.next((m) => m.event === 'stop', 'stop');
      const s = await ended(id);
      assert.deepEqual(stepsOf(s), ['talk']);
      await e2e.waitForSession(id, (x) => rows(x, 'stream.stopped').length > 0);
    } finally {
      await agent.close();
    }
  });

  test('the example agents: echo returns the caller\'s own 440 Hz; play-file is cleared by a key and leaves on #', async () => {
    const examples = await startExampleAgents(0);
    try {
      const echoId = await call([{ id: 'echo', type: 'stream', url: `ws://127.0.0.1:${examples.port}/echo`, maxDurationMs: 2500 }, { id: 'bye', type: 'hangup' }]);
      const echoed = await ended(echoId);
      assert.equal(rows(echoed, 'stream.stopped')[0].data.reason, 'maxDurationMs');
      assert.ok(rows(echoed, 'stream.mark').length >= 1, 'a mark per echoed second');
      const heard = e2e.sim.heardAudio(echoed.channelId)!;
      assert.ok(framesWithTone(heard, 440) >= 50, `the callee hears itself (${framesWithTone(heard, 440)} frames of 440 Hz)`);

      const playId = await call([{ id: 'play', type: 'stream', url: `ws://127.0.0.1:${examples.port}/play-file` }, { id: 'bye', type: 'hangup' }]);
      const playing = await e2e.waitForSession(playId, (s) => rows(s, 'stream.started').length > 0);
      assert.ok(e2e.sim.sendDtmf(playing.channelId, '1#', 100));
      const s = await ended(playId);
      assert.equal(s.variables.keys, '1#');
      assert.equal(s.variables.finished, 'by-key');
      assert.ok(rows(s, 'stream.clear').length >= 1);
      assert.ok(rows(s, 'stream.clear')[0].data.clearedFrames > 0, 'the file was cut short');
    } finally {
      await examples.close();
    }
  });
});
