// The console's text/event-stream parser (src/console/sse-parser.ts), fed the way a network
// delivers bytes: any chunking, any line ending, comments as heartbeats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventStreamParser, type StreamEvent } from '../../src/console/sse-parser.js';

function parse(chunks: string[]): { events: StreamEvent[]; parser: EventStreamParser } {
  const events: StreamEvent[] = [];
  const parser = new EventStreamParser((e) => events.push(e));
  for (const c of chunks) parser.feed(c);
  return { events, parser };
}

const STREAM = 'retry: 2000\n\n: heartbeat\n\nid: evt_a_1\nevent: session.queued\ndata: {"sequence":1}\n\n: heartbeat\n\nid: evt_a_2\nevent: session.ended\ndata: {"sequence":2}\n\n';

test('events with id, type and data; comments and the retry line are not events', () => {
  const { events, parser } = parse([STREAM]);
  assert.deepEqual(events, [
    { id: 'evt_a_1', event: 'session.queued', data: '{"sequence":1}' },
    { id: 'evt_a_2', event: 'session.ended', data: '{"sequence":2}' },
  ]);
  assert.equal(parser.lastEventId, 'evt_a_2');
  assert.equal(parser.retryMs, 2000);
});

test('the same events whatever the chunking, with CRLF or CR line endings', () => {
  const expected = parse([STREAM]).events;
  for (const text of [STREAM, STREAM.replace(/\n/g, '\r\n'), STREAM.replace(/\n/g, '\r')]) {
    for (const size of [1, 2, 3, 7, 64]) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      assert.deepEqual(parse(chunks).events, expected, `chunks of ${size}, endings ${JSON.stringify(text.slice(11, 13))}`);
    }
  }
});

test('multi-line data is joined; an event not yet ended by a blank line waits; the id carries over', () => {
  const { events, parser } = parse(['id: evt_b_7\ndata: line one\ndata:line two\n\n', 'data: no id\n\n', 'event: x\ndata: half']);
  assert.deepEqual(events, [
    { id: 'evt_b_7', event: 'message', data: 'line one\nline two' },
    { id: 'evt_b_7', event: 'message', data: 'no id' },
  ]);
  parser.feed('\n\n');
  assert.deepEqual(events.at(-1), { id: 'evt_b_7', event: 'x', data: 'half' });
});
