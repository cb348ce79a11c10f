// A promise API around one better-sqlite3 connection, the same shape as the PostgreSQL store's.
// better-sqlite3 runs each statement synchronously on the calling thread: a small write costs
// tens of microseconds, where the asynchronous sqlite3 driver spent several times that per
// statement on its trip through libuv's thread pool (docs/benchmarks.md: 5-7× less CPU per group
// commit, measured side by side). What is asynchronous here is the write lane only.
// Writes go through one FIFO lane (`exclusive`) so a transaction never interleaves with another
// write on the shared connection. Writes queued with `enqueue` / `enqueueRow` are grouped: every
// write queued during one tick is committed in a single transaction (group commit);
// `flush()` resolves once everything queued before it is committed. Rows of one kind
// (`RowKind`: timeline events, variables, state updates) are written by one statement per group
// commit, whatever their number, and may wait a few milliseconds for company
// (`configureRowCommitDelay`). The group commit itself is group-commit.ts; this file is the
// connection, its statement cache and the write lane.
import Database from 'better-sqlite3';
import { GroupCommit } from './group-commit.js';
import { DbClosedError, isBusyError } from './sqlite-errors.js';
import { WalCheckpointer } from './wal-checkpointer.js';

export { DbClosedError, isConstraintError } from './sqlite-errors.js';

export type { Row, RowKind, SqlStep, SqlValue, UnitRows } from './sql.js';
import type { Row, RowKind, SqlStep, SqlValue, UnitRows } from './sql.js';

export class Db {
  private lane: Promise<unknown> = Promise.resolve();
  private readonly commits = new GroupCommit({ runRaw: (sql, params) => this.runRaw(sql, params), onLane: (fn) => this.onLane(fn) });
  /** No new writes accepted (close() called). */
  private closed = false;
  /** The connection itself is closed. */
  private rawClosed = false;
  private closing: Promise<void> | undefined;
  private readonly statements = new Map<string, Database.Statement>();
  private busyTimeoutMs = 0;
  /** A statement ran on the write lane since the checkpointer last asked. */
  private wrote = false;
  /** A second, read-only connection for `consistentRead`. */
  private reader: Db | undefined;
  private checkpointer: WalCheckpointer | undefined;

  private constructor(private readonly raw: Database.Database) {}

  static async open(path: string): Promise<Db> {
    return new Db(new Database(path));
  }

  /**
   * How long a statement waits for a lock another connection holds. SQLite's own busy handler
   * would sleep on this thread, and when that connection is another one of this process (a test,
   * a tool) waiting for this thread, both would stall until the timeout: the wait is polled
   * with timers instead (`unlocked`).
   */
  configureBusyTimeout(ms: number): void {
    this.raw.pragma('busy_timeout = 0');
    this.busyTimeoutMs = Math.max(0, ms);
  }

  private async unlocked<T>(fn: () => T): Promise<T> {
    if (this.rawClosed) throw new DbClosedError();
    const deadline = Date.now() + this.busyTimeoutMs;
    for (let delayMs = 2; ; delayMs = Math.min(delayMs * 2, 50)) {
      try {
        return fn();
      } catch (err) {
        if (!isBusyError(err) || Date.now() >= deadline) throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (this.rawClosed) throw new DbClosedError();
    }
  }

  /**
   * How long rows (`enqueueRow`) may wait for the next commit; 0: the next tick. A write queued
   * with `enqueue`, `flush()` and `close()` commit everything queued at once.
   */
  configureRowCommitDelay(ms: number): void {
    this.commits.configureRowCommitDelay(ms);
  }

  /**
   * Reads (and pragmas) outside the write lane, through cached prepared statements. `get` is the
   * first row of `all`, for queries of one row.
   */
  async get<T extends Row>(sql: string, params: SqlValue[] = []): Promise<T | undefined> {
    const rows = await this.all<T>(sql, params);
    return rows[0];
  }

  all<T extends Row>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    return this.unlocked(() => {
      const stmt = this.statement(sql);
      if (!stmt.reader) {
        // A pragma that sets without answering (`PRAGMA synchronous = NORMAL`).
        stmt.run(...params);
        return [];
      }
      return stmt.all(...params) as T[];
    });
  }

  /** Multi-statement SQL without parameters (migrations only). Call inside `exclusive`. */
  execRaw(sql: string): Promise<void> {
    return this.unlocked(() => {
      this.raw.exec(sql);
    });
  }

  /** One statement; resolves with the number of changed rows. Call inside `exclusive`. */
  runRaw(sql: string, params: SqlValue[] = []): Promise<number> {
    this.wrote = true;
    return this.unlocked(() => this.statement(sql).run(...params).changes);
  }

  /** Cached once prepared; a statement that fails to prepare throws (and is not kept). */
  private statement(sql: string): Database.Statement {
    if (this.rawClosed) throw new DbClosedError();
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.raw.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
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

  /**
   * One statement whose rows must agree with each other (a session and its timeline), run on the
   * read-only connection (`openReader`): under WAL it sees the last commit only, never the half
   * of a group commit that a read on the writing connection would see between its statements.
   * Without a reader (an in-memory database), on the write lane between commits.
   */
  async consistentRead<T extends Row>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    if (this.rawClosed) throw new DbClosedError();
    if (this.reader) return this.reader.all<T>(sql, params);
    return this.onLane(() => this.all<T>(sql, params));
  }

  /** Opens the read-only connection of `consistentRead` (a file database in WAL mode). */
  async openReader(path: string, busyTimeoutMs: number): Promise<void> {
    this.reader = new Db(new Database(path, { readonly: true }));
    this.reader.configureBusyTimeout(busyTimeoutMs);
  }

  /**
   * Moves the WAL's checkpoints off this thread (wal-checkpointer.ts): a file database in WAL
   * mode. Returns the checkpointer, which tests may watch.
   */
  startCheckpointer(path: string, intervalMs = 1000): WalCheckpointer {
    this.raw.pragma('wal_autocheckpoint = 0');
    this.checkpointer = WalCheckpointer.start(path, intervalMs, () => {
      const wrote = this.wrote;
      this.wrote = false;
      return wrote;
    }, () => {
      this.checkpointer = undefined;
      if (!this.rawClosed) this.raw.pragma('wal_autocheckpoint = 1000');
    });
    return this.checkpointer;
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
    return this.commits.enqueue(steps);
  }

  /**
   * Queues one row of `kind` for the next group commit. Resolves once committed; rejects alone
   * on a constraint violation of that row, or with the whole batch when the transaction fails.
   */
  enqueueRow<R>(kind: RowKind<R>, row: R): Promise<void> {
    if (this.closed) return Promise.reject(new DbClosedError());
    return this.commits.enqueueRow(kind, row);
  }

  /**
   * Queues a unit of rows for the next group commit: batched with the other units by kind (one
   * statement per kind), after the `enqueue` writes and the row groups. A unit is never split:
   * when a batched statement fails on a constraint, every unit is replayed in its own savepoint
   * and only the failing units are rejected (whole).
   */
  enqueueUnit(rows: UnitRows, urgent = false): Promise<void> {
    if (this.closed) return Promise.reject(new DbClosedError());
    return this.commits.enqueueUnit(rows, urgent);
  }

  /** Resolves when every write queued before the call is committed (or has failed). */
  flush(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.exclusive(() => this.commits.runPending());
  }

  /** Commits the queued writes, then closes; every call made after `close()` is refused. */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    this.closed = true;
    await this.onLane(() => this.commits.runPending());
    await this.reader?.close();
    await this.checkpointer?.close();
    this.statements.clear();
    this.rawClosed = true;
    this.raw.close();
  }
}
