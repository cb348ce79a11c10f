// The session state machine and the reading of a call's end from Dial status and cause.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canTransition, finalStateOf, isFinal } from '../../src/domain/session-state.js';
import { FINAL_STATES, LIVE_STATES } from '../../src/domain/model.js';

describe('session state machine', () => {
  test('the happy path and forward skips are allowed', () => {
    assert.ok(canTransition('queued', 'dialing'));
    assert.ok(canTransition('dialing', 'ringing'));
    assert.ok(canTransition('ringing', 'in-progress'));
    assert.ok(canTransition('dialing', 'in-progress'), 'a Local channel answers without ringing');
    assert.ok(canTransition('in-progress', 'completed'));
  });

  test('nothing goes back and a final state is never left', () => {
    assert.ok(!canTransition('in-progress', 'ringing'));
    assert.ok(!canTransition('ringing', 'dialing'));
    for (const from of FINAL_STATES) for (const to of [...LIVE_STATES, ...FINAL_STATES]) assert.ok(!canTransition(from, to), `${from} → ${to}`);
  });

  test('an answered call cannot end busy or no-answer', () => {
    assert.ok(!canTransition('in-progress', 'busy'));
    assert.ok(!canTransition('in-progress', 'no-answer'));
    assert.ok(canTransition('in-progress', 'failed'));
  });

  test('isFinal', () => {
    for (const s of FINAL_STATES) assert.ok(isFinal(s));
    for (const s of LIVE_STATES) assert.ok(!isFinal(s));
  });
});

describe('final state of a call (Asterisk 22 traces)', () => {
  const cases = [
    { name: 'answered, normal clearing', o: { answered: true, dialstatus: 'ANSWER', cause: 16 }, state: 'completed' },
    { name: 'busy via Local: Dial BUSY, cause 0', o: { answered: false, dialstatus: 'BUSY', cause: 0 }, state: 'busy' },
    { name: 'busy via PJSIP 486: Dial BUSY, cause 17', o: { answered: false, dialstatus: 'BUSY', cause: 17 }, state: 'busy' },
    { name: 'congestion via Local: Dial CONGESTION, cause 0', o: { answered: false, dialstatus: 'CONGESTION', cause: 0 }, state: 'failed' },
    { name: 'rejected: Dial NOANSWER, cause 21', o: { answered: false, dialstatus: 'NOANSWER', cause: 21 }, state: 'no-answer' },
    { name: 'ring timeout: last Dial RINGING, cause 19', o: { answered: false, dialstatus: 'RINGING', cause: 19 }, state: 'no-answer' },
    { name: 'no Dial at all, cause 17', o: { answered: false, cause: 17 }, state: 'busy' },
    { name: 'unknown extension: no Dial, cause 0', o: { answered: false, cause: 0 }, state: 'failed' },
    { name: 'Asterisk restart mid-call', o: { answered: true, dialstatus: 'ANSWER', cause: 0, asteriskShutdown: true }, state: 'failed' },
  ] as const;
  for (const c of cases) {
    test(c.name, () => {
      const verdict = finalStateOf(c.o);
      assert.equal(verdict.state, c.state);
      assert.ok(verdict.reason.length > 0);
    });
  }

  test('the cause alone does not say busy: cause 0 with Dial BUSY is busy, without it failed', () => {
    assert.equal(finalStateOf({ answered: false, cause: 0, dialstatus: 'BUSY' }).state, 'busy');
    assert.equal(finalStateOf({ answered: false, cause: 0 }).state, 'failed');
  });
});
