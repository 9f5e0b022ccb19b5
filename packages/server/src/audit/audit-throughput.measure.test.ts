import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { emptyIndexRows, systemClock } from '@carebridge/domain';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../../test/support/databases.js';
import type { AuditEntry } from './audit-entry.js';
import { ResourceStore } from '../store/resource-store.js';
import { sampleAuditEntry } from '../../test/support/audit-fixtures.js';
import { AuditTrail, type AuditTrailOptions } from './audit-trail.js';
import { verifyAuditChain } from './verify-chain.js';

/**
 * Throughput figures for docs/audit.md, printed rather than asserted (timing assertions are flaky
 * on shared machines). Skipped unless asked for:
 *
 *   CAREBRIDGE_AUDIT_MEASURE=1 CAREBRIDGE_TEST_DATABASES=pglite,postgres \
 *     node --conditions=source --import tsx --test packages/server/src/audit/audit-throughput.measure.test.ts
 */
const MEASURE = process.env.CAREBRIDGE_AUDIT_MEASURE === '1';
const SECONDS = Number(process.env.CAREBRIDGE_AUDIT_MEASURE_SECONDS ?? 5);
const CALLERS = 16;

interface Figures {
  operations: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Runs `operation` from `CALLERS` concurrent loops for `SECONDS` and reports rate and latency. */
async function hammer(operation: (caller: number) => Promise<void>): Promise<Figures> {
  const latencies: number[] = [];
  const startedAt = performance.now();
  const endAt = startedAt + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CALLERS }, async (_, caller) => {
      while (performance.now() < endAt) {
        const began = performance.now();
        await operation(caller);
        latencies.push(performance.now() - began);
      }
    }),
  );
  const elapsed = (performance.now() - startedAt) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (fraction: number) =>
    round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * fraction))] ?? 0);
  return {
    operations: latencies.length,
    perSecond: Math.round(latencies.length / elapsed),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
}

