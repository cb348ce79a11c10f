// Flow simulation: the real runner against a scripted callee on a virtual clock. No telephony
// server, no real waiting (the 5 s gather timeouts cost nothing), deterministic output.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { DEMO_FLOW } from '../../src/demo.js';
import { coverage, simulateFlow, type Scenario } from '../../src/simulate/simulate-flow.js';
import type { FlowDocument } from '../../src/domain/flow.js';

const logger = pino({ level: 'silent' });
const limits = { flowMaxSteps: 500, flowMaxDurationMs: 3_600_000 };

const SCENARIOS: Scenario[] = [
  { name: 'press 1 after the prompt', script: { dtmf: [{ digits: '1', afterPlaybackFinished: 2, delayMs: 200 }] } },
  { name: 'press 9', script: { dtmf: [{ digits: '9', afterPlaybackStarted: 2 }] } },
  { name: 'no input', script: {} },
  { name: 'hang up during the greeting', script: { hangupAfterMs: 500 } },
];

describe('simulateFlow on the demo flow', () => {
  test('press 1 after the prompt: thank you, then bye; choice = 1', async () => {
    const r = await simulateFlow(DEMO_FLOW, SCENARIOS[0]!, limits, logger);
    assert.equal(r.state, 'completed');
    assert.deepEqual(r.path, ['hello', 'menu', 'yes', 'bye']);
    assert.deepEqual(r.variables, { choice: '1' });
    assert.deepEqual(r.media.map((m) => m.media.join(',')), ['sound:hello-world', 'sound:vm-press,digits:1', 'sound:auth-thankyou']);
  });

  test('press 9: no match, the prompt again, then no input ends at bye', async () => {
    const r = await simulateFlow(DEMO_FLOW, SCENARIOS[1]!, limits, logger);
    assert.equal(r.state, 'completed');
    assert.deepEqual(r.path, ['hello', 'menu', 'bye']);
    const inputs = r.timeline.filter((e) => e.type === 'gather.input').map((e) => e.data.outcome);
    assert.deepEqual(inputs, ['no-match', 'no-input']);
    assert.equal(r.media[1]!.state, 'stopped', 'the 9 barged into the prompt');
  });

  test('no input: two attempts of 5 s of virtual time, then bye', async () => {
    const r = await simulateFlow(DEMO_FLOW, SCENARIOS[2]!, limits, logger);
    assert.deepEqual(r.path, ['hello', 'menu', 'bye']);
    assert.deepEqual(r.variables, { choice: '' });
    assert.ok(r.durationMs > 10_000, `virtual duration ${r.durationMs} ms covers both timeouts`);
  });

  test('hang up during the greeting: the flow stops in hello', async () => {
    const r = await simulateFlow(DEMO_FLOW, SCENARIOS[3]!, limits, logger);
    assert.deepEqual(r.path, ['hello']);
    assert.equal(r.state, 'completed');
    assert.equal(r.reason, 'far end hung up');
    assert.equal(r.durationMs, 1500, 'answered at 1000 ms, hung up 500 ms later');
  });

  test('busy and no-answer scripts run no step', async () => {
    assert.equal((await simulateFlow(DEMO_FLOW, { script: { result: 'busy' } }, limits, logger)).state, 'busy');
    const r = await simulateFlow(DEMO_FLOW, { script: { result: 'no-answer' } }, limits, logger);
    assert.equal(r.state, 'no-answer');
    assert.deepEqual(r.path, []);
  });

  test('deterministic: the same input gives the same output', async () => {
    const a = await simulateFlow(DEMO_FLOW, SCENARIOS[1]!, limits, logger);
    const b = await simulateFlow(DEMO_FLOW, SCENARIOS[1]!, limits, logger);
    assert.deepEqual(a, b);
  });

  test('expectations that fail are listed', async () => {
    const r = await simulateFlow(DEMO_FLOW, { script: {}, expect: { state: 'completed', variables: { choice: '1' }, path: ['hello', 'menu', 'yes', 'bye'] } }, limits, logger);
    assert.deepEqual(r.failures, ['variables.choice: expected "1", got ""', 'path: expected hello > menu > yes > bye, got hello > menu > bye']);
  });

  test('coverage: which steps and exits the scenarios reached', async () => {
    const results = await Promise.all(SCENARIOS.slice(1).map((s) => simulateFlow(DEMO_FLOW, s, limits, logger)));
    const c = coverage(DEMO_FLOW, results);
    assert.deepEqual(c.unreachedSteps, ['yes', 'no']);
    const menuToBye = c.edges.filter((e) => e.from === 'menu' && e.to === 'bye').map((e) => e.takenBy.length);
    assert.ok(menuToBye.every((n) => n === 2));
  });
});

describe('simulateFlow guards', () => {
  test('an endless loop is stopped by the step guard, not hung', async () => {
    const loop: FlowDocument = { name: 'loop', steps: [{ id: 'a', type: 'set', variable: 'x', value: '1', next: 'b' }, { id: 'b', type: 'pause', ms: 0, next: 'a' }] };
    const r = await simulateFlow(loop, { script: {} }, { flowMaxSteps: 50, flowMaxDurationMs: 3_600_000 }, logger);
    assert.equal(r.state, 'failed');
    assert.match(r.reason ?? '', /loop guard: more than 50 steps/);
  });

  test('a flow that only waits is stopped by the duration guard on virtual time', async () => {
    const wait: FlowDocument = { name: 'wait', steps: [{ id: 'p', type: 'pause', ms: 600_000, next: 'p' }] };
    const r = await simulateFlow(wait, { script: {} }, { flowMaxSteps: 500, flowMaxDurationMs: 3_600_000 }, logger);
    assert.equal(r.state, 'failed');
    assert.match(r.reason ?? '', /loop guard/);
  });
});
