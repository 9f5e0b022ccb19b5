/**
 * The one SQL interface the rest of the server uses. Two adapters implement it: PostgreSQL through
 * `pg` (production) and PGlite (embedded, zero set-up). Both run the same SQL and migrations.
 */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface SqlExecutor {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export type DatabaseKind = 'postgres' | 'pglite';

export interface Database extends SqlExecutor {
  readonly kind: DatabaseKind;
  /** Runs `work` in one transaction (READ COMMITTED), committing on success, rolling back on throw. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** PostgreSQL error codes the store reacts to. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_SERIALIZATION_FAILURE = '40001';
export const PG_DEADLOCK_DETECTED = '40P01';

export function sqlErrorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** The database could not be reached, or the connection broke before the work completed. */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super('The database is unavailable', { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * True when the database could not be reached, went away mid-request (a restart, a network fault)
 * or gave up on a statement (statement or lock timeout), so the request was not applied and the
 * client may retry: answered as 503, not 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  const code = sqlErrorCode(error);
  if (code === undefined) return false;
  return (
    code.startsWith('08') || // connection exception
    code === '57P01' || // admin shutdown
    code === '57P02' || // crash shutdown
    code === '57P03' || // cannot connect now (starting up)
    code === '57014' || // statement_timeout (or a cancel): rolled back, safe to retry
    code === '55P03' || // lock_timeout: rolled back, safe to retry
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ETIMEDOUT'
  );
}
