// A small promise wrapper around one sqlite3 connection.
// Writes go through one FIFO lane (`exclusive`) so a transaction never interleaves with another
// write on the shared connection. Writes queued with `enqueue` / `enqueueRow` are grouped: every
// write queued during one tick is committed in a single transaction (group commit);
// `flush()` resolves once everything queued before it is committed.
// Each statement run is a round trip to libuv's thread pool, which is the cost that matters
// under load, so rows of one kind (`RowKind`: timeline events, variables, state updates) are
// written by one statement per group commit, whatever their number, and may wait a few
// milliseconds for company (`configureRowCommitDelay`): ARI events arrive one per tick, so
// without that delay most commits would carry a single row. The group commit itself is
// group-commit.ts; this file is the connection, its statement cache and the write lane.
import sqlite3 from 'sqlite3';
import type { Database, RunResult, Statement } from 'sqlite3';
import { GroupCommit } from './group-commit.js';
import { DbClosedError } from './sqlite-errors.js';

export { DbClosedError, isConstraintError } from './sqlite-errors.js';

export type SqlValue = string | number | null;
export type Row = Record<string, unknown>;

export interface SqlStep {
  sql: string;
  params: SqlValue[];
}

/**
 * Rows written together: `many` builds one statement writing every row of a group commit, in
 * order; `one` writes a single row (a lone row, and the fallback that isolates a bad row when
 * `many` fails on a constraint). Groups run after the `enqueue` writes of the same commit,
 * by ascending `rank`: rows of one kind may depend on those writes (a session's insert), and on
 * kinds of lower rank, never on a later one.
 */
export interface RowKind<R> {
  readonly rank: number;
  many(rows: readonly R[]): SqlStep;
  one(row: R): SqlStep;
}

/** Rows that commit together or not at all (a session's state change, its timeline and outbox rows). */
export type UnitRows = ReadonlyArray<{ kind: RowKind<unknown>; row: unknown }>;

export class Db {
  private lane: Promise<unknown> = Promise.resolve();
  private readonly commits = new GroupCommit({ runRaw: (sql, params) => this.runRaw(sql, params), onLane: (fn) => this.onLane(fn) });
  /** No new writes accepted (close() called). */
  private closed = false;
  /** The connection itself is closed. */
  private rawClosed = false;
  private closing: Promise<void> | undefined;
  private readonly statements = new Map<string, Statement>();
  /** A second, read-only connection for `consistentRead`. */
  private reader: Db | undefined;

  private constructor(private readonly raw: Database) {}

  static open(path: string): Promise<Db> {
    return Db.openWith(path, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE | sqlite3.OPEN_FULLMUTEX);
  }

  private static openWith(path: string, mode: number): Promise<Db> {
    return new Promise((resolve, reject) => {
      const raw = new sqlite3.Database(path, mode, (err) => {
        if (err) reject(err);
        else resolve(new Db(raw));
      });
    });
  }

  configureBusyTimeout(ms: number): void {
    this.raw.configure('busyTimeout', ms);
  }

  /**
   * How long rows (`enqueueRow`) may wait for the next commit; 0: the next tick. A write queued
   * with `enqueue`, `flush()` and `close()` commit everything queued at once.
   */
  configureRowCommitDelay(ms: number): void {
    this.commits.configureRowCommitDelay(ms);
  }

  /**
   * Reads (and pragmas) outside the write lane, through cached prepared statements: a
   * `Database#get` would prepare and finalize the statement on every call. `get` is the first
   * row of `all`, for queries of one row: a statement left mid-result would hold its read
   * transaction open.
   */
  async get<T extends Row>(sql: string, params: SqlValue[] = []): Promise<T | undefined> {
    const rows = await this.all<T>(sql, params);
    return rows[0];
  }

  async all<T extends Row>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    if (this.rawClosed) throw new DbClosedError();
    const stmt = this.statements.get(sql) ?? await this.prepare(sql);
    return new Promise((resolve, reject) => {
      // Runs to SQLITE_DONE (and resets first), so the read transaction ends with it.
      stmt.all(params, (err: Error | null, rows: unknown[]) => {
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
  async runRaw(sql: string, params: SqlValue[] = []): Promise<number> {
    const prepared = this.statements.get(sql) ?? await this.prepare(sql);
    return new Promise((resolve, reject) => {
      prepared.run(params, function (this: RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve(this.changes);
      });
    });
  }

  /** Cached once prepared; a statement that fails to prepare rejects (and is not kept). */
  private prepare(sql: string): Promise<Statement> {
    if (this.rawClosed) return Promise.reject(new DbClosedError());
    return new Promise((resolve, reject) => {
      // With a callback, a prepare error goes to it instead of an unhandled 'error' event.
      const stmt = this.raw.prepare(sql, (err: Error | null) => {
        if (err) {
          reject(err);
          return;
        }
        const cached = this.statements.get(sql);
        if (cached) {
          stmt.finalize();
          resolve(cached);
          return;
        }
        this.statements.set(sql, stmt);
        resolve(stmt);
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
    this.reader = await Db.openWith(path, sqlite3.OPEN_READONLY | sqlite3.OPEN_FULLMUTEX);
    this.reader.configureBusyTimeout(busyTimeoutMs);
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
    for (const stmt of this.statements.values()) {
      await new Promise<void>((resolve) => stmt.finalize(() => resolve()));
    }
    this.statements.clear();
    this.rawClosed = true;
    await new Promise<void>((resolve, reject) => this.raw.close((err) => (err ? reject(err) : resolve())));
  }
}
