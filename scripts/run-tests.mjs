#!/usr/bin/env node
// Runs every *.test.ts under packages/*/src and test/ with Node's own test runner, straight from the
// TypeScript sources (tsx, and the "source" export condition so workspaces resolve to src/).
//
//   npm test                    PGlite always; PostgreSQL too when it answers on DATABASE_URL or
//                               postgres://postgres@127.0.0.1:5432/postgres (says so when it is skipped)
//   npm test -- --db=pglite     storage tests on PGlite only
//   npm test -- --db=postgres   storage tests on PostgreSQL only (fails if it is not reachable)
//   npm test -- path/to/x.test.ts ...   only those files
//
// After the unit tests, a full run also runs the web workspace's end-to-end tests in Chromium
// (scripts/run-e2e.mjs), which says plainly when it skips them.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const dbArg = args.find((a) => a.startsWith('--db='))?.slice(5) ?? process.env.CAREBRIDGE_TEST_DB ?? 'auto';
const explicitFiles = args.filter((a) => !a.startsWith('--'));

function findTests(dir, found = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, found);
    else if (name.endsWith('.test.ts')) found.push(relative(root, path));
  }
  return found;
}

const testRoots = ['packages', 'test']
  .map((d) => join(root, d))
  .filter((d) => {
    try {
      return statSync(d).isDirectory();
    } catch {
      return false;
    }
  });
const files = explicitFiles.length > 0 ? explicitFiles : testRoots.flatMap((d) => findTests(d)).sort();

const postgresUrl =
  process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function postgresReachable() {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const databases = ['pglite'];
if (dbArg === 'postgres') databases.splice(0, 1, 'postgres');
if (dbArg === 'both' || dbArg === 'postgres' || dbArg === 'auto') {
  const reachable = await postgresReachable();
  if (reachable && dbArg !== 'postgres') databases.push('postgres');
  if (!reachable && (dbArg === 'both' || dbArg === 'postgres')) {
    console.error(
      `PostgreSQL is not reachable at ${postgresUrl.replace(/\/\/[^@]*@/, '//***@')}; cannot run --db=${dbArg}`,
    );
    process.exit(1);
  }
  if (!reachable)
    console.log('NOTE: PostgreSQL not reachable: storage tests run on PGlite only (set DATABASE_URL).');
}

const env = {
  ...process.env,
  CAREBRIDGE_TEST_DATABASES: databases.join(','),
  CAREBRIDGE_TEST_POSTGRES_URL: postgresUrl,
};
console.log(`Running ${files.length} test files; storage tests on: ${databases.join(', ')}`);
const result = spawnSync(
  process.execPath,
  ['--conditions=source', '--import', 'tsx', '--test', '--test-reporter=spec', ...files],
  { cwd: root, env, stdio: 'inherit' },
);
if (result.status !== 0 || explicitFiles.length > 0) process.exit(result.status ?? 1);
const e2e = spawnSync(process.execPath, [join(root, 'scripts/run-e2e.mjs')], { cwd: root, stdio: 'inherit' });
process.exit(e2e.status ?? 1);
