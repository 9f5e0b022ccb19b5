// The child process of bench/terminology-import.mjs: imports one release into one database under the
// heap limit it was started with, and prints one JSON line of what it took. Started as
// `node --conditions=source --import tsx --max-old-space-size=MB terminology-import-child.mjs DB DIR`
// (DB: a postgres:// URL, or a PGlite data directory).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { systemClock } from '@carebridge/domain';
import { openDatabase } from '../../packages/server/src/store/open.ts';
import { importTerminology } from '../../packages/server/src/terminology/terminology-import.ts';

const [target, snomed] = process.argv.slice(2);
const db = await openDatabase(
  target.startsWith('postgres') ? { kind: 'postgres', url: target } : { kind: 'pglite', dataDir: target },
);
const vm = (field) =>
  Number(
    /(\d+) kB/.exec(
      readFileSync('/proc/self/status', 'utf8')
        .split('\n')
        .find((line) => line.startsWith(field)) ?? '',
    )?.[1] ?? 0,
  ) * 1024;
const baseline = { rss: vm('VmHWM:'), heapUsed: process.memoryUsage().heapUsed };
let peakHeapUsed = 0;
const sample = () => {
  peakHeapUsed = Math.max(peakHeapUsed, process.memoryUsage().heapUsed);
};
const sampler = setInterval(sample, 20);
const started = performance.now();
try {
  const imported = await importTerminology(db, { snomed }, systemClock);
  sample();
  console.log(
    JSON.stringify({
      seconds: (performance.now() - started) / 1000,
      imported,
      baseline,
      peakHeapUsed,
      vmHWM: vm('VmHWM:'),
    }),
  );
} finally {
  clearInterval(sampler);
  await db.close();
}
