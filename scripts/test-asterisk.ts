// `npm run test:asterisk`: the engine's end-to-end scenarios against a real Asterisk 22 loaded
// with asterisk-config/ (or `npm run sim`). Checks what the run needs, then hands over to Node's
// test runner with test/asterisk/real-asterisk.scenarios.ts. See docs/lab.md.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const NEEDS = `npm run test:asterisk runs the engine's scenarios against a real Asterisk. It needs:
  ARI_URL        the Asterisk's ARI, e.g. http://127.0.0.1:8088 (an Asterisk 22 loaded with asterisk-config/,
                 whose [test-callees] and [test-inbound] contexts and PJSIP/test-unregistered endpoint the
                 scenarios dial, with the compose lab's labphone registered as phone1: it answers the
                 dial scenario's second leg)
  ARI_USERNAME   an ARI user with write access (default: engine)
  ARI_PASSWORD   its password (asterisk-config/ari_users.conf, or ARI_PASSWORD of the compose lab)
optional:
  ARI_APP        the Stasis application the scenarios use (default: engine-scenarios, the one
                 [test-inbound] names: under another name the inbound scenarios are skipped)
  ASTERISK_RESTART_COMMAND
                 a shell command that restarts that Asterisk (e.g. docker compose exec -T asterisk
                 asterisk -rx "core restart now"); without it the restart scenario is skipped
  SCENARIO_POSTGRES=1
                 the engine runs on a fresh PostgreSQL database (on PG_TEST_URL's server, default
                 postgres://postgres@127.0.0.1:5432/test) instead of SQLite
Against the simulator instead: npm run sim -- --port 8088, then ARI_URL=http://127.0.0.1:8088
ARI_USERNAME=asterisk ARI_PASSWORD=asterisk npm run test:asterisk. Details: docs/lab.md.`;

const missing = ['ARI_URL', 'ARI_PASSWORD'].filter((name) => !process.env[name]);
if (missing.length > 0) {
  console.error(`test:asterisk: ${missing.join(' and ')} not set.\n\n${NEEDS}`);
  process.exit(2);
}
try {
  new URL(process.env.ARI_URL ?? '');
} catch {
  console.error(`test:asterisk: ARI_URL is not a URL: ${process.env.ARI_URL}\n\n${NEEDS}`);
  process.exit(2);
}

const file = fileURLToPath(new URL('../test/asterisk/real-asterisk.scenarios.ts', import.meta.url));
const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', file], { stdio: 'inherit' });
process.exit(run.status ?? 1);
