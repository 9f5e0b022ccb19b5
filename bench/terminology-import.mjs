#!/usr/bin/env node
// The memory bound of `npm run cli -- terminology import` (issue 5): a synthetic SNOMED CT RF2
// Snapshot of N description rows (300,000 by default, with N/3 concepts, 2N/3 relationship rows and
// N language refset rows) imported in a child process with a deliberately small V8 heap, on
// PostgreSQL and on PGlite. Prints one line per database: rows, seconds, peak heap used (sampled every
// 20 ms) and VmHWM (peak resident set) of the child, beside the same figures measured before the
// child did any work (module loading, migrations).
//
//   node bench/terminology-import.mjs                      300,000 descriptions, 64 MB heap, both databases
//   node bench/terminology-import.mjs --descriptions=1000000 --heap=96 --db=postgres
//
// The import before streaming (whole release parsed in memory) peaked at 257 MB of heap on this
// release and failed with a 128 MB heap. Runs the TypeScript sources (tsx); each child is killed
// after --timeout seconds (300 by default); scratch databases and files are removed at the end.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScratchDatabase, dropScratchDatabases, postgresVersion } from './lib/postgres.mjs';
import { writeSyntheticSnapshot } from './lib/terminology-release.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const option = (name, fallback) =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const descriptions = Number(option('descriptions', '300000'));
const heapMb = Number(option('heap', '64'));
const timeoutSeconds = Number(option('timeout', '300'));
const databases = option('db', 'both') === 'both' ? ['postgres', 'pglite'] : [option('db')];
const mb = (bytes) => (bytes / 2 ** 20).toFixed(0);

function importInChild(target, snomed) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        `--max-old-space-size=${heapMb}`,
        join(root, 'bench/lib/terminology-import-child.mjs'),
        target,
        snomed,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err = (err + chunk).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1);
      if (code === 0 && line) resolve(JSON.parse(line));
      else reject(new Error(`child exited ${code ?? signal}:\n${err}`));
    });
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'carebridge-terminology-bench-'));
let failed = false;
try {
  const snomed = join(scratch, 'snomed');
  const counts = await writeSyntheticSnapshot(snomed, descriptions);
  console.log(`synthetic RF2 snapshot: ${JSON.stringify(counts)}; child heap limit ${heapMb} MB`);
  for (const db of databases) {
    if (db === 'postgres' && (await postgresVersion()) === undefined) {
      console.log('terminology-import postgres: skipped (PostgreSQL not reachable)');
      continue;
    }
    const target =
      db === 'postgres'
        ? await createScratchDatabase(`carebridge_bench_${process.pid}_terminology`)
        : join(scratch, 'pglite');
    try {
      const result = await importInChild(target, snomed);
      const [release] = result.imported;
      console.log(
        `terminology-import ${db}: rows=${release.rowsRead} concepts=${release.concepts} ` +
          `seconds=${result.seconds.toFixed(1)} peakHeapUsedMB=${mb(result.peakHeapUsed)} ` +
          `vmHWMMB=${mb(result.vmHWM)} (before the import: heapUsedMB=${mb(result.baseline.heapUsed)} ` +
          `vmHWMMB=${mb(result.baseline.rss)}) heapLimitMB=${heapMb}`,
      );
    } catch (error) {
      failed = true;
      console.error(`terminology-import ${db}: FAILED ${error.message}`);
    }
  }
} finally {
  await dropScratchDatabases();
  rmSync(scratch, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
