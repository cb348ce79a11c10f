// The errors of the store's connection (`Db`): its own, and SQLite's constraint violations.
export class DbClosedError extends Error {
  constructor() {
    super('The database is closed');
    this.name = 'DbClosedError';
  }
}

/**
 * SQLITE_CONSTRAINT and its extended codes (better-sqlite3 reports SQLITE_CONSTRAINT_UNIQUE,
 * _PRIMARYKEY …): the statement alone failed, the transaction stays usable.
 */
export function isConstraintError(err: unknown): boolean {
  return codeOf(err).startsWith('SQLITE_CONSTRAINT');
}

/** SQLITE_BUSY and its extended codes: another connection holds the lock; worth a retry. */
export function isBusyError(err: unknown): boolean {
  return codeOf(err).startsWith('SQLITE_BUSY');
}

/** The driver's error code (`SQLITE_…`), or '' for anything else. */
function codeOf(err: unknown): string {
  const code = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : '';
}

export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
