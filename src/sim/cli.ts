// `npm run sim`: the simulator alone, so any ARI application can be developed against it.
// Settings come from flags or the environment (flags win); see docs/simulator.md.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLogger } from '../log.js';
import { readSetting } from '../config.js';
import { startSimulator, validateScript, type CalleeScript } from './index.js';

const HELP = `Usage: npm run sim -- [options]

  --port <n>          ARI_SIM_PORT        listening port (default 8088)
  --host <addr>       ARI_SIM_HOST        bind address (default 127.0.0.1)
  --username <name>   ARI_USERNAME        ARI user accepted (default asterisk)
  --password <pw>     ARI_PASSWORD        ARI password accepted (default asterisk)
  --scripts <file>    ARI_SIM_SCRIPTS     JSON file: {"<e164 or endpoint>": {callee script}, "default": {...}}
  --time-scale <x>    ARI_SIM_TIME_SCALE  duration multiplier (0.1 = ten times faster; default 1)
  --endpoints <list>  ARI_SIM_ENDPOINTS   comma-separated dialable endpoints (globs), replaces the default set
                      LOG_LEVEL           pino level of the log lines (default info)
  -h, --help`;

function fail(message: string): never {
  process.stderr.write(`sim: ${message}\n\n${HELP}\n`);
  process.exit(2);
}

function main(): void {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' }, host: { type: 'string' }, username: { type: 'string' }, password: { type: 'string' },
        scripts: { type: 'string' }, 'time-scale': { type: 'string' }, endpoints: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const pick = (flag: string, env: string): string | undefined => {
    const v = values[flag];
    return typeof v === 'string' ? v : process.env[env] || undefined;
  };
  const portText = pick('port', 'ARI_SIM_PORT') ?? '8088';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`port must be 0-65535 (got "${portText}")`);
  const scaleText = pick('time-scale', 'ARI_SIM_TIME_SCALE') ?? '1';
  const timeScale = Number(scaleText);
  if (!(timeScale > 0 && timeScale <= 100)) fail(`time scale must be > 0 and <= 100 (got "${scaleText}")`);

  const scripts: Record<string, CalleeScript> = {};
  let defaultScript: CalleeScript | undefined;
  const scriptsFile = pick('scripts', 'ARI_SIM_SCRIPTS');
  if (scriptsFile) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(scriptsFile, 'utf8'));
    } catch (err) {
      fail(`cannot read scripts file ${scriptsFile}: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fail(`${scriptsFile}: expected a JSON object of scripts`);
    try {
      for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
        if (key === 'default') defaultScript = validateScript(value, 'default');
        else scripts[key] = validateScript(value, key);
      }
    } catch (err) {
      fail(`${scriptsFile}: ${(err as Error).message}`);
    }
  }
  const endpoints = pick('endpoints', 'ARI_SIM_ENDPOINTS');
  const username = pick('username', 'ARI_USERNAME') ?? 'asterisk';
  const password = pick('password', 'ARI_PASSWORD') ?? 'asterisk';
  let logLevel: string;
  try {
    logLevel = readSetting('LOG_LEVEL');
  } catch (err) {
    fail((err as Error).message);
  }
  const logger = createLogger(logLevel);

  startSimulator({
    port, host: pick('host', 'ARI_SIM_HOST') ?? '127.0.0.1', username, password, timeScale, scripts,
    ...(defaultScript ? { defaultScript } : {}),
    ...(endpoints ? { knownEndpoints: endpoints.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    logger,
  }).then((sim) => {
    process.stdout.write([
      'Asterisk ARI simulator (Asterisk 22 ARI)',
      `  ARI:      ${sim.url}/ari   (user "${sim.username}", password from ARI_PASSWORD or the default)`,
      `  events:   ${sim.url.replace(/^http/, 'ws')}/ari/events?app=<name>`,
      `  control:  ${sim.url}/sim/   (PUT /sim/callees/{number}, GET /sim/channels, POST /sim/faults/...)`,
      `  scripts:  ${Object.keys(scripts).length} from ${scriptsFile ?? '(none)'}; time scale ${timeScale}`,
      '',
    ].join('\n'));
    const stop = () => {
      sim.close().then(() => process.exit(0), () => process.exit(1));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }, (err: unknown) => fail(`cannot start: ${(err as Error).message}`));
}

main();
