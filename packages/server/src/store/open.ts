import type { Database } from './database.js';
import { migrate } from './migrations.js';
import { openMemoryPGlite, openPGliteDirectory } from './pglite.js';
import { openPostgres } from './postgres.js';

export type DatabaseConfig =
  | { kind: 'postgres'; url: string; maxConnections?: number }
  | { kind: 'pglite'; dataDir: string }
  | { kind: 'pglite-memory' };

/**
 * Refreshes the planner's statistics. The access predicate joins compartments to relationships;
 * without statistics PostgreSQL may plan it as a scan of every patient of the organisation for each
 * read (milliseconds instead of microseconds). PostgreSQL's autovacuum keeps them fresh where it is
 * enabled; PGlite has no autovacuum, so the server refreshes them itself.
 */
export async function refreshStatistics(db: Database): Promise<void> {
  await db.exec('analyze');
}

/** Opens the configured database and brings its schema up to date. */
export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  switch (config.kind) {
    case 'postgres': {
      const db = openPostgres({
        connectionString: config.url,
        ...(config.maxConnections ? { maxConnections: config.maxConnections } : {}),
      });
      try {
        await migrate(db);
      } catch (error) {
        await db.close();
        throw error;
      }
      return db;
    }
    case 'pglite':
      return openPGliteDirectory(config.dataDir, async (db) => {
        await migrate(db);
      });
    case 'pglite-memory': {
      const db = await openMemoryPGlite();
      await migrate(db);
      return db;
    }
  }
}
