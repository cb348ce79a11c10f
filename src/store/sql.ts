// The shapes of SQL work the store queues: statements with their values, and row kinds that
// write many rows in one statement. Shared by the connection (db.ts) and its group commit
// (group-commit.ts), which both depend on these and not on each other's types.

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
