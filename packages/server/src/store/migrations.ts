import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { Database } from './database.js';

/**
 * Versioned SQL migrations, applied on start. All pending migrations run in one transaction under
 * a transaction-scoped advisory lock, so two processes starting together against one PostgreSQL
 * serialise: the second waits, then finds nothing left to do. A migration that was applied with
 * different content refuses to start the server rather than run against an unknown schema.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

const MIGRATION_FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const MIGRATION_LOCK_KEY = 7_206_144_001; // any constant shared by every Carebridge process

export function loadMigrations(directory = new URL('./migrations/', import.meta.url)): Migration[] {
  return readdirSync(directory)
    .filter((file) => MIGRATION_FILE.test(file))
    .sort()
    .map((file) => {
      const [, version, name] = MIGRATION_FILE.exec(file) as RegExpExecArray;
      const sql = readFileSync(new URL(file, directory), 'utf8');
      return { version: Number(version), name: name as string, sql, checksum: sha256(sql) };
    });
}

export interface MigrationReport {
  applied: number[];
  alreadyApplied: number;
}

export async function migrate(
  db: Database,
  migrations: Migration[] = loadMigrations(),
): Promise<MigrationReport> {
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query(`create table if not exists schema_migration (
      version integer primary key,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`);
    const { rows } = await tx.query<{ version: number; checksum: string; name: string }>(
      'select version, checksum, name from schema_migration order by version',
    );
    const done = new Map(rows.map((row) => [row.version, row]));
    const applied: number[] = [];
    for (const migration of migrations) {
      const previous = done.get(migration.version);
      if (previous) {
        if (previous.checksum !== migration.checksum) {
          throw new Error(
            `Migration ${migration.version} (${previous.name}) was applied with different content; ` +
              'migrations must never be edited once released. Add a new migration instead.',
          );
        }
        continue;
      }
      await tx.exec(migration.sql);
      await tx.query('insert into schema_migration (version, name, checksum) values ($1, $2, $3)', [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      applied.push(migration.version);
    }
    return { applied, alreadyApplied: done.size };
  });
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
