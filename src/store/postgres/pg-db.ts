// The PostgreSQL connection of the store: a bounded pool (node-postgres), transactions on one
// pooled client, and the classification of errors the store acts on (a constraint violation, the
// database being unreachable). Timestamps are ISO 8601 TEXT as on SQLite, so that both dialects
// compare and order them the same way; BIGINT (COUNT, sums) is read as a JS number.
import pg from 'pg';
import type { PoolClient, QueryResultRow } from 'pg';
import { AppError } from '../../domain/errors.js';

/** Seconds a client is told to wait when the database is unreachable. */
export const DATABASE_RETRY_AFTER_SEC = 5;

/**
 * The database cannot be reached: 503 + Retry-After in the API's error shape. The reason (for the
 * logs and /ready) never carries the URL.
 */
export class DatabaseUnavailableError extends AppError {
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super('unavailable', 'DatabaseUnavailable', 'The database is unreachable; nothing was changed, retry later', [], DATABASE_RETRY_AFTER_SEC);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** Unavailability errors as DatabaseUnavailableError; any other error as it is. */
function classified(err: unknown): unknown {
  if (err instanceof DatabaseUnavailableError || !isUnavailable(err)) return err;
  return new DatabaseUnavailableError(describePgError(err), { cause: err });
}

export type PgValue = string | number | boolean | null | ReadonlyArray<string | number | null>;

export interface PgOptions {
  /** postgres://user:password@host:port/database (never logged). */
  url: string;
  /** Connections of this process at most (default 10). */
  poolSize?: number;
  /** Longest statement before PostgreSQL cancels it (default 10 s). */
  statementTimeoutMs?: number;
  /** Longest wait for a connection, new or from the pool (default 5 s). */
  connectTimeoutMs?: number;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** COUNT(*) and SUM are BIGINT/NUMERIC: far below 2^53 here, so read as numbers. */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format ?? 'text');
  }) as typeof pg.types.getTypeParser,
};

/** Something that runs a statement: the pool or a client inside a transaction. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(sql: string, params?: PgValue[]): Promise<{ rows: R[]; rowCount: number | null }>;
}

export class PgDb {
  readonly pool: pg.Pool;
  private closed = false;
  /** The last reason a connection failed (for /ready), without the URL. */
  lastError: string | undefined;

  constructor(options: PgOptions) {
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      statement_timeout: options.statementTimeoutMs ?? 10_000,
      // A connection that stops answering (a network cut, no reset) fails its query here rather
      // than hanging: the server's own timeout plus a margin.
      query_timeout: (options.statementTimeoutMs ?? 10_000) + 2_000,
      keepAlive: true,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
      application_name: 'ari-flow-engine',
      types: TYPES,
    });
    // An idle client whose connection drops (server restart) emits here; the pool discards it and
    // the next query reconnects. Without a listener the process would crash.
    this.pool.on('error', (err) => { this.lastError = describePgError(err); });
    // A client in use whose connection drops emits 'error' too (its query rejects as well): heard
    // here, or it would crash the process.
    this.pool.on('connect', (client) => client.on('error', (err) => { this.lastError = describePgError(err); }));
  }

  async query<R extends QueryResultRow = QueryResultRow>(sql: string, params: PgValue[] = []): Promise<R[]> {
    try {
      return (await this.pool.query<R>(sql, params as unknown[])).rows;
    } catch (err) {
      throw classified(err);
    }
  }

  async one<R extends QueryResultRow = QueryResultRow>(sql: string, params: PgValue[] = []): Promise<R | undefined> {
    return (await this.query<R>(sql, params))[0];
  }

  /** Changed rows of one statement. */
  async run(sql: string, params: PgValue[] = []): Promise<number> {
    try {
      return (await this.pool.query(sql, params as unknown[])).rowCount ?? 0;
    } catch (err) {
      throw classified(err);
    }
  }

  /** Runs `fn` in a transaction on one pooled client; rolled back if it throws. */
  async transaction<T>(fn: (client: Queryable) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw classified(err);
    }
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const value = await fn(asQueryable(client));
        await client.query('COMMIT');
        return value;
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackErr: unknown) => { broken = rollbackErr as Error; });
        if (isUnavailable(err)) broken ??= err as Error;
        throw classified(err);
      }
    } finally {
      // A client whose connection failed is destroyed, not returned to the pool.
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

function asQueryable(client: PoolClient): Queryable {
  return {
    query: <R extends QueryResultRow>(sql: string, params: PgValue[] = []) => client.query<R>(sql, params as unknown[]),
  };
}

/** SQLSTATE class 23: the statement broke a constraint (unique, foreign key, check). */
export function isConstraintViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('23');
}

/** 23505: a unique constraint (a duplicate id, number, idempotency key). */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === '23505';
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * The database cannot be reached or is restarting: a write may succeed later (retry), as opposed
 * to a statement the database refused (which would be refused again). SQLSTATE 08 (connection
 * exception), 57P01-03 (shutdown, cannot connect now), 57014 (statement timeout under load),
 * 53300 (too many connections), 40001/40P01 (serialization failure, deadlock: retry).
 */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    if (code.startsWith('08') || code.startsWith('57P') || code === '57014' || code === '53300' || code === '40001' || code === '40P01') return true;
    return false;
  }
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|not queryable|Query read timeout/i.test(err.message);
}

/** A short reason for /ready and the logs: the error's code and message, never the URL or credentials. */
export function describePgError(err: unknown): string {
  if (err instanceof DatabaseUnavailableError) return err.reason;
  if (!(err instanceof Error)) return 'unknown database error';
  const code = (err as { code?: unknown }).code;
  // Messages of connection errors may carry the host and port, not the password; strip URLs anyway.
  const message = err.message.replace(/postgres(ql)?:\/\/\S+/gi, '<database url>');
  return typeof code === 'string' ? `${code}: ${message}` : message;
}
