// Flow simulation speed: the demo flow's four scripted scenarios, and a dial flow against its
// dialed parties (bridged, busy), mean wall time per scenario.
import { pino } from 'pino';
import { DEMO_FLOW } from '../src/demo.js';
import { simulateFlow, type Scenario } from '../src/simulate/simulate-flow.js';
import type { FlowDocument } from '../src/domain/flow.js';

const logger = pino({ level: 'silent' });
const limits = { flowMaxSteps: 500, flowMaxDurationMs: 3_600_000 };
const scenarios: Scenario[] = [
  { name: 'press 1 after the prompt', script: { dtmf: [{ digits: '1', afterPlaybackFinished: 2, delayMs: 200 }] } },
  { name: 'press 9', script: { dtmf: [{ digits: '9', afterPlaybackStarted: 2 }] } },
  { name: 'no input', script: {} },
  { name: 'hang up during the greeting', script: { hangupAfterMs: 500 } },
];
const DIAL_FLOW: FlowDocument = {
  name: 'Connect',
  steps: [
    { id: 'hello', type: 'playback', media: ['sound:hello-world'] },
    { id: 'connect', type: 'dial', to: '+13125550001', announce: ['sound:beep'], record: true, onBusy: 'sorry', next: 'bye' },
    { id: 'sorry', type: 'playback', media: ['sound:busy'] },
    { id: 'bye', type: 'hangup' },
  ],
};
const dialScenarios: Scenario[] = [
  { name: 'the agent answers, talks 30 s', script: { dialed: { default: { answerAfterMs: 3000, hangupAfterMs: 30_000 } } } },
  { name: 'the agent is busy', script: { dialed: { default: { result: 'busy' } } } },
];
const ROUNDS = 50;
for (const s of scenarios) await simulateFlow(DEMO_FLOW, s, limits, logger); // warm-up
for (const s of scenarios) {
  const t0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) await simulateFlow(DEMO_FLOW, s, limits, logger);
  const ms = (performance.now() - t0) / ROUNDS;
  console.log(`simulate demo flow, ${s.name}: ${ms.toFixed(2)} ms per scenario (target < 50 ms)`);
}
for (const s of dialScenarios) await simulateFlow(DIAL_FLOW, s, limits, logger); // warm-up
for (const s of dialScenarios) {
  const t0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) await simulateFlow(DIAL_FLOW, s, limits, logger);
  const ms = (performance.now() - t0) / ROUNDS;
  console.log(`simulate dial flow, ${s.name}: ${ms.toFixed(2)} ms per scenario (target < 50 ms)`);
}
