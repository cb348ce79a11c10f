// The engine for the stream benchmark: the same wiring as `npm start` (src/stack.ts, config from
// the environment) in a process of its own, so that its CPU and memory are measured alone; it
// answers `usage` over IPC (CPU time, heap and RSS after a GC when --expose-gc is given).
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startStack } from '../src/stack.js';

async function main(): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) {
    process.stderr.write('stream-engine-host: run by bench/stream-bench.ts (needs an IPC channel)\n');
    process.exitCode = 2;
    return;
  }
  const stack = await startStack(loadConfig(), createLogger(process.env.LOG_LEVEL ?? 'warn'));
  await stack.ariConnected;
  process.on('message', (raw: unknown) => {
    const msg = raw as { id?: number; type?: string };
    if (msg.type !== 'usage') return;
    (globalThis as { gc?: () => void }).gc?.();
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    send({ id: msg.id, type: 'usage', cpuMs: (cpu.user + cpu.system) / 1000, heapUsed: mem.heapUsed, rss: mem.rss, external: mem.external + mem.arrayBuffers });
  });
  process.on('disconnect', () => {
    void stack.stop(0).finally(() => process.exit(0));
  });
  send({ type: 'ready', port: stack.httpPort });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`stream-engine-host: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
