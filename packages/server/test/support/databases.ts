import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Database } from '../../src/store/database.js';
import { openDatabase } from '../../src/store/open.js';

/**
 * The databases storage tests run against: PGlite always, PostgreSQL when the test runner found it
 * (`npm test` sets CAREBRIDGE_TEST_DATABASES). Each PostgreSQL test database is created fresh and
 * dropped afterwards, so test files running in parallel never share state.
 */
export type TestDatabaseKind = 'pglite' | 'postgres';

export function testDatabaseKinds(): TestDatabaseKind[] {
  const configured = (process.env.CAREBRIDGE_TEST_DATABASES ?? 'pglite').split(',');
  return configured.filter((kind): kind is TestDatabaseKind => kind === 'pglite' || kind === 'postgres');
}

export interface TestDatabase {
  db: Database;
  /** The connection URL for PostgreSQL test databases (to start a second server process on it). */
  url?: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(kind: TestDatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const db = await openDatabase({ kind: 'pglite-memory' });
    return { db, drop: () => db.close() };
  }
  const serverUrl = process.env.CAREBRIDGE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `cb_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${name}`);
  const url = withDatabaseName(serverUrl, name);
  const db = await openDatabase({ kind: 'postgres', url });
  return {
    db,
    url,
    async drop() {
      await db.close();
      await adminQuery(serverUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

function withDatabaseName(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
