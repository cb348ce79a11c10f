// The ARI simulator's public API: an Asterisk 22 stand-in that speaks ARI over HTTP and WebSocket.
// See docs/simulator.md.
import { startServer, validateScript } from './server.js';
import type { RunningSimulator, SimulatorOptions } from './types.js';

export type {
  CalleeResult, CalleeScript, DelayRule, DtmfStep, FailRule, MediaProbe, RunningSimulator, SimChannelInfo, SimFaults, SimRequestRecord, SimulatorOptions, SpeakScript,
} from './types.js';
export { validateScript };

/** Starts a simulator; resolves once it listens. `close()` it when done. */
export function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  return startServer(options);
}
