// The flow runner shares the event loop: a flow whose steps finish without waiting (here a `set`
// step looping on itself until the loop guard) must let the loop turn while it runs, or every
// other call and request waits for its loop guard (issue 20: /health took 2 s with 100 such flows).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { FlowRunner } from '../../src/telephony/flow-runner.js';
import { CallMedia } from '../../src/telephony/call-media.js';
import { DEFAULT_STEP_TIMING } from '../../src/telephony/steps/types.js';
import { FakePort } from '../support/telephony-fake-port.js';
import type { Flow } from '../../src/domain/model.js';

const MAX_STEPS = 20_000;
const LOOP: Flow = {
  id: 'loop', accountId: 'a', name: 'loop', version: 1, dateCreated: '', dateModified: '',
  document: { name: 'loop', steps: [{ id: 'a', type: 'set', variable: 'v', value: 'x', next: 'a' }] },
};

function loopingRunner(): { runner: FlowRunner; started: () => number; port: FakePort } {
  let started = 0;
  const vars: Record<string, string> = {};
  const port = new FakePort();
  const runner = new FlowRunner(LOOP, {
    sessionId: 's', channelId: 'c', port, media: new CallMedia(), timing: DEFAULT_STEP_TIMING, logger: pino({ level: 'silent' }),
    variables: () => ({ ...vars }),
    setVariable: (name, value) => { vars[name] = value; },
    timeline: (...[type]) => { if (type === 'step.started') started += 1; },
    newId: (kind) => kind,
    dial: () => Promise.reject(new Error('no dial here')),
    transfer: () => Promise.resolve({ ok: false, reason: 'no transfer here' }),
  }, new AbortController().signal, { flowMaxSteps: MAX_STEPS, flowMaxDurationMs: 3_600_000 }, () => undefined);
  return { runner, started: () => started, port };
}

test('a looping flow lets the event loop turn before its loop guard stops it', async () => {
  const { runner, started, port } = loopingRunner();
  const run = runner.run();
  // Queued before the runner's first yield: it runs as soon as the loop turns.
  const atFirstTurn = await new Promise<number>((resolve) => setImmediate(() => resolve(started())));
  assert.ok(atFirstTurn > 0, 'the flow ran steps before the loop turned');
  assert.ok(atFirstTurn < MAX_STEPS, `the loop turned while the flow looped (steps run by then: ${atFirstTurn} of ${MAX_STEPS})`);
  const outcome = await run;
  assert.match(outcome.failure ?? '', /more than 20000 steps/);
  port.dispose();
});

test('several looping flows together still let the loop turn', async () => {
  const flows = Array.from({ length: 10 }, () => loopingRunner());
  const runs = flows.map((f) => f.runner.run());
  const atFirstTurn = await new Promise<number>((resolve) => setImmediate(() => resolve(flows.reduce((n, f) => n + f.started(), 0))));
  assert.ok(atFirstTurn < 10 * MAX_STEPS, `the loop turned while the flows looped (steps run by then: ${atFirstTurn})`);
  for (const outcome of await Promise.all(runs)) assert.match(outcome.failure ?? '', /more than 20000 steps/);
  for (const f of flows) f.port.dispose();
});
