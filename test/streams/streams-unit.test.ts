// Units of the stream relay: the play-out's pacing, marks and clear on a driven clock; the agent
// messages the engine accepts; the agent URL's destination policy at save.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FRAME_BYTES, MAX_QUEUED_FRAMES, Playout, type PlayoutTicker } from '../../src/streams/playout.js';
import { mediaMessage, parseAgentMessage } from '../../src/streams/twilio-protocol.js';
import { FlowService } from '../../src/services/management.js';
import { AppError } from '../../src/domain/errors.js';
import type { Store } from '../../src/store/store.js';

/** A ticker the test drives (no interval). */
class ManualTicker implements PlayoutTicker {
  readonly active = new Set<Playout>();
  add(p: Playout): void { this.active.add(p); }
  remove(p: Playout): void { this.active.delete(p); }
  run(now: number): void { for (const p of [...this.active]) if (!p.tick(now)) this.remove(p); }
}

function playout() {
  const sent: Array<{ at: number; frame: Buffer }> = [];
  const marks: Array<{ at: number; name: string }> = [];
  let now = 1000;
  const ticker = new ManualTicker();
  const p = new Playout({ send: (frame) => sent.push({ at: now, frame }), mark: (name) => marks.push({ at: now, name }), latency: () => undefined }, ticker);
  return {
    p, sent, marks,
    at: () => now,
    /** Advances the clock in 5 ms ticks. */
    advance(ms: number) {
      for (let t = 0; t < ms; t += 5) {
        now += 5;
        ticker.run(now);
      }
    },
  };
}

describe('play-out of an agent\'s audio', () => {
  test('audio sent at once plays one 20 ms frame per 20 ms, in order, the first at once', () => {
    const o = playout();
    const audio = Buffer.alloc(FRAME_BYTES * 50);
    for (let i = 0; i < 50; i++) audio.fill(i, i * FRAME_BYTES, (i + 1) * FRAME_BYTES);
    o.p.push(audio, o.at());
    assert.equal(o.sent.length, 1, 'the first frame goes at once');
    o.advance(1000);
    assert.equal(o.sent.length, 50);
    o.sent.forEach((s, i) => {
      assert.equal(s.frame[0], i, 'in order');
      assert.equal(s.at - o.sent[0]!.at, i * 20, 'one per 20 ms');
    });
  });

  test('a mark comes back once the audio before it has played, not before', () => {
    const o = playout();
    o.p.push(Buffer.alloc(FRAME_BYTES * 10), o.at());
    o.p.pushMark('m1', o.at());
    o.advance(180);
    assert.equal(o.marks.length, 0, 'still playing');
    o.advance(40);
    assert.deepEqual(o.marks.map((m) => m.name), ['m1']);
    assert.equal(o.marks[0]!.at - 1000, 200, '10 frames = 200 ms');
  });

  test('clear drops the queue at once and echoes the waiting marks; nothing more plays', () => {
    const o = playout();
    o.p.push(Buffer.alloc(FRAME_BYTES * 100), o.at());
    o.p.pushMark('a', o.at());
    o.p.push(Buffer.alloc(FRAME_BYTES * 10), o.at());
    o.p.pushMark('b', o.at());
    o.advance(100);
    const played = o.sent.length;
    const cleared = o.p.clear();
    assert.equal(cleared, 110 - played);
    assert.deepEqual(o.marks.map((m) => m.name), ['a', 'b']);
    o.advance(200);
    assert.equal(o.sent.length, played, 'no frame after the clear');
  });

  test('the queue is bounded: what an agent sends beyond it is dropped and counted', () => {
    const o = playout();
    o.p.push(Buffer.alloc(FRAME_BYTES * (MAX_QUEUED_FRAMES + 10)), o.at());
    assert.equal(o.p.dropped, 10, 'what is beyond the bound is dropped as it comes');
    assert.equal(o.p.queuedFrames, MAX_QUEUED_FRAMES - 1, 'the first went at once');
  });

  test('an agent that paces itself gets no added delay', () => {
    const o = playout();
    for (let i = 0; i < 5; i++) {
      const before = o.sent.length;
      o.p.push(Buffer.alloc(FRAME_BYTES), o.at());
      assert.equal(o.sent.length, before + 1, `frame ${i} sent on arrival`);
      o.advance(20);
    }
  });
});

describe('Twilio Media Streams messages', () => {
  test('media is Twilio\'s shape with string numbers', () => {
    const msg = JSON.parse(mediaMessage(7, 'MZ1', 'inbound', 3, 40, Buffer.from([1, 2, 3])));
    assert.deepEqual(msg, { event: 'media', sequenceNumber: '7', media: { track: 'inbound', chunk: '3', timestamp: '40', payload: 'AQID' }, streamSid: 'MZ1' });
  });

  test('agent messages: media, mark, clear, engine.exit; anything else ignored', () => {
    assert.deepEqual(parseAgentMessage('{"event":"media","streamSid":"MZ1","media":{"payload":"AQID"}}'), { event: 'media', payload: Buffer.from([1, 2, 3]) });
    assert.deepEqual(parseAgentMessage('{"event":"mark","mark":{"name":"x"}}'), { event: 'mark', name: 'x' });
    assert.deepEqual(parseAgentMessage('{"event":"clear"}'), { event: 'clear' });
    assert.deepEqual(parseAgentMessage('{"event":"engine.exit","variables":{"a":"1","b":2,"bad name":"x","o":{}},"next":"step-2"}'),
      { event: 'engine.exit', variables: { a: '1', b: '2' }, next: 'step-2' });
    assert.deepEqual(parseAgentMessage('{"event":"engine.exit"}'), { event: 'engine.exit', variables: {} });
    assert.equal(parseAgentMessage('{"event":"engine.exit","variables":[1]}'), undefined);
    assert.equal(parseAgentMessage('{"event":"start"}'), undefined);
    assert.equal(parseAgentMessage('not json'), undefined);
    assert.equal(parseAgentMessage('{"event":"media","media":{}}'), undefined);
  });
});

describe('the agent URL at save', () => {
  const save = (allowPrivate: boolean, url: unknown) => new FlowService({} as Store, allowPrivate)
    .create('acc', { name: 'f', steps: [{ id: 's', type: 'stream', url }] });
  const refusal = async (allowPrivate: boolean, url: unknown): Promise<string[]> => {
    try {
      await save(allowPrivate, url);
    } catch (err) {
      if (err instanceof AppError) return err.fieldErrors.map((e) => `${e.errorCode} ${e.fieldName}`);
      throw err;
    }
    return [];
  };

  test('a private, loopback or metadata address is refused like a webhook\'s', async () => {
    for (const url of ['ws://127.0.0.1:9000/a', 'wss://10.1.2.3/a', 'ws://localhost/a', 'ws://169.254.169.254/latest', 'ws://[::1]/a']) {
      assert.deepEqual(await refusal(false, url), ['DestinationNotAllowed steps[0].url'], url);
    }
  });

  test('only ws(s) URLs without credentials', async () => {
    assert.deepEqual(await refusal(false, 'https://agent.example.com/'), ['InvalidValue steps[0].url']);
    assert.deepEqual(await refusal(false, 'wss://u:p@agent.example.com/'), ['InvalidValue steps[0].url']);
  });
});
