// Checkpoints of the SQLite WAL, off the event loop. better-sqlite3 runs statements on the
// calling thread, and SQLite's automatic checkpoint (every 1,000 WAL pages) would run inside a
// commit: pages copied back into the database file and an fsync, 10-80 ms on a VM's disk with
// the event loop stopped (3 ms of it CPU). The writing connection turns it off; a worker thread
// with a connection of its own checkpoints every `intervalMs` after writes (PASSIVE: it never
// waits for the writer nor blocks it); an idle engine does not wake it. If the worker cannot run,
// the writer checkpoints itself again.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Plain CommonJS, evaluated in the worker: no TypeScript loader there. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ frames: result.log, checkpointed: result.checkpointed });
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
});
`;

export interface CheckpointResult {
  /** WAL frames at the time, and how many of them are now in the database file. */
  frames: number;
  checkpointed: number;
}

export class WalCheckpointer {
  private readonly timer: NodeJS.Timeout;
  private running = false;
  private closed = false;
  private readonly listeners = new Set<(result: CheckpointResult) => void>();

  private constructor(
    private readonly worker: Worker, intervalMs: number, private readonly wroteSinceLastTick: () => boolean, onFailure: () => void,
  ) {
    this.timer = setInterval(() => this.checkpoint(), intervalMs);
    this.timer.unref();
    worker.unref();
    worker.on('message', (message: CheckpointResult | { error: string }) => {
      this.running = false;
      if ('error' in message) return;
      for (const listener of this.listeners) listener(message);
    });
    const failed = (): void => {
      if (this.closed) return;
      this.stop();
      onFailure();
    };
    worker.on('error', failed);
    worker.on('exit', failed);
  }

  /**
   * `wroteSinceLastTick`: whether the writer wrote since it was last asked (nothing to checkpoint
   * otherwise). `onFailure`: the worker is gone (it could not load, or died): the writer must
   * checkpoint again.
   */
  static start(path: string, intervalMs: number, wroteSinceLastTick: () => boolean, onFailure: () => void): WalCheckpointer {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    // No execArgv: the source is plain CommonJS, and the process's loaders (tsx) would only cost.
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { driver, path } });
    return new WalCheckpointer(worker, intervalMs, wroteSinceLastTick, onFailure);
  }

  /** Told after each checkpoint (tests). */
  onCheckpoint(listener: (result: CheckpointResult) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private checkpoint(): void {
    if (this.running || this.closed || !this.wroteSinceLastTick()) return;
    this.running = true;
    this.worker.postMessage('checkpoint');
  }

  private stop(): void {
    this.closed = true;
    clearInterval(this.timer);
  }

  /** Stops the timer and closes the worker's connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.stop();
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Held open until the worker has closed its connection (unref'd, it would not keep the process alive to see it).
    this.worker.ref();
    this.worker.postMessage('close');
    await exited;
  }
}
