// Runs the project's ARI simulator (src/sim) in a process of its own for the benchmark, so that
// its CPU never counts as the engine's. Options come from SIM_OPTIONS (JSON of SimulatorOptions:
// credentials, callee scripts, sound durations); it reports {type:'ready', url, port} over IPC
// and stops when bench/run.ts disconnects. Callee scripts change later through the simulator's
// documented control API (PUT /sim/callees/{number}), as any user would do it.
import { pathToFileURL } from 'node:url';
import { startSimulator, type SimulatorOptions } from '../src/sim/index.js';

async function main(): Promise<void> {
  if (!process.send) {
    process.stderr.write('simulator-host: run by bench/run.ts (needs an IPC channel)\n');
    process.exitCode = 2;
    return;
  }
  const options = JSON.parse(process.env.SIM_OPTIONS ?? '{}') as SimulatorOptions;
  const sim = await startSimulator({ ...options, host: '127.0.0.1', port: 0 });
  process.on('disconnect', () => {
    void sim.close().finally(() => process.exit(0));
  });
  process.send({ type: 'ready', url: sim.url, port: sim.port });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`simulator-host: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
