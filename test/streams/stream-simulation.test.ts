// Flow simulation runs stream steps against scripted agents on its virtual clock: the same exits
// as a live stream (engine.exit with variables and next, a dropped socket, an unreachable agent),
// marks after their audio, clear, and forks stopped by stopStream — in no real time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateFlow } from '../../src/simulate/simulate-flow.js';
import { readSimulationScript } from '../../src/simulate/script.js';
import { validateFlowDocument } from '../../src/domain/flow-validation.js';
import type { FlowDocument } from '../../src/domain/flow.js';
import { createLogger } from '../../src/log.js';

const limits = { flowMaxSteps: 100, flowMaxDurationMs: 3_600_000 };
const logger = createLogger('silent');
const AGENT = 'wss://agent.example.com/voice';
const LISTENER = 'wss://listener.example.com/';

function flow(steps: unknown[]): FlowDocument {
  const checked = validateFlowDocument({ name: 'stream', steps });
  assert.ok(checked.ok, JSON.stringify(!checked.ok && checked.errors));
  return checked.document;
}

const FLOW = flow([
  { id: 'listen', type: 'stream', url: LISTENER, fork: true, tracks: 'both' },
  { id: 'talk', type: 'stream', url: AGENT, agentExits: ['sales'], onDisconnected: 'sorry', onFailed: 'sorry', maxDurationMs: 60_000 },
  { id: 'stop', type: 'stopStream', stream: 'listen' },
  { id: 'bye', type: 'hangup' },
  { id: 'sales', type: 'set', variable: 'queue', value: 'sales', next: 'stop' },
  { id: 'sorry', type: 'hangup' },
]);

const run = (agents: unknown) => simulateFlow(FLOW, { script: readSimulationScript({ answerAfterMs: 0, agents }) }, limits, logger);

test('engine.exit at a virtual time: the agent\'s variables and its next step; marks after their audio; stopStream ends the fork', async () => {
  const started = Date.now();
  const r = await run({ [AGENT]: { actions: [
    { atMs: 1000, sayMs: 3000, mark: 'greeting' },
    { atMs: 5000, sayMs: 10_000, mark: 'long' },
    { atMs: 6000, clear: true },
    { atMs: 50_000, exit: { variables: { intent: 'buy' }, next: 'sales' } },
  ] } });
  assert.ok(Date.now() - started < 5000, 'fifty virtual seconds take no real time');
  assert.deepEqual(r.path, ['listen', 'talk', 'sales', 'stop', 'bye']);
  assert.equal(r.variables.intent, 'buy');
  assert.equal(r.variables.queue, 'sales');
  const marks = r.timeline.filter((e) => e.type === 'stream.mark');
  assert.deepEqual(marks.map((m) => [m.data.name, m.atMs]), [['greeting', 4000], ['long', 6000]], 'the cleared mark comes back at the clear');
  const clear = r.timeline.find((e) => e.type === 'stream.clear')!;
  assert.equal(clear.data.clearedFrames, 450);
  const stopped = r.timeline.filter((e) => e.type === 'stream.stopped').map((e) => [e.data.stepId, e.data.reason, e.atMs]);
  assert.deepEqual(stopped, [['talk', 'exit', 50_000], ['listen', 'stopStream', 50_000]]);
  assert.equal(r.state, 'completed');
});

test('a dropped agent takes onDisconnected; an unreachable one takes onFailed; a clean close goes on', async () => {
  assert.deepEqual((await run({ [AGENT]: { actions: [{ atMs: 2000, close: 'drop' }] } })).path, ['listen', 'talk', 'sorry']);
  assert.deepEqual((await run({ [AGENT]: { unreachable: true } })).path, ['listen', 'talk', 'sorry']);
  assert.deepEqual((await run({ [AGENT]: { actions: [{ atMs: 2000, close: 'clean' }] } })).path, ['listen', 'talk', 'stop', 'bye']);
  const timedOut = await run({});
  assert.deepEqual(timedOut.path, ['listen', 'talk', 'stop', 'bye'], 'a silent agent: maxDurationMs');
  assert.equal(timedOut.timeline.find((e) => e.type === 'stream.stopped' && e.data.stepId === 'talk')!.atMs, 60_000);
});

test('an agent naming a step the flow does not allow: the flow goes on to next', async () => {
  const r = await run({ [AGENT]: { actions: [{ atMs: 10, exit: { next: 'sorry' } }] } });
  assert.deepEqual(r.path, ['listen', 'talk', 'stop', 'bye']);
});

test('the agents script is checked strictly', () => {
  assert.throws(() => readSimulationScript({ agents: { [AGENT]: { actions: [{ atMs: 1, shout: true }] } } }), /agents\["wss:\/\/agent.example.com\/voice"\]\.actions\[0\]\.shout: not a known property/);
  assert.throws(() => readSimulationScript({ agents: { [AGENT]: { actions: [{ close: 'slam' }] } } }), /close: must be clean or drop/);
});
