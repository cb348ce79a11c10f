// A small promise wrapper around one sqlite3 connection.
// Writes go through one FIFO lane (`exclusive`) so a transaction never interleaves with another
// write on the shared connection. Row-level writes queued with `enqueue` are grouped: every
// write queued during one tick is committed in a single transaction (group commit), keeping
// their order; `flush()` resolves once everything queued before it is committed.
import sqlite3 from 'sqlite3';
import type { Database, RunResult, Statement } from 'sqlite3';

export type SqlValue = string | number | null;
export type Row = Record<string, unknown>;

export interface SqlStep {
  sql: string;
  params: SqlValue[];
}

interface QueuedWrite {
  steps: SqlStep[];
  resolve: (changes: number[]) => void;
  reject: (err: Error) => void;
}

export class DbClosedError extends Error {
  constructor() {
    super('The database is closed');
    this.name = 'DbClosedError';
  }
}

/** SQLITE_CONSTRAINT and friends: the statement alone failed, the transaction stays usable. */
export function isConstraintError(err: unknown): boolean {
  return err instanceof Error && (err as Error & { code?: unknown }).code === 'SQLITE_CONSTRAINT';
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

export class Db {
  private lane: Promise<unknown> = Promise.resolve();
  private pending: QueuedWrite[] = [];
  private batchScheduled = false;
  /** No new writes accepted (close() called). */
  private closed = false;
  /** The connection itself is closed. */
  private rawClosed = false;
  private closing: Promise<void> | undefined;
  private readonly statements = new Map<string, Statement>();

  private constructor(private readonly raw: Database) {}

  static open(path: string): Promise<Db> {
    return new Promise((resolve, reject) => {
      const raw = new sqlite3.Database(path, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE | sqlite3.OPEN_FULLMUTEX, (err) => {
        if (err) reject(err);
        else resolve(new Db(raw));
      });
    });
  }

  configureBusyTimeout(ms: number): void {
    this.raw.configure('busyTimeout', ms);
  }

  /** Reads (and pragmas) outside the write lane. */
  get<T extends Row>(sql: string, params: SqlValue[] = []): Promise<T | undefined> {
    if (this.rawClosed) return Promise.reject(new DbClosedError());
    return new Promise((resolve, reject) => {
      this.raw.get(sql, params, (err: Error | null, row: unknown) => {
        if (err) reject(err);
        else resolve(row as T | undefined);
      });
    });
  }

  all<T extends Row>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    if (this.rawClosed) return Promise.reject(new DbClosedError());
    return new Promise((resolve, reject) => {
      this.raw.all(sql, params, (err: Error | null, rows: unknown[]) => {
        if (err) reject(err);
        else resolve(rows as T[]);
      });
    });
  }

  /** Multi-statement SQL without parameters (migrations only). Call inside `exclusive`. */
  execRaw(sql: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.raw.exec(sql, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** One statement; resolves with the number of changed rows. Call inside `exclusive`. */
  runRaw(sql: string, params: SqlValue[] = []): Promise<number> {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.raw.prepare(sql);
      this.statements.set(sql, stmt);
    }
    const prepared = stmt;
    return new Promise((resolve, reject) => {
      prepared.run(params, function (this: RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve(this.changes);
      });
    });
  }

  /** Runs `fn` alone on the write lane (FIFO). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new DbClosedError());
    return this.onLane(fn);
  }

  private onLane<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.lane.then(fn);
    this.lane = result.catch(() => undefined);
    return result;
  }

  /** Runs `fn` in a transaction on the write lane; rolled back if it throws. */
  transaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      await this.runRaw('BEGIN IMMEDIATE');
      try {
        const value = await fn();
        await this.runRaw('COMMIT');
        return value;
      } catch (err) {
        await this.runRaw('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /**
   * Queues a write (one or more statements, atomic together) for the next group commit.
   * Resolves with each statement's change count once committed; rejects alone on a constraint
   * violation, or with the whole batch when the transaction itself fails.
   */
  enqueue(steps: SqlStep[]): Promise<number[]> {
    if (this.closed) return Promise.reject(new DbClosedError());
    return new Promise((resolve, reject) => {
      this.pending.push({ steps, resolve, reject });
      if (!this.batchScheduled) {
        this.batchScheduled = true;
        setImmediate(() => {
          this.onLane(() => this.runPending()).catch(() => undefined);
        });
      }
    });
  }

  /** Resolves when every write queued before the call is committed (or has failed). */
  flush(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.exclusive(() => this.runPending());
  }

  private async runPending(): Promise<void> {
    this.batchScheduled = false;
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    const done: Array<{ write: QueuedWrite; changes: number[] }> = [];
    try {
      await this.runRaw('BEGIN IMMEDIATE');
    } catch (err) {
      for (const write of batch) write.reject(asError(err));
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const write = batch[i]!;
      try {
        done.push({ write, changes: await this.runWrite(write.steps) });
      } catch (err) {
        if (isConstraintError(err)) {
          write.reject(asError(err));
          continue;
        }
        // Anything else (I/O, full disk, busy) may have ended the transaction: fail the batch.
        await this.runRaw('ROLLBACK').catch(() => undefined);
        for (const d of done) d.write.reject(asError(err));
        for (const rest of batch.slice(i)) rest.reject(asError(err));
        return;
      }
    }
    try {
      await this.runRaw('COMMIT');
    } catch (err) {
      await this.runRaw('ROLLBACK').catch(() => undefined);
      for (const d of done) d.write.reject(asError(err));
      return;
    }
    for (const d of done) d.write.resolve(d.changes);
  }

  private async runWrite(steps: SqlStep[]): Promise<number[]> {
    if (steps.length === 1) return [await this.runRaw(steps[0]!.sql, steps[0]!.params)];
    // Several statements: a savepoint makes them succeed or fail together inside the batch.
    await this.runRaw('SAVEPOINT write_op');
    try {
      const changes: number[] = [];
      for (const step of steps) changes.push(await this.runRaw(step.sql, step.params));
      await this.runRaw('RELEASE write_op');
      return changes;
    } catch (err) {
      await this.runRaw('ROLLBACK TO write_op').catch(() => undefined);
      await this.runRaw('RELEASE write_op').catch(() => undefined);
      throw err;
    }
  }

  /** Commits the queued writes, then closes; every call made after `close()` is refused. */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    this.closed = true;
    await this.onLane(() => this.runPending());
    for (const stmt of this.statements.values()) {
      await new Promise<void>((resolve) => stmt.finalize(() => resolve()));
    }
    this.statements.clear();
    this.rawClosed = true;
    await new Promise<void>((resolve, reject) => this.raw.close((err) => (err ? reject(err) : resolve())));
  }
}
