// Cancellable waiting: every wait of a call rejects with CallAborted as soon as its AbortSignal
// fires (far-end hangup, StasisEnd, engine stop, loop guard), so nothing outlives the call.

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
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(new CallAborted(abortReason(signal)));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new CallAborted(abortReason(signal)));
    };
    const timer = setTimeout(() => {
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
    let timer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
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
      timer = setTimeout(() => {
        cleanup();
        resolve(undefined);
      }, Math.max(0, timeoutMs));
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
