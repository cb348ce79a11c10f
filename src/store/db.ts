// A small promise wrapper around one sqlite3 connection.
// Writes go through one FIFO lane (`exclusive`) so a transaction never interleaves with another
// write on the shared connection. Writes queued with `enqueue` / `enqueueRow` are grouped: every
// write queued during one tick is committed in a single transaction (group commit);
// `flush()` resolves once everything queued before it is committed.
// Each statement run is a round trip to libuv's thread pool, which is the cost that matters
// under load, so rows of one kind (`RowKind`: timeline events, variables, state updates) are
// written by one statement per group commit, whatever their number, and may wait a few
// milliseconds for company (`configureRowCommitDelay`): ARI events arrive one per tick, so
// without that delay most commits would carry a single row.
import sqlite3 from 'sqlite3';
import type { Database, RunResult, Statement } from 'sqlite3';

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

/** Rows per statement: bounds the size of one JSON parameter, not a SQLite limit. */
const MAX_ROWS_PER_STATEMENT = 2000;

interface QueuedRow {
  row: unknown;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface RowGroup {
  kind: RowKind<unknown>;
  rows: QueuedRow[];
}

/** Rows that commit together or not at all (a session's state change, its timeline and outbox rows). */
export type UnitRows = ReadonlyArray<{ kind: RowKind<unknown>; row: unknown }>;

interface QueuedUnit {
  rows: UnitRows;
  resolve: () => void;
  reject: (err: Error) => void;
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
  private rowGroups = new Map<RowKind<unknown>, RowGroup>();
  private units: QueuedUnit[] = [];
  /** A commit is due on the next turn of the event loop (setImmediate). */
  private batchScheduled = false;
  /** A commit of rows only is due when this timer fires. */
  private batchTimer: NodeJS.Timeout | undefined;
  private rowCommitDelayMs = 0;
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

