// Scenario 2: PostgreSQL stopped crash-style (`pg_ctl stop -m immediate`) and started again, again
// and again, under a stream of creates. Uses a PRIVATE cluster (initdb into a temp dir, its own
// port): the shared cluster on 5432 is never touched. During each outage every error answer must
// be an OperationOutcome (503); the server must recover by itself (same process, no restart); no
// acknowledged write may be missing afterwards.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { chaosLoop, median } from './support/chaos.js';
import { PrivateCluster } from './support/postgres.js';
import { SeededRandom } from './support/random.js';
import { setUp, streamUnderFaults } from './support/scenario.js';
import { LONG, reportFigures, reportSkip, requestedDatabases, SEED } from './support/settings.js';
import { runStream } from './support/stream.js';
import { check, patientCreates } from './support/workload.js';

const TOTAL = Number(process.env.CAREBRIDGE_FAULTS_PG_CREATES ?? (LONG ? 30_000 : 2_500));
const RATE = 100;
const CONCURRENCY = 4;
const RECOVERY_LIMIT_MS = 30_000;

describe('PostgreSQL crash-stopped and restarted under load', () => {
  it(
    'answers 503 OperationOutcomes meanwhile, recovers by itself and loses no acknowledged write',
    {
      timeout: LONG ? 900_000 : 150_000,
      skip: !requestedDatabases().includes('postgres') && 'PostgreSQL not selected (--db)',
    },
    async (t) => {
      const startedAt = performance.now();
      const cluster = await PrivateCluster.create();
      if ('skip' in cluster) {
        t.skip(reportSkip('postgres-restart db=postgres', `no private PostgreSQL cluster: ${cluster.skip}`));
        return;
      }
      const workload = patientCreates(`pgrestart-${Date.now().toString(36)}`);
      const setup = await setUp(t, 'postgres-restart', 'postgres', workload, {
        kind: 'postgres',
        env: { DATABASE_URL: cluster.url },
        where: `private cluster on port ${cluster.port}`,
        cleanup: async () => cluster.destroy(),
      });
      if (!setup) return;
      const { server, client } = setup;
      try {
        const pid = server.pid;
        const random = new SeededRandom(SEED);
        const outageMs: number[] = [];
        const recoveryMs: number[] = [];
        let healthDuringOutage = 0;
        const chaos = chaosLoop(
          () => random.between(4000, 8000),
          async () => {
            const stoppedAt = performance.now();
            cluster.stopImmediate();
            await sleep(random.between(1000, 4000));
            // While PostgreSQL is down, /healthz says so.
            const health = await fetch(`${server.baseUrl}/healthz`, { signal: AbortSignal.timeout(10_000) });
            await health.arrayBuffer();
            if (health.status === 503) healthDuringOutage++;
            await cluster.start();
            const restartedAt = performance.now();
            outageMs.push(restartedAt - stoppedAt);
            for (;;) {
              const answer = await fetch(`${server.baseUrl}/healthz`, {
                signal: AbortSignal.timeout(10_000),
              });
              await answer.arrayBuffer();
              if (answer.status === 200) break;
              if (performance.now() - restartedAt > RECOVERY_LIMIT_MS) {
                throw new Error(
                  `The server did not recover within ${RECOVERY_LIMIT_MS / 1000} s of PostgreSQL's restart`,
                );
              }
              await sleep(20);
            }
            recoveryMs.push(performance.now() - restartedAt);
            if (!server.alive)
              throw new Error(`The server exited (${server.exit}) during the outage\n${server.logTail()}`);
          },
        );
        const { result: stream, faults } = await streamUnderFaults(
          client,
          () => runStream({ client, workload, total: TOTAL, concurrency: CONCURRENCY, rate: RATE }),
          chaos,
        );
        const samePid = server.alive && server.pid === pid;

        const census = await workload.census(client);
        const result = check(stream.sentKeys, stream.acknowledged, census);
        const counts = stream.counts;
        reportFigures('postgres-restart db=postgres', {
          restarts: faults,
          sent: result.sent,
          acknowledged: result.acknowledged,
          lost: result.lost,
          duplicated: result.duplicated,
          mismatched: result.mismatched,
          unexpected: result.unexpected,
          replayed: counts.replayed,
          attempts: counts.attempts,
          answers: counts.statusSummary(),
          not_operation_outcome: counts.notOperationOutcome,
          network_errors: counts.networkErrors,
          health_503_in_outage: `${healthDuringOutage}/${faults}`,
          outage_ms_median: Math.round(median(outageMs)),
          recovery_ms_median: Math.round(median(recoveryMs)),
          recovery_ms_max: Math.round(Math.max(0, ...recoveryMs)),
          server_restarts: server.starts - 1,
          seconds: Math.round((performance.now() - startedAt) / 1000),
        });
        const details = [...result.problems, ...counts.examples].join('\n');
        assert.ok(samePid, `the server process lived through every outage\n${server.logTail()}`);
        assert.equal(server.starts, 1, 'the server was never restarted');
        assert.ok(faults >= 2, `the stream saw at least two PostgreSQL restarts (saw ${faults})`);
        assert.equal(healthDuringOutage, faults, '/healthz answered 503 during every outage');
        assert.equal(counts.notOperationOutcome, 0, `every error answer is an OperationOutcome:\n${details}`);
        assert.equal(
          counts.errorsOtherThan([503]),
          0,
          `no error answer but 503 (${counts.statusSummary()}):\n${details}`,
        );
        assert.ok(counts.count(503) > 0, 'the outages were seen as 503s');
        assert.equal(result.acknowledged, TOTAL);
        assert.equal(result.lost, 0, `acknowledged writes lost:\n${details}`);
        assert.equal(result.duplicated, 0, `writes duplicated:\n${details}`);
        assert.equal(result.mismatched, 0, details);
        assert.equal(result.unexpected, 0, details);
      } finally {
        await setup.teardown();
      }
    },
  );
});
