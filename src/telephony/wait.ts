// Cancellable waiting: every wait of a call rejects with CallAborted as soon as its AbortSignal
// fires (far-end hangup, StasisEnd, engine stop, loop guard), so nothing outlives the call.

/**
 * The timers a call's waits use: Node's by default; a flow simulation passes a virtual clock's, so
 * a 30 s gather timeout costs no real time.
 */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /**
   * Called by a flow runner between two steps: a promise to await when the runner must let the
   * event loop turn first, undefined to go on at once.
   */
  turn(): Promise<void> | undefined;
}

/**
 * The flow runners of this process together spend at most this much of one turn of the event
 * loop before each yields: a flow whose steps finish without waiting (set, branch, a loop until
 * the loop guard) would otherwise hold the loop for every other call and request.
 */
export const TURN_BUDGET_MS = 2;
let turnStarted = -1;

function realTurn(): Promise<void> | undefined {
  const now = performance.now();
  if (turnStarted < 0) {
    // The first step of this turn: the budget starts now, and again in the next turn.
    turnStarted = now;
    setImmediate(() => { turnStarted = -1; });
    return undefined;
  }
  if (now - turnStarted <= TURN_BUDGET_MS) return undefined;
  return new Promise<void>((resolve) => setImmediate(resolve));
}

export const REAL_TIMERS: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  turn: realTurn,
};

/** The call's flow was interrupted; `reason` says why. Not an error of the flow itself. */
export class CallAborted extends Error {
  constructor(readonly reason: string) {
    super(`call aborted: ${reason}`);
    this.name = 'CallAborted';
  }
}

export function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (typeof reason === 'string') return reason;
  if (reason instanceof Error) return reason.message;
  return 'aborted';
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new CallAborted(abortReason(signal));
}

/** Resolves after `ms`; rejects with CallAborted when the signal fires first. */
export function sleep(ms: number, signal: AbortSignal, timers: Timers = REAL_TIMERS): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(new CallAborted(abortReason(signal)));
      return;
    }
    const onAbort = (): void => {
      timers.clearTimeout(timer);
      reject(new CallAborted(abortReason(signal)));
    };
    const timer = timers.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Waits until `ready()` returns a value (re-checked whenever `subscribe` reports a change), for at
 * most `timeoutMs` (undefined: no limit). Resolves the value, or `undefined` on timeout; rejects
 * with CallAborted when the signal fires.
 */
export function waitUntil<T>(
  ready: () => T | undefined,
  subscribe: (onChange: () => void) => () => void,
  signal: AbortSignal,
  timeoutMs?: number,
  timers: Timers = REAL_TIMERS,
): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    if (signal.aborted) {
      reject(new CallAborted(abortReason(signal)));
      return;
    }
    const first = ready();
    if (first !== undefined) {
      resolve(first);
      return;
    }
    let timer: unknown;
    const cleanup = (): void => {
      if (timer !== undefined) timers.clearTimeout(timer);
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      cleanup();
      reject(new CallAborted(abortReason(signal)));
    };
    const unsubscribe = subscribe(() => {
      const value = ready();
      if (value === undefined) return;
      cleanup();
      resolve(value);
    });
    if (timeoutMs !== undefined) {
      timer = timers.setTimeout(() => {
        cleanup();
        resolve(undefined);
      }, Math.max(0, timeoutMs));
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