const REPOSITORY_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * autocannon in a child process (so the load generator does not share the server's event loop):
 * `GET /fhir/Patient/<random id>` over 16 connections, returning requests/s and latency.
 */
async function loadReads(
  baseUrl: string,
  ids: readonly string[],
  seconds: number,
): Promise<{ perSecond: number; p50Ms: number; p99Ms: number; non2xx: number }> {
  const script = `
    import autocannon from 'autocannon';
    const ids = ${JSON.stringify(ids)};
    const result = await autocannon({
      url: ${JSON.stringify(baseUrl)}, connections: ${CALLERS}, duration: ${seconds},
      requests: [{ method: 'GET', path: '/fhir/Patient', headers: { authorization: 'Bearer test:integration', accept: 'application/fhir+json' },
        setupRequest: (request) => ({ ...request, path: '/fhir/Patient/' + ids[Math.floor(Math.random() * ids.length)] }) }],
    });
    process.stdout.write(JSON.stringify({ perSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, non2xx: result.non2xx + result.errors }));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: REPOSITORY_ROOT });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  await new Promise((resolve) => child.once('exit', resolve));
  return JSON.parse(output) as { perSecond: number; p50Ms: number; p99Ms: number; non2xx: number };
}

/**
 * CPU seconds used so far by the PostgreSQL backends serving this test's database (the cluster is
 * shared with other work; its WAL writer is not counted). PGlite runs inside this process instead.
 * CPU per request is far steadier than requests per second on a shared machine, and when the
 * server is CPU-bound it predicts the throughput cost: 1 − cpuOff ÷ cpuOn.
 */
async function postgresCpuSeconds(db: TestDatabase['db']): Promise<Map<number, number>> {
  const { rows } = await db.query<{ pid: number }>(
    'select pid from pg_stat_activity where datname = current_database()',
  );
  const seconds = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      seconds.set(pid, (Number(fields[11]) + Number(fields[12])) / 100); // utime + stime, USER_HZ
    } catch {
      // Not on this machine, or the backend ended while we looked.
    }
  }
  return seconds;
}

function cpuSpent(before: Map<number, number>, after: Map<number, number>): number {
  let spent = 0;
  for (const [pid, seconds] of after) spent += seconds - (before.get(pid) ?? 0);
  return spent;
}

function processCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function round2(value: number): string {
  return value.toFixed(3);
}

for (const kind of testDatabaseKinds()) {
  describe(
    `audit throughput on ${kind}`,
    { skip: !MEASURE && 'set CAREBRIDGE_AUDIT_MEASURE=1 to measure' },
    () => {
      let testDb: TestDatabase;

      before(async () => {
        testDb = await createTestDatabase(kind);
      });
      after(async () => {
        await testDb.drop();
      });

      const configurations: Array<{ name: string; options: AuditTrailOptions }> = [
        {
          name: 'one row per insert (no group commit)',
          options: { maxBatchSize: 1, maxConcurrentFlushes: CALLERS },
        },
        { name: 'group commit, 1 insert in flight (default)', options: {} },
        { name: 'group commit, 2 in flight', options: { maxConcurrentFlushes: 2 } },
        { name: 'group commit, 4 in flight', options: { maxConcurrentFlushes: 4 } },
        { name: 'group commit, 1 in flight, 1 ms delay', options: { flushDelayMs: 1 } },
      ];
      for (const { name, options } of configurations) {
        it(`record(): ${name}, sealer running`, async () => {
          const batches: number[] = [];
          const trail = new AuditTrail(testDb.db, {
            ...options,
            onFlush: (batch) => batches.push(batch.entries),
          });
          trail.start();
          const figures = await hammer(() => trail.record(sampleAuditEntry()));
          const stopStarted = performance.now();
          await trail.stop();
          const drainMs = Math.round(performance.now() - stopStarted);
          batches.sort((a, b) => a - b);
          const meanBatch = round(batches.reduce((sum, size) => sum + size, 0) / Math.max(1, batches.length));
          const verification = await verifyAuditChain(testDb.db);
          console.log(
            `[audit measure] ${kind} | ${name} | ${figures.perSecond} records/s | ${batches.length} batches, mean ${meanBatch}, ` +
              `max ${batches.at(-1) ?? 0} | record p50 ${figures.p50Ms} ms p99 ${figures.p99Ms} ms | ` +
              `stop (flush + final seal) ${drainMs} ms | chain ${verification.ok ? `ok, ${verification.sealed} sealed, ${verification.unsealed} unsealed` : 'BROKEN'}`,
          );
        });
      }

      it('reads with and without an audit record each (the server-level goal: at most 25% fewer reads)', async () => {
        const store = new ResourceStore({ clock: systemClock, indexRows: () => emptyIndexRows() });
        const ids: string[] = [];
        for (let index = 0; index < 200; index++) {
          ids.push(
            (
              await store.create(testDb.db, {
                resourceType: 'Patient',
                active: true,
                name: [{ family: `P${index}` }],
              })
            ).id,
          );
        }
        let next = 0;
        const read = async () => {
          next = (next + 1) % ids.length;
          await store.read(testDb.db, 'Patient', ids[next] ?? '');
        };
        const without = await hammer(read);
        const trail = new AuditTrail(testDb.db);
        trail.start();
        const withAudit = await hammer(async () => {
          await read();
          await trail.record(sampleAuditEntry({ resourceType: 'Patient' }));
        });
        await trail.stop();
        const drop = Math.round((1 - withAudit.perSecond / without.perSecond) * 100);
        console.log(
          `[audit measure] ${kind} | store reads without audit ${without.perSecond}/s (p50 ${without.p50Ms} ms, p99 ${without.p99Ms} ms) | ` +
            `with audit ${withAudit.perSecond}/s (p50 ${withAudit.p50Ms} ms, p99 ${withAudit.p99Ms} ms) | ${drop}% fewer`,
        );
      });

      it('server reads by id over HTTP, audit off and on alternately (the goal: at most 25% fewer with audit)', async () => {
        // Loaded here, not at the top: the rest of this file (and its skipping) must not depend on the app.
        const { buildApp } = await import('../app.js');
        const { TestPrincipals } = await import('../../test/support/principals.js');
        const { testConfig } = await import('../../test/support/test-app.js');
        const principals = new TestPrincipals();
        // e.g. CAREBRIDGE_AUDIT_MEASURE_OPTIONS='{"maxConcurrentFlushes":4}' to compare settings.
        const options = JSON.parse(process.env.CAREBRIDGE_AUDIT_MEASURE_OPTIONS ?? '{}') as AuditTrailOptions;
        const batchSizes: number[] = [];
        const trail = new AuditTrail(testDb.db, {
          ...options,
          onFlush: (batch) => batchSizes.push(batch.entries),
        });
        let auditOn = false;
        const recorder = {
          record: (entry: AuditEntry) => (auditOn ? trail.record(entry) : Promise.resolve()),
        };
        const app = await buildApp(
          { ...testConfig(), logLevel: 'silent' },
          {
            db: testDb.db,
            authenticate: principals.authenticate,
            audit: recorder,
          },
        );
        await app.listen({ port: 0, host: '127.0.0.1' });
        trail.start();
        try {
          const ids: string[] = [];
          for (let index = 0; index < 200; index++) {
            const response = await app.inject({
              method: 'POST',
              url: '/fhir/Patient',
              headers: { authorization: 'Bearer test:integration', 'content-type': 'application/fhir+json' },
              payload: JSON.stringify({
                resourceType: 'Patient',
                name: [{ family: `Reader${index}` }],
                gender: 'female',
              }),
            });
            ids.push((JSON.parse(response.body) as { id: string }).id);
          }
          const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
          const off: number[] = [];
          const on: number[] = [];
          const cpuOff: number[] = [];
          const cpuOn: number[] = [];
          for (let repetition = 0; repetition < 3; repetition++) {
            for (const mode of [false, true]) {
              auditOn = mode;
              batchSizes.length = 0;
              const serverCpuBefore = processCpuSeconds();
              const postgresCpuBefore = await postgresCpuSeconds(testDb.db);
              const result = await loadReads(baseUrl, ids, SECONDS);
              const requests = result.perSecond * SECONDS;
              const serverMs = ((processCpuSeconds() - serverCpuBefore) * 1000) / requests;
              const postgresMs =
                kind === 'postgres'
                  ? (cpuSpent(postgresCpuBefore, await postgresCpuSeconds(testDb.db)) * 1000) / requests
                  : 0;
              (mode ? on : off).push(result.perSecond);
              (mode ? cpuOn : cpuOff).push(serverMs + postgresMs);
              console.log(
                `[audit measure] ${kind} | HTTP read by id, audit ${mode ? `on ${JSON.stringify(options)}` : 'off'} | ${Math.round(result.perSecond)} req/s | ` +
                  `p50 ${result.p50Ms} ms p99 ${result.p99Ms} ms | non-2xx ${result.non2xx} | CPU per request: server ${round2(serverMs)} ms` +
                  (kind === 'postgres' ? ` + PostgreSQL ${round2(postgresMs)} ms` : ' (PGlite inside)') +
                  (mode
                    ? ` | mean audit batch ${round(batchSizes.reduce((a, b) => a + b, 0) / Math.max(1, batchSizes.length))}`
                    : ''),
              );
            }
          }
          const drop = Math.round((1 - median(on) / median(off)) * 100);
          const cpuDrop = Math.round((1 - median(cpuOff) / median(cpuOn)) * 100);
          console.log(
            `[audit measure] ${kind} | HTTP read by id: median ${Math.round(median(off))} req/s audit off, ` +
              `${Math.round(median(on))} req/s audit on: ${drop}% fewer (goal ≤ 25%) | CPU per request ` +
              `${round2(median(cpuOff))} → ${round2(median(cpuOn))} ms: ${cpuDrop}% fewer when CPU-bound`,
          );
        } finally {
          await app.close();
          await trail.stop();
        }
      });
    },
  );
}
