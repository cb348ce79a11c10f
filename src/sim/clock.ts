// One timer for the whole simulator: a binary heap of due tasks behind a single setTimeout,
// so thousands of live channels do not mean thousands of Node timers. Durations are simulated
// milliseconds, multiplied by the time scale.

export interface Task {
  due: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class Clock {
  private heap: Task[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;
  private stopped = false;

  constructor(readonly scale: number, private readonly onError: (err: unknown) => void) {}

  /** Runs `fn` after `ms` simulated milliseconds (0: on a later turn of the event loop). */
  after(ms: number, fn: () => void): Task {
    const task: Task = { due: performance.now() + Math.max(0, ms) * this.scale, seq: this.seq++, fn, cancelled: false };
    this.push(task);
    this.arm();
    return task;
  }

  cancel(task: Task | undefined): void {
    if (task) task.cancelled = true;
  }

  /** Drops every pending task and the timer. */
  clear(): void {
    this.heap = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  stop(): void {
    this.stopped = true;
    this.clear();
  }

  private arm(): void {
    if (this.stopped) return;
    const top = this.heap[0];
    if (!top) return;
    if (this.timer && top.due >= this.armedFor) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = top.due;
    this.timer = setTimeout(() => this.run(), Math.max(0, top.due - performance.now()));
  }

  private run(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = performance.now();
    // Tasks scheduled while running with a zero delay wait for the next turn, keeping order stable.
    let top = this.heap[0];
    while (top && top.due <= now && !this.stopped) {
      this.pop();
      if (!top.cancelled) {
        try {
          top.fn();
        } catch (err) {
          this.onError(err);
        }
      }
      top = this.heap[0];
    }
    this.arm();
  }

  private less(a: Task, b: Task): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private push(task: Task): void {
    const h = this.heap;
    h.push(task);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p] as Task;
      if (!this.less(task, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = task;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (!last || h.length === 0) return;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(h[r] as Task, h[l] as Task) ? r : l;
      const child = h[c] as Task;
      if (!this.less(child, last)) break;
      h[i] = child;
      i = c;
    }
    h[i] = last;
  }
}
