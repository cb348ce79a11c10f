// Whether the simulated Asterisk's HTTP server is up, being reset (a restart fault) or down, and
// its real-time timers: read by the events sockets, the control API and the fault rules.
/** What the server is doing: up; resetting (accept, then reset connections: a restart); down (not listening). */
export interface ServerState {
  phase: 'up' | 'resetting' | 'down';
  closed: boolean;
  /** Runs `fn` after `ms` real milliseconds unless the server is closed first. */
  later(ms: number, fn: () => void): void;
  sleep(ms: number): Promise<void>;
}
