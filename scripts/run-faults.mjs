#!/usr/bin/env node
// `npm run test:faults`: fault-injection scenarios against real server processes on 127.0.0.1
// (test/faults/*.faults.ts, run with Node's test runner through tsx like scripts/run-tests.mjs).
// Each scenario is bounded in operations and time, stops by itself, and ends with ONE line of
// figures (`fault <scenario> db=<db> key=value …`); this runner repeats every line at the end.
//
//   npm run test:faults                      the CI set (5–8 minutes on 2 cores): PGlite, and
//                                            PostgreSQL when it can be had (else says it skipped)
//   npm run test:faults -- --long            the longer documented variants (≈ 5 min of faults each)
//   npm run test:faults -- --db=pglite       only PGlite (postgres: only PostgreSQL; both: insist on both)
//   npm run test:faults -- --seed=N          another seed for kill times and outage lengths
//   npm run test:faults -- --no-build        use packages/*/dist as it is (default: `npm run build` first)
//   npm run test:faults -- sigkill           only scenarios whose file name contains this
//
// The server runs as `npm start` runs it: `node packages/server/dist/main.js`, built first (tsc -b is
// incremental, so an up-to-date build costs a second or two).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const USAGE =
  'usage: npm run test:faults -- [--long] [--db=pglite|postgres|both] [--seed=N] [--no-build] [name ...]';

const options = { long: false, db: 'auto', seed: undefined, build: true, names: [] };
for (const arg of process.argv.slice(2)) {
  const [flag, value] = arg.split('=', 2);
  if (arg === '--long') options.long = true;
  else if (arg === '--no-build') options.build = false;
  else if (flag === '--db' && ['pglite', 'postgres', 'both', 'auto'].includes(value)) options.db = value;
  else if (flag === '--seed' && /^\d+$/.test(value ?? '')) options.seed = value;
  else if (arg === '--help' || arg === '-h') {
    console.log(USAGE);
    process.exit(0);
  } else if (arg.startsWith('-')) {
    console.error(`Unknown option ${arg}\n${USAGE}`);
    process.exit(2);
  } else options.names.push(arg);
}

const dir = join(root, 'test', 'faults');
const files = readdirSync(dir)
  .filter((name) => name.endsWith('.faults.ts'))
  .filter((name) => options.names.length === 0 || options.names.some((wanted) => name.includes(wanted)))
  .sort()
  .map((name) => join('test', 'faults', name));
if (files.length === 0) {
  console.error(`No scenario matches ${options.names.join(', ')}`);
  process.exit(2);
}

if (options.build) {
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) {
    console.error(
      'The build failed (above), so the fault scenarios were not run: they test the built server ' +
        '(packages/server/dist/main.js, as npm start runs it). Fix the build, or add --no-build to test ' +
        'packages/*/dist as it stands.',
    );
    process.exit(build.status ?? 1);
  }
}

const databases =
  options.db === 'pglite' ? 'pglite' : options.db === 'postgres' ? 'postgres' : 'pglite,postgres';
const resultsDir = mkdtempSync(join(tmpdir(), 'carebridge-faults-results-'));
const results = join(resultsDir, 'figures.txt');
const env = {
  ...process.env,
  CAREBRIDGE_FAULTS_DATABASES: databases,
  CAREBRIDGE_FAULTS_POSTGRES_REQUIRED: options.db === 'postgres' || options.db === 'both' ? '1' : '0',
  CAREBRIDGE_FAULTS_LONG: options.long ? '1' : '0',
  CAREBRIDGE_FAULTS_RESULTS: results,
  ...(options.seed ? { CAREBRIDGE_FAULTS_SEED: options.seed } : {}),
};

// Every scenario has its own timeout; this is the backstop for the whole run.
const limitMs = (options.long ? 90 : 15) * 60_000;
console.log(
  `Fault scenarios: ${files.length} file(s), databases ${databases}${options.long ? ', long variants' : ''}, seed ${options.seed ?? 'default'}`,
);
const startedAt = Date.now();
const child = spawn(
  process.execPath,
  [
    '--conditions=source',
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=1',
    '--test-reporter=spec',
    ...files,
  ],
  { cwd: root, env, stdio: 'inherit' },
);
const watchdog = setTimeout(() => {
  console.error(`The fault run exceeded ${limitMs / 60_000} min; stopping it.`);
  child.kill('SIGTERM');
  setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
}, limitMs);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));

child.on('exit', (code, signal) => {
  clearTimeout(watchdog);
  let lines = [];
  try {
    lines = readFileSync(results, 'utf8').split('\n').filter(Boolean);
  } catch {
    // no scenario got as far as its figures
  }
  rmSync(resultsDir, { recursive: true, force: true });
  console.log(`\nFault figures (${Math.round((Date.now() - startedAt) / 1000)} s in all):`);
  for (const line of lines) console.log(`  ${line}`);
  if (lines.length === 0) console.log('  (none)');
  process.exit(code ?? (signal ? 1 : 0));
});