  /**
   * How long rows (`enqueueRow`) may wait for the next commit; 0: the next tick. A write queued
   * with `enqueue`, `flush()` and `close()` commit everything queued at once.
   */
  configureRowCommitDelay(ms: number): void {
    this.rowCommitDelayMs = Math.max(0, ms);
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
      this.scheduleBatch(true);
    });
  }

  /**
   * Queues one row of `kind` for the next group commit. Resolves once committed; rejects alone
   * on a constraint violation of that row, or with the whole batch when the transaction fails.
   */
  enqueueRow<R>(kind: RowKind<R>, row: R): Promise<void> {
    if (this.closed) return Promise.reject(new DbClosedError());
    const key = kind as RowKind<unknown>;
    let group = this.rowGroups.get(key);
    if (!group) {
      group = { kind: key, rows: [] };
      this.rowGroups.set(key, group);
    }
    const rows = group.rows;
    return new Promise((resolve, reject) => {
      rows.push({ row, resolve, reject });
      this.scheduleBatch(false);
    });
  }

  /**
   * Queues a unit of rows for the next group commit: batched with the other units by kind (one
   * statement per kind), after the `enqueue` writes and the row groups. A unit is never split:
   * when a batched statement fails on a constraint, every unit is replayed in its own savepoint
   * and only the failing units are rejected (whole).
   */
  enqueueUnit(rows: UnitRows, urgent = false): Promise<void> {
    if (this.closed) return Promise.reject(new DbClosedError());
    return new Promise((resolve, reject) => {
      this.units.push({ rows, resolve, reject });
      this.scheduleBatch(urgent);
    });
  }

  private scheduleBatch(urgent: boolean): void {
    if (this.batchScheduled) return;
    if (urgent || this.rowCommitDelayMs === 0) {
      clearTimeout(this.batchTimer);
      this.batchTimer = undefined;
      this.batchScheduled = true;
      setImmediate(() => this.startBatch());
    } else {
      this.batchTimer ??= setTimeout(() => this.startBatch(), this.rowCommitDelayMs);
    }
  }

  private startBatch(): void {
    this.onLane(() => this.runPending()).catch(() => undefined);
  }

  /** Resolves when every write queued before the call is committed (or has failed). */
  flush(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.exclusive(() => this.runPending());
  }

  private async runPending(): Promise<void> {
    this.batchScheduled = false;
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    const writes = this.pending.splice(0);
    const groups = [...this.rowGroups.values()].sort((a, b) => a.kind.rank - b.kind.rank);
    this.rowGroups.clear();
    const units = this.units.splice(0);
    if (writes.length === 0 && groups.length === 0 && units.length === 0) return;
    const lone = writes.length === 1 && groups.length === 0 && units.length === 0 ? writes[0] : undefined;
    if (lone && lone.steps.length === 1) {
      // One statement alone is its own transaction (autocommit): one round trip instead of three.
      const step = lone.steps[0]!;
      try {
        lone.resolve([await this.runRaw(step.sql, step.params)]);
      } catch (err) {
        lone.reject(asError(err));
      }
      return;
    }
    // Settled only after COMMIT; a promise already rejected alone ignores the batch's outcome.
    const onCommit: Array<() => void> = [];
    const failAll = (err: Error): void => {
      for (const write of writes) write.reject(err);
      for (const group of groups) for (const r of group.rows) r.reject(err);
      for (const unit of units) unit.reject(err);
    };
    try {
      await this.runRaw('BEGIN IMMEDIATE');
    } catch (err) {
      failAll(asError(err));
      return;
    }
    try {
      for (const write of writes) {
        try {
          // Alone in its transaction, a write needs no savepoint: its failure is the transaction's.
          const changes = lone ? await this.runSteps(write.steps) : await this.runWrite(write.steps);
          onCommit.push(() => write.resolve(changes));
        } catch (err) {
          // A constraint fails only its own write; anything else (I/O, full disk, busy) may
          // have ended the transaction: it fails the batch (as does any failure of a lone write,
          // whose earlier statements must not commit without the rest).
          if (lone || !isConstraintError(err)) throw err;
          write.reject(asError(err));
        }
      }
      for (const group of groups) await this.runRows(group, onCommit);
      if (units.length > 0) await this.runUnits(units, onCommit);
      await this.runRaw('COMMIT');
    } catch (err) {
      await this.runRaw('ROLLBACK').catch(() => undefined);
      failAll(asError(err));
      return;
    }
    for (const settle of onCommit) settle();
  }

  private async runRows(group: RowGroup, onCommit: Array<() => void>): Promise<void> {
    const { kind, rows } = group;
    for (let i = 0; i < rows.length; i += MAX_ROWS_PER_STATEMENT) {
      const chunk = rows.slice(i, i + MAX_ROWS_PER_STATEMENT);
      if (chunk.length > 1) {
        try {
          const step = kind.many(chunk.map((r) => r.row));
          await this.runRaw(step.sql, step.params);
          for (const r of chunk) onCommit.push(r.resolve);
          continue;
        } catch (err) {
          if (!isConstraintError(err)) throw err;
          // SQLite undid that statement alone: row by row, the bad rows fail and the rest commit.
        }
      }
      for (const r of chunk) {
        try {
          const step = kind.one(r.row);
          await this.runRaw(step.sql, step.params);
          onCommit.push(r.resolve);
        } catch (err) {
          if (!isConstraintError(err)) throw err;
          r.reject(asError(err));
        }
      }
    }
  }

  private async runUnits(units: QueuedUnit[], onCommit: Array<() => void>): Promise<void> {
    const byKind = new Map<RowKind<unknown>, unknown[]>();
    for (const unit of units) {
      for (const { kind, row } of unit.rows) {
        const rows = byKind.get(kind);
        if (rows) rows.push(row);
        else byKind.set(kind, [row]);
      }
    }
    const kinds = [...byKind.keys()].sort((a, b) => a.rank - b.rank);
    await this.runRaw('SAVEPOINT units');
    try {
      for (const kind of kinds) {
        const rows = byKind.get(kind)!;
        for (let i = 0; i < rows.length; i += MAX_ROWS_PER_STATEMENT) {
          const chunk = rows.slice(i, i + MAX_ROWS_PER_STATEMENT);
          const step = chunk.length === 1 ? kind.one(chunk[0]) : kind.many(chunk);
          await this.runRaw(step.sql, step.params);
        }
      }
      await this.runRaw('RELEASE units');
      for (const unit of units) onCommit.push(unit.resolve);
      return;
    } catch (err) {
      await this.runRaw('ROLLBACK TO units').catch(() => undefined);
      await this.runRaw('RELEASE units').catch(() => undefined);
      if (!isConstraintError(err)) throw err;
    }
    // A constraint failed somewhere: each unit alone, in order, so that one bad unit fails alone.
    for (const unit of units) {
      const sorted = [...unit.rows].sort((a, b) => a.kind.rank - b.kind.rank);
      try {
        await this.runWrite(sorted.map(({ kind, row }) => kind.one(row)));
        onCommit.push(unit.resolve);
      } catch (err) {
        if (!isConstraintError(err)) throw err;
        unit.reject(asError(err));
      }
    }
  }

  private async runSteps(steps: SqlStep[]): Promise<number[]> {
    const changes: number[] = [];
    for (const step of steps) changes.push(await this.runRaw(step.sql, step.params));
    return changes;
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
