// The engine for the webhook benchmark: the same wiring as `npm start` (src/stack.ts, config from
// the environment), in a process of its own so that its CPU is measured alone, plus the time each
// outbox event was committed (kept in memory, handed over on request over IPC, so that the
// measurement adds no I/O to the calls).
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startStack } from '../src/stack.js';

async function main(): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) {
    process.stderr.write('webhook-engine-host: run by bench/webhooks-bench.ts (needs an IPC channel)\n');
    process.exitCode = 2;
    return;
  }
  let commits: Array<[string, number]> = [];
  const stack = await startStack(loadConfig(), createLogger(process.env.LOG_LEVEL ?? 'warn'), {
    onOutboxCommitted: (ids) => {
      const at = performance.timeOrigin + performance.now();
      for (const id of ids) commits.push([id, at]);
    },
  });
  await stack.ariConnected;
  process.on('message', (raw: unknown) => {
    const msg = raw as { id?: number; type?: string };
    if (msg.type === 'commits') {
      send({ id: msg.id, type: 'commits', commits });
      commits = [];
    }
  });
  process.on('disconnect', () => {
    void stack.stop(0).finally(() => process.exit(0));
  });
  send({ type: 'ready', port: stack.httpPort });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`webhook-engine-host: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
