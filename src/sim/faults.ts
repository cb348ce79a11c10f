// Faults a test injects into the simulator: failed or delayed REST calls (rules matched by method
// and path), dropped WebSockets, refused connections, a core restart and a graceful stop.
import type { Socket } from 'node:net';
import type { Logger } from '../log.js';
import type { Clock } from './clock.js';
import type { Reply, SimAsterisk } from './asterisk.js';
import * as hangups from './channel-hangup.js';
import type { EventSockets } from './events-socket.js';
import type { DelayRule, FailRule, SimFaults } from './types.js';
import type { ServerState } from './server-state.js';

/** The pending fail-next / delay-next rules, applied to ARI requests before their handler. */
export class FaultRules {
  private fail: Array<FailRule & { left: number }> = [];
  private delay: Array<DelayRule & { left: number }> = [];

  constructor(private readonly state: ServerState) {}

  failNext(rule: FailRule): void {
    this.fail.push({ ...rule, left: rule.count ?? 1 });
  }

  delayNext(rule: DelayRule): void {
    this.delay.push({ ...rule, left: rule.count ?? 1 });
  }

  clear(): void {
    this.fail = [];
    this.delay = [];
  }

  /** Waits out a matching delay rule; a matching fail rule gives the reply instead of the handler's. */
  async apply(method: string, path: string): Promise<Reply | undefined> {
    const delay = this.delay.find((r) => r.left > 0 && matches(r, method, path));
    if (delay) {
      delay.left--;
      this.delay = this.delay.filter((r) => r.left > 0);
      await this.state.sleep(delay.delayMs);
    }
    const failing = this.fail.find((r) => r.left > 0 && matches(r, method, path));
    if (!failing) return undefined;
    failing.left--;
    this.fail = this.fail.filter((r) => r.left > 0);
    if (failing.delayMs) await this.state.sleep(failing.delayMs);
    return { status: failing.status, body: failing.body ?? { message: 'Simulated failure' } };
  }
}

function matches(rule: { method?: string; path: RegExp | string }, method: string, path: string): boolean {
  if (rule.method && rule.method.toUpperCase() !== method) return false;
  const short = path.startsWith('/ari/') ? path.slice(4) : path;
  if (typeof rule.path === 'string') return rule.path === path || rule.path === short;
  rule.path.lastIndex = 0;
  return rule.path.test(path);
}

export interface FaultDeps {
  state: ServerState;
  ast: SimAsterisk;
  clock: Clock;
  rules: FaultRules;
  events: EventSockets;
  /** Every open HTTP connection (REST and WebSocket). */
  sockets: Set<Socket>;
  listen(): Promise<void>;
  stopListening(): Promise<void>;
  /** Cuts every connection without a WebSocket close frame (the client sees 1006). */
  cutAll(): void;
  restartDowntimeMs: number;
  log?: Logger;
}

export function createFaults(deps: FaultDeps): SimFaults & { cancel(): void } {
  const { state, ast, clock, rules, events } = deps;
  let refuseTimer: NodeJS.Timeout | undefined;
  return {
    dropWebSockets() {
      events.destroyAll();
    },
    refuseConnections(ms: number) {
      if (state.closed || state.phase === 'down') return;
      state.phase = 'down';
      deps.cutAll();
      void deps.stopListening();
      if (refuseTimer) clearTimeout(refuseTimer);
      refuseTimer = setTimeout(() => {
        refuseTimer = undefined;
        if (state.closed) return;
        deps.listen().then(() => {
          state.phase = 'up';
        }, (err: unknown) => deps.log?.error({ err }, 'simulator could not listen again'));
      }, ms);
    },
    async restart() {
      if (state.closed || state.phase !== 'up') return;
      hangups.restartHangups(ast);
      state.phase = 'resetting';
      // Let the hangup events reach the sockets, then end them without a close frame (1006).
      await new Promise<void>((resolve) => setImmediate(resolve));
      const wsSockets = events.endAll();
      // A reset after end() spins libuv on the half-closed socket: only plain REST sockets are reset.
      for (const s of deps.sockets) if (!wsSockets.has(s)) s.resetAndDestroy();
      await state.sleep(deps.restartDowntimeMs);
      events.destroyAll();
      events.forgetAll();
      clock.clear();
      hangups.reset(ast);
      if (!state.closed) state.phase = 'up';
    },
    async stopGracefully() {
      if (state.closed || state.phase !== 'up') return;
      ast.stopping = true;
      await ast.whenIdle();
      await events.closeAll();
      state.phase = 'down';
      deps.cutAll();
      await deps.stopListening();
    },
    async start() {
      if (state.closed || state.phase !== 'down') return;
      if (refuseTimer) clearTimeout(refuseTimer);
      refuseTimer = undefined;
      clock.clear();
      hangups.reset(ast);
      await deps.listen();
      state.phase = 'up';
    },
    failNext: (match) => rules.failNext(match),
    delayNext: (match) => rules.delayNext(match),
    delayCreatedStasisStart(delayMs, count = 1) {
      for (let i = 0; i < count; i++) ast.createdEnterDelays.push(delayMs);
    },
    clear() {
      rules.clear();
      ast.createdEnterDelays = [];
    },
    cancel() {
      if (refuseTimer) clearTimeout(refuseTimer);
      refuseTimer = undefined;
    },
  };
}
