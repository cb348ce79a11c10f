// The scenario set of `npm run test:asterisk`, run on every `npm test` against the simulator
// standing in for a real Asterisk: a standalone simulator (as `npm run sim`) whose callee scripts
// are the dialplan's test callees (config/test-callees.sim.json), reached over its ARI URL like
// any Asterisk, and restarted through its fault API.
import { after } from 'node:test';
import { startSimulator } from '../../src/sim/index.js';
import { defineEngineScenarios } from '../support/engine-scenarios.js';
import { SCENARIO_APP, simulatorCallees } from '../support/scenario-lab.js';
import { simulatorPhones } from '../support/lab-phones.js';

const credentials = { username: 'scenarios', password: 'scenarios-sim-password' };
const sim = await startSimulator({ port: 0, host: '127.0.0.1', ...credentials, scripts: simulatorCallees() });
after(() => sim.close());

defineEngineScenarios({
  name: 'the simulator',
  ari: { url: sim.url, ...credentials, app: SCENARIO_APP },
  restart: () => sim.faults.restart(),
  restartBackMs: 15000,
  audio: false,
  phones: async () => simulatorPhones(sim.url, SCENARIO_APP),
});
