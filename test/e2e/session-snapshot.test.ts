// GET /sessions/{id} is one snapshot: its `state` is never older than its own timeline. A lab run
// against a real Asterisk saw `state: dialing` beside a timeline already at `in-progress`: the
// session row and its events were read in two queries, a group commit landing between them (or
// half done on the shared connection). Here reads race a call through every state.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startE2E, type E2E } from '../support/e2e-stack.js';

const CALLEE = '+13125550011';
const FINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
const FLOW = {
  name: 'Snapshot',
  steps: [
    { id: 'hello', type: 'playback', media: ['sound:hello-world'] },
    { id: 'pause', type: 'pause', ms: 1000 },
    { id: 'bye', type: 'hangup' },
  ],
};

describe('GET /sessions/{id}: one consistent snapshot', () => {
  let e2e: E2E;
  before(async () => {
    e2e = await startE2E({}, { [CALLEE]: { result: 'answer', answerAfterMs: 1000 } });
  });
  after(async () => { await e2e?.close(); });

  test('while the call moves through its states, every answer\'s state is its timeline\'s last state row', async () => {
    const flow = await e2e.request('POST', '/flows', { body: FLOW });
    assert.equal(flow.status, 201, flow.text);
    const placed = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: flow.body.id, numberToDial: CALLEE, callerId: '+12125550100' } });
    assert.equal(placed.status, 200, placed.text);
    const id = placed.body.id as string;
    const deadline = Date.now() + 30_000;
    const seen = new Set<string>();
    let reads = 0;
    // Several reads in flight at once, as fast as the engine answers, until the session is final.
    for (;;) {
      assert.ok(Date.now() < deadline, `the session did not end within 30 s (states seen: ${[...seen].join(', ')})`);
      const answers = await Promise.all([1, 2, 3, 4].map(() => e2e.request('GET', `/sessions/${id}`)));
      for (const res of answers) {
        assert.equal(res.status, 200, res.text);
        reads++;
        const states = (res.body.timeline as Array<{ type: string; data: { state?: string } }>).filter((r) => r.type === 'state').map((r) => r.data.state);
        assert.equal(res.body.state, states.at(-1), `read ${reads}: state ${res.body.state} beside a timeline at ${states.join(' → ')}`);
        seen.add(res.body.state);
      }
      if (FINAL.has(answers.at(-1)!.body.state)) break;
    }
    assert.ok(seen.has('in-progress') && seen.has('completed'), `reads saw the call's states: ${[...seen].join(', ')}`);
    assert.ok(reads >= 8, `${reads} reads`);
  });
});
