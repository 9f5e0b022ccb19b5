import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import type { Database, QueryResult, SqlExecutor } from './database.js';

type PGliteExecutor = Pick<PGlite, 'query' | 'exec'>;

const parsers = { [types.INT8]: (value: string) => Number(value) };

function wrap(executor: PGliteExecutor): SqlExecutor {
  return {
    async query<Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
      const result = await executor.query<Row>(sql, params ? [...params] : undefined);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await executor.exec(sql);
    },
  };
}

function fromPGlite(db: PGlite): Database {
  const executor = wrap(db);
  return {
    kind: 'pglite',
    query: executor.query,
    exec: executor.exec,
    transaction: (work) => db.transaction((tx) => work(wrap(tx))),
    close: () => db.close(),
  };
}

/** An in-memory PGlite: for tests. */
export async function openMemoryPGlite(): Promise<Database> {
  const db = await PGlite.create({ parsers });
  return fromPGlite(db);
}

/**
 * Opens (creating on first use) a PGlite data directory. A first-time initialisation that is killed
 * half-way must not leave a directory that later opens without its schema, so a new directory is
 * built beside the target, initialised by `initialise`, closed, and only then renamed into place.
 */
export async function openPGliteDirectory(
  dataDir: string,
  initialise: (db: Database) => Promise<void>,
): Promise<Database> {
  const target = resolve(dataDir);
  if (!isInitialisedDataDir(target)) {
    if (existsSync(target) && readdirSync(target).length > 0) {
      throw new Error(
        `DATA_DIR ${target} exists but is not a Carebridge PGlite database; refusing to touch it`,
      );
    }
    mkdirSync(dirname(target), { recursive: true });
    removeAbandonedStagingDirs(target);
    const staging = `${target}${STAGING_SUFFIX}${process.pid}`;
    const fresh = fromPGlite(await PGlite.create(staging, { parsers }));
    try {
      await initialise(fresh);
    } finally {
      await fresh.close();
    }
    if (existsSync(target)) rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
  }
  const db = fromPGlite(await PGlite.create(target, { parsers }));
  await initialise(db);
  return db;
}

const STAGING_SUFFIX = '.initialising-';

/** What a first start killed half-way left behind: never opened, so safe to remove. */
function removeAbandonedStagingDirs(target: string): void {
  const prefix = `${basename(target)}${STAGING_SUFFIX}`;
  for (const name of readdirSync(dirname(target))) {
    if (name.startsWith(prefix)) rmSync(join(dirname(target), name), { recursive: true, force: true });
  }
}

function isInitialisedDataDir(dir: string): boolean {
  return existsSync(`${dir}/PG_VERSION`);
}
