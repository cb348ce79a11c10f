// Virtual time for flow simulation: timers are kept in order of (due, creation) and fire only when
// everything else is idle, then time jumps to the next one. Everything a simulation runs is
// in-process (no sockets), so "idle" is "the microtask queue drained": one setImmediate turn.
import type { Timers } from '../telephony/wait.js';

interface VirtualTimer { due: number; seq: number; fn: () => void; cancelled: boolean }

export class VirtualClock implements Timers {
  private timers: VirtualTimer[] = [];
  private seq = 0;
  private current = 0;

  /** Virtual milliseconds since the simulation began. */
  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): VirtualTimer {
    const timer: VirtualTimer = { due: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    if (handle) (handle as VirtualTimer).cancelled = true;
  }

  /** Never yields: a simulation shares no event loop with calls, and a real yield would let time jump. */
  turn(): undefined {
    return undefined;
  }

  /**
   * Runs the simulation until `done` settles: drains the queue, fires the earliest timer, repeats.
   * Rejects when nothing is left to fire but `done` is still pending (a wait with no deadline).
   */
  async run<T>(done: Promise<T>): Promise<T> {
    let settled = false;
    const result = done.finally(() => { settled = true; });
    result.catch(() => undefined);
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (settled) return result;
      const next = this.popEarliest();
      if (!next) throw new Error(`simulation stalled at ${this.current} ms: the flow waits for something that never happens`);
      this.current = next.due;
      next.fn();
    }
  }

  private popEarliest(): VirtualTimer | undefined {
    this.timers = this.timers.filter((t) => !t.cancelled);
    if (this.timers.length === 0) return undefined;
    let best = 0;
    for (let i = 1; i < this.timers.length; i++) {
      const t = this.timers[i]!;
      const b = this.timers[best]!;
      if (t.due < b.due || (t.due === b.due && t.seq < b.seq)) best = i;
    }
    return this.timers.splice(best, 1)[0];
  }
}
