import { createHash } from 'node:crypto';
import pg from 'pg';
import { DatabaseUnavailableError, type Database, type QueryResult, type SqlExecutor } from './database.js';

const INT8_OID = 20;

/** int8 (bigint) columns hold row keys and version numbers, all far below 2^53. */
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/**
 * Statements run as named prepared statements, so PostgreSQL parses and plans each distinct SQL
 * text once per connection instead of on every call (for the many-CTE write statement, planning
 * costs more than executing). Names derive from the text; past a bound, further distinct texts
 * (search shapes are open-ended) run unnamed, so per-connection memory stays bounded.
 */
const MAX_PREPARED_STATEMENTS = 500;

class StatementNames {
  private readonly names = new Map<string, string>();

  nameFor(sql: string): string | undefined {
    const known = this.names.get(sql);
    if (known !== undefined || this.names.size >= MAX_PREPARED_STATEMENTS) return known;
    const name = `cb_${createHash('sha256').update(sql).digest('base64url').slice(0, 22)}`;
    this.names.set(sql, name);
    return name;
  }
}

export interface PostgresOptions {
  connectionString: string;
  maxConnections?: number;
  applicationName?: string;
}

export function openPostgres(options: PostgresOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 20,
    application_name: options.applicationName ?? 'carebridge',
    types: typeParsers,
    connectionTimeoutMillis: 5_000,
  });
  // A connection lost in a database restart must not crash the process: the pool reports idle
  // clients' errors here, and a client in use reports it as an 'error' event as well as failing
  // its query (which is what callers see). Broken clients are discarded on release.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));

  /** A connection that cannot be had, or that dies mid-query, means the work was not done. */
  const connect = async (): Promise<pg.PoolClient> => {
    try {
      return await pool.connect();
    } catch (error) {
      throw new DatabaseUnavailableError(error);
    }
  };

  const statements = new StatementNames();
  const run = async <Row>(client: pg.PoolClient, sql: string, params?: readonly unknown[]) => {
    try {
      const name = params === undefined ? undefined : statements.nameFor(sql);
      const values = params as unknown[] | undefined;
      const result = await client.query(
        name === undefined ? { text: sql, values } : { name, text: sql, values },
      );
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 } satisfies QueryResult<Row>;
    } catch (error) {
      if (error instanceof Error && /Connection terminated|not queryable/i.test(error.message)) {
        throw new DatabaseUnavailableError(error);
      }
      throw error;
    }
  };

  const once = async <Row>(sql: string, params?: readonly unknown[]) => {
    const client = await connect();
    let broken = false;
    try {
      return await run<Row>(client, sql, params);
    } catch (error) {
      broken = error instanceof DatabaseUnavailableError;
      throw error;
    } finally {
      client.release(broken);
    }
  };

  return {
    kind: 'postgres',
    query: (sql, params) => once(sql, params),
    exec: async (sql) => {
      await once(sql);
    },
    async transaction(work) {
      const client = await connect();
      let broken = false;
      try {
        await run(client, 'begin');
        const tx: SqlExecutor = {
          query: (sql, params) => run(client, sql, params),
          exec: async (sql) => {
            await run(client, sql);
          },
        };
        const result = await work(tx);
        await run(client, 'commit');
        return result;
      } catch (error) {
        try {
          await client.query('rollback');
        } catch {
          broken = true;
        }
        throw error;
      } finally {
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
