// What the runner (scripts/run-faults.mjs) asks of the scenarios, passed through the environment so
// that a scenario file can also be run on its own with `node --import tsx --test <file>`.
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type DatabaseKind = 'pglite' | 'postgres';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The server as `npm start` runs it: the compiled entry point (the runner builds it first). */
export const SERVER_ENTRY = process.env.CAREBRIDGE_FAULTS_SERVER ?? 'packages/server/dist/main.js';

export const LONG = process.env.CAREBRIDGE_FAULTS_LONG === '1';

/** One seed for every random choice (kill times, outage lengths), so a failing run can be replayed. */
export const SEED = Number(process.env.CAREBRIDGE_FAULTS_SEED ?? '20261121');

/** The databases asked for; a scenario skips a database it cannot reach, and says why. */
export function requestedDatabases(): DatabaseKind[] {
  const raw = process.env.CAREBRIDGE_FAULTS_DATABASES ?? 'pglite,postgres';
  return raw.split(',').filter((db): db is DatabaseKind => db === 'pglite' || db === 'postgres');
}

/** True when PostgreSQL was asked for explicitly (--db=postgres|both): then it may not be skipped. */
export const POSTGRES_REQUIRED = process.env.CAREBRIDGE_FAULTS_POSTGRES_REQUIRED === '1';

/** The shared PostgreSQL cluster's admin URL; fault tests only create and drop their own databases on it. */
export const SHARED_POSTGRES_URL =
  process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Prints the scenario's one line of figures (`fault <name> key=value …`) and appends it to the
 * runner's results file, so the runner can repeat every line at the end of the run.
 */
export function reportFigures(name: string, figures: Record<string, string | number>): string {
  const line = `fault ${name} ${Object.entries(figures)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ')}`;
  console.log(line);
  const results = process.env.CAREBRIDGE_FAULTS_RESULTS;
  if (results) appendFileSync(results, `${line}\n`);
  return line;
}

/** A plain "skipped because" line, recorded like the figures so the summary shows it. */
export function reportSkip(name: string, reason: string): string {
  const line = `fault ${name} SKIPPED: ${reason}`;
  console.log(line);
  const results = process.env.CAREBRIDGE_FAULTS_RESULTS;
  if (results) appendFileSync(results, `${line}\n`);
  return reason;
}
