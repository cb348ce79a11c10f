// Live event streams (SSE) over the real API: catch-up then live, Last-Event-ID resume, the
// account stream, heartbeats and the per-account cap.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startE2E, type E2E } from '../support/e2e-stack.js';

const PAUSE_FLOW = {
  name: 'Pause',
  steps: [
    { id: 'wait', type: 'pause', ms: 30000 },
    { id: 'done', type: 'set', variable: 'after', value: 'yes' },
    { id: 'bye', type: 'hangup' },
  ],
};

interface SseEvent { id?: string; event?: string; data?: any; comment?: string }

/** Reads an SSE response, handing each event to `onEvent`; resolves when the server closes. */
async function readStream(res: Response, onEvent: (e: SseEvent) => void): Promise<void> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const e: SseEvent = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) e.comment = line.slice(1).trim();
        else if (line.startsWith('id: ')) e.id = line.slice(4);
        else if (line.startsWith('event: ')) e.event = line.slice(7);
        else if (line.startsWith('data: ')) e.data = JSON.parse(line.slice(6));
      }
      onEvent(e);
    }
  }
}

describe('live event streams', () => {
  let e2e: E2E;
  let flowId: string;

  before(async () => {
    e2e = await startE2E({ EVENT_STREAMS_PER_ACCOUNT: '3', EVENT_STREAM_HEARTBEAT_MS: '100' }, { '+18144043093': { result: 'answer', answerAfterMs: 100 } });
    flowId = (await e2e.request('POST', '/flows', { body: PAUSE_FLOW })).body.id;
  });
  after(async () => { await e2e?.close(); });

  const open = (path: string, headers: Record<string, string> = {}, token = e2e.token()) =>
    fetch(e2e.base + path, { headers: { authorization: `Bearer ${token}`, ...headers } });

  test('mid-call: the past timeline, then live events, closed after session.ended; Last-Event-ID resumes after the event it names', async () => {
    const placed = await e2e.request('POST', '/sessions/outgoing', { body: { flowId, numberToDial: '+18144043093', callerId: '+12125550100' } });
    const id = placed.body.id as string;
    await e2e.waitForSession(id, (s) => s.timeline.some((e: any) => e.type === 'step.started' && e.data.stepId === 'wait'));

    const res = await open(`/sessions/${id}/events`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const got: SseEvent[] = [];
    let redirected = false;
    const closed = readStream(res, (e) => {
      got.push(e);
      // Once the replay reached the running step, steer the call: what follows is live.
      if (!redirected && e.data?.type === 'session.step.started' && e.data.data.stepId === 'wait') {
        redirected = true;
        void e2e.request('POST', `/sessions/${id}/redirect`, { body: { flowId, stepId: 'done' } });
      }
    });
    await closed;
    const events = got.filter((e) => e.data);
    const types = events.map((e) => e.data.type);
    assert.deepEqual(types.slice(0, 5), ['session.queued', 'session.dialing', 'session.ringing', 'session.answered', 'session.step.started']);
    assert.ok(types.includes('session.redirected'));
    assert.equal(types.at(-1), 'session.ended');
    assert.equal(types.filter((t) => t === 'session.ended').length, 1);
    const seqs = events.map((e) => e.data.sequence);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    for (const e of events) assert.equal(e.id, e.data.id);

    // Reconnect after the third event: exactly the rest, the same ids and JSON.
    const again = await open(`/sessions/${id}/events`, { 'last-event-id': events[2]!.id! });
    const resumed: SseEvent[] = [];
    await readStream(again, (e) => { if (e.data) resumed.push(e); });
    assert.deepEqual(resumed.map((e) => e.data), events.slice(3).map((e) => e.data));
  });

  test('the account stream carries every session of the account, heartbeats included; the cap answers 429', async () => {
    const ctrl = new AbortController();
    const res = await fetch(`${e2e.base}/events`, { headers: { authorization: `Bearer ${e2e.token()}` }, signal: ctrl.signal });
    assert.equal(res.status, 200);
    const got: SseEvent[] = [];
    let id = '';
    let resolveEnded: () => void = () => undefined;
    const ended = new Promise<void>((r) => { resolveEnded = r; });
    let resolveHeartbeat: () => void = () => undefined;
    const heartbeat = new Promise<void>((r) => { resolveHeartbeat = r; });
    const reading = readStream(res, (e) => {
      got.push(e);
      if (e.data?.type === 'session.ended' && e.data.sessionId === id) resolveEnded();
      if (e.comment === 'heartbeat') resolveHeartbeat();
    }).catch(() => undefined);
    const placed = await e2e.request('POST', '/sessions/outgoing', { body: { flowId, numberToDial: '+18144043093', callerId: '+12125550100' } });
    id = placed.body.id;
    await e2e.waitForSession(id, (s) => s.state === 'in-progress');
    const others = await Promise.all([open('/events'), open('/events'), open('/events')]);
    const statuses = others.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 429], 'three streams at most per account');
    for (const r of others) await r.body?.cancel();
    const isolated = await open('/events', {}, e2e.token({ accountId: 'other' }));
    assert.equal(isolated.status, 200, 'another account has its own cap');
    await isolated.body?.cancel();
    assert.equal((await e2e.request('DELETE', `/sessions/${id}`)).status, 200);
    await ended;
    // The stream stays open after a session ends (it is the account's): its heartbeats keep coming.
    await heartbeat;
    ctrl.abort();
    await reading;
    const mine = got.filter((e) => e.data?.sessionId === id).map((e) => e.data.type);
    assert.ok(mine.includes('session.answered'));
    assert.equal(mine.at(-1), 'session.ended');
  });

  test('an unknown session is 404 before any stream starts', async () => {
    const res = await open('/sessions/00000000-0000-0000-0000-000000000000/events');
    assert.equal(res.status, 404);
  });
});
