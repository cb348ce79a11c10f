// `npm run test:asterisk` (through scripts/test-asterisk.ts, which checks the environment first):
// the engine's scenario set against the Asterisk at ARI_URL, loaded with asterisk-config/. Not
// part of `npm test` (the file name is outside its test/*/*.test.ts glob): a fresh machine has no
// Asterisk. Pointed at `npm run sim`, it installs the dialplan's stand-ins through the simulator's
// control API and restarts it through its fault API, so the same run works there too.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { defineEngineScenarios } from '../support/engine-scenarios.js';
import { SCENARIO_APP, simulatorCallees, type ScenarioTarget } from '../support/scenario-lab.js';
import { baresipPhones, simulatorPhones } from '../support/lab-phones.js';

const url = process.env.ARI_URL ?? '';
const ari = {
  url,
  username: process.env.ARI_USERNAME || 'engine',
  password: process.env.ARI_PASSWORD ?? '',
  // Its own Stasis application: the scenarios never take calls from an engine already connected.
  app: process.env.ARI_APP || SCENARIO_APP,
};
const restartCommand = process.env.ASTERISK_RESTART_COMMAND;
const phone2Control = process.env.LAB_PHONE2_CTRL;

/** The simulator answers its control API on the ARI port; a real Asterisk answers 404 there. */
async function isSimulator(): Promise<boolean> {
  try {
    const res = await fetch(new URL('/sim/health', url));
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

let target: ScenarioTarget;
if (await isSimulator()) {
  for (const [key, script] of Object.entries(simulatorCallees())) {
    const res = await fetch(new URL(`/sim/callees/${encodeURIComponent(key)}`, url), {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(script),
    });
    if (!res.ok) throw new Error(`simulator refused the callee script ${key}: ${res.status} ${await res.text()}`);
  }
  target = {
    name: `the simulator at ${url}`,
    ari,
    restart: async () => {
      const res = await fetch(new URL('/sim/faults/restart', url), { method: 'POST' });
      await res.arrayBuffer();
    },
    restartBackMs: 15000,
    audio: false,
    phones: async () => simulatorPhones(url, ari.app),
  };
} else {
  target = {
    name: `Asterisk at ${url}`,
    ari,
    ...(restartCommand
      ? { restart: async () => { await promisify(execFile)('sh', ['-c', restartCommand], { timeout: 30000 }); } }
      : {}),
    restartSkipReason: 'ARI cannot restart Asterisk: set ASTERISK_RESTART_COMMAND (e.g. docker compose exec -T asterisk asterisk -rx "core restart now") to run the restart scenario',
    restartBackMs: 90000,
    audio: true,
    ...(phone2Control ? { phones: () => baresipPhones(phone2Control) } : {}),
    phonesSkipReason: 'set LAB_PHONE2_CTRL to the ctrl_tcp address (host:port) of the baresip registered as phone2 to run the phone scenarios (docs/lab.md)',
  };
}

defineEngineScenarios(target);
