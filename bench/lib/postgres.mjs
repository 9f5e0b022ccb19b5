// Scratch PostgreSQL databases: created fresh for one bench run and dropped at its end.
import pg from 'pg';

export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const created = new Set();

/** The URL of database `name` on the same server as ADMIN_URL. */
export function databaseUrl(name) {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin(work) {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** PostgreSQL's version string, or undefined when it cannot be reached. */
export async function postgresVersion() {
  try {
    return await withAdmin(
      async (client) => (await client.query('show server_version')).rows[0].server_version,
    );
  } catch {
    return undefined;
  }
}

/** Creates an empty database (dropping a leftover of the same name first) and returns its URL. */
export async function createScratchDatabase(name) {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`Unsafe database name ${name}`);
  await withAdmin(async (client) => {
    await client.query(`drop database if exists ${name} with (force)`);
    created.add(name);
    await client.query(`create database ${name}`);
  });
  return databaseUrl(name);
}

/** Drops every database this process created; errors are reported, not thrown. */
export async function dropScratchDatabases() {
  if (created.size === 0) return;
  try {
    await withAdmin(async (client) => {
      for (const name of created) {
        await client.query(`drop database if exists ${name} with (force)`);
        created.delete(name);
      }
    });
  } catch (error) {
    console.error(`Could not drop scratch databases ${[...created].join(', ')}: ${error.message}`);
  }
}

/** Settings of the PostgreSQL cluster that shape write and plan costs, for the report. */
export async function postgresSettings() {
  return withAdmin(async (client) => {
    const { rows } = await client.query(
      `select name, setting, unit from pg_settings
        where name in ('autovacuum', 'fsync', 'synchronous_commit', 'shared_buffers', 'max_connections')
        order by name`,
    );
    return rows
      .map(({ name, setting, unit }) =>
        name === 'shared_buffers' && unit === '8kB'
          ? `${name}=${(Number(setting) * 8) / 1024}MB`
          : `${name}=${setting}`,
      )
      .join(', ');
  });
}

/** ANALYZE a whole database, so the planner sees the tables as they now are. */
export async function analyzeDatabase(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query('analyze');
  } finally {
    await client.end();
  }
}
