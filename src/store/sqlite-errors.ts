// The errors of the store's connection (`Db`): its own, and SQLite's constraint violations.
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

export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
