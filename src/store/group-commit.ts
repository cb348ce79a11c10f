// The group commit of `Db`: every write queued during one tick (or, for rows, within the row
// commit delay) is committed in a single transaction. Rows of one kind (`RowKind`) are written by
// one statement per commit whatever their number; a constraint violation fails only its own
// write, row or unit, the rest commits.
import type { RowKind, SqlStep, SqlValue, UnitRows } from './sql.js';
import { asError, isConstraintError } from './sqlite-errors.js';

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

/** The connection as the group commit uses it: one statement at a time, on the write lane. */
export interface WriteLane {
  runRaw(sql: string, params?: SqlValue[]): Promise<number>;
  onLane<T>(fn: () => Promise<T>): Promise<T>;
}

export class GroupCommit {
  private pending: QueuedWrite[] = [];
  private rowGroups = new Map<RowKind<unknown>, RowGroup>();
  private units: QueuedUnit[] = [];
  /** A commit is due on the next turn of the event loop (setImmediate). */
  private batchScheduled = false;
  /** A commit of rows only is due when this timer fires. */
  private batchTimer: NodeJS.Timeout | undefined;
  private rowCommitDelayMs = 0;

  constructor(private readonly lane: WriteLane) {}

  /** Db#configureRowCommitDelay. */
  configureRowCommitDelay(ms: number): void {
    this.rowCommitDelayMs = Math.max(0, ms);
  }

  /** Db#enqueue: a write of `steps`, atomic together; the commit runs on the next tick. */
  enqueue(steps: SqlStep[]): Promise<number[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ steps, resolve, reject });
      this.scheduleBatch(true);
    });
  }

  /** Db#enqueueRow: one row, which may wait up to the row commit delay. */
  enqueueRow<R>(kind: RowKind<R>, row: R): Promise<void> {
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

  /** Db#enqueueUnit: rows committed together or not at all. */
  enqueueUnit(rows: UnitRows, urgent = false): Promise<void> {
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
    this.lane.onLane(() => this.runPending()).catch(() => undefined);
  }

  /** Commits everything queued so far, in one transaction; runs on the write lane. */
  async runPending(): Promise<void> {
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
        lone.resolve([await this.lane.runRaw(step.sql, step.params)]);
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
      await this.lane.runRaw('BEGIN IMMEDIATE');
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
      await this.lane.runRaw('COMMIT');
    } catch (err) {
      await this.lane.runRaw('ROLLBACK').catch(() => undefined);
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
          await this.lane.runRaw(step.sql, step.params);
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
          await this.lane.runRaw(step.sql, step.params);
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
    await this.lane.runRaw('SAVEPOINT units');
    try {
      for (const kind of kinds) {
        const rows = byKind.get(kind)!;
        for (let i = 0; i < rows.length; i += MAX_ROWS_PER_STATEMENT) {
          const chunk = rows.slice(i, i + MAX_ROWS_PER_STATEMENT);
          const step = chunk.length === 1 ? kind.one(chunk[0]) : kind.many(chunk);
          await this.lane.runRaw(step.sql, step.params);
        }
      }
      await this.lane.runRaw('RELEASE units');
      for (const unit of units) onCommit.push(unit.resolve);
      return;
    } catch (err) {
      await this.lane.runRaw('ROLLBACK TO units').catch(() => undefined);
      await this.lane.runRaw('RELEASE units').catch(() => undefined);
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
    for (const step of steps) changes.push(await this.lane.runRaw(step.sql, step.params));
    return changes;
  }

  private async runWrite(steps: SqlStep[]): Promise<number[]> {
    if (steps.length === 1) return [await this.lane.runRaw(steps[0]!.sql, steps[0]!.params)];
    // Several statements: a savepoint makes them succeed or fail together inside the batch.
    await this.lane.runRaw('SAVEPOINT write_op');
    try {
      const changes: number[] = [];
      for (const step of steps) changes.push(await this.lane.runRaw(step.sql, step.params));
      await this.lane.runRaw('RELEASE write_op');
      return changes;
    } catch (err) {
      await this.lane.runRaw('ROLLBACK TO write_op').catch(() => undefined);
      await this.lane.runRaw('RELEASE write_op').catch(() => undefined);
      throw err;
    }
  }
}
