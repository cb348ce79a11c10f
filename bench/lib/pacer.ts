// Open-loop pacing: `count` actions at `rate` per second, each started at its planned time
// whatever happened to the previous ones (a slow server must not slow the offered load down).
import { performance } from 'node:perf_hooks';

export interface PaceResult {
  /** How late, at most, an action started after its planned time (the driver's own lag), ms. */
  maxLagMs: number;
  durationMs: number;
}

export function pace(count: number, rate: number, action: (index: number) => void): Promise<PaceResult> {
  return new Promise((resolve) => {
    const start = performance.now();
    const interval = 1000 / rate;
    let next = 0;
    let maxLagMs = 0;
    const tick = (): void => {
      const now = performance.now();
      while (next < count && start + next * interval <= now) {
        maxLagMs = Math.max(maxLagMs, now - (start + next * interval));
        action(next);
        next++;
      }
      if (next >= count) {
        resolve({ maxLagMs, durationMs: performance.now() - start });
        return;
      }
      const wait = start + next * interval - performance.now();
      setTimeout(tick, Math.max(0, Math.min(wait, 50)));
    };
    tick();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
