// Scenario 1: SIGKILL the server every 1–7 s (seeded) during a stream of FHIR creates. Each create
// carries its own X-Request-ID and is retried, unchanged, until acknowledged; the server is
// restarted after each kill. Afterwards: no acknowledged write lost, none duplicated.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chaosLoop, median } from './support/chaos.js';
import { auditVerify } from './support/processes.js';
import { SeededRandom } from './support/random.js';
import { setUp, streamUnderFaults } from './support/scenario.js';
import { LONG, reportFigures, requestedDatabases, SEED } from './support/settings.js';
import { runStream } from './support/stream.js';
import { check, patientCreates } from './support/workload.js';

const TOTAL = Number(process.env.CAREBRIDGE_FAULTS_CREATES ?? (LONG ? 30_000 : 5_000));
/** Paced so that a CI run sees several kills; the long run lasts about 5 minutes of writing. */
const RATE = Number(process.env.CAREBRIDGE_FAULTS_RATE ?? (LONG ? 100 : 200));
const CONCURRENCY = 4;
const READ_SAMPLE = LONG ? 1000 : 200;

describe('SIGKILL of the server during a stream of creates', () => {
  for (const kind of requestedDatabases()) {
    it(
      `loses and duplicates no acknowledged write on ${kind}`,
      { timeout: LONG ? 900_000 : 180_000 },
      async (t) => {
        const startedAt = performance.now();
        const workload = patientCreates(`sigkill-${kind}-${Date.now().toString(36)}`);
        const setup = await setUp(t, 'sigkill-writes', kind, workload);
        if (!setup) return;
        const { server, client } = setup;
        try {
          const random = new SeededRandom(SEED);
          const restartMs: number[] = [];
          const chaos = chaosLoop(
            () => random.between(1000, 7000),
            async () => {
              await server.kill();
              restartMs.push(await server.start());
            },
          );
          const { result: stream } = await streamUnderFaults(
            client,
            () => runStream({ client, workload, total: TOTAL, concurrency: CONCURRENCY, rate: RATE }),
            chaos,
          );
          // One last crash right after the final acknowledgement: what was acknowledged must survive it.
          await server.kill();
          restartMs.push(await server.start());

          const census = await workload.census(client);
          const result = check(stream.sentKeys, stream.acknowledged, census);

          // Reads by id of a seeded sample of acknowledged writes.
          const acknowledged = [...stream.acknowledged.values()];
          let unreadable = 0;
          for (let i = 0; i < Math.min(READ_SAMPLE, acknowledged.length); i++) {
            const effect = acknowledged[random.below(acknowledged.length)];
            if (!effect) continue;
            const read = await client.readThrough(`Patient/${effect.id}`);
            if (read.status !== 200) unreadable++;
          }

          // The audit trail of all those requests, through every kill: chained and intact.
          await server.stop();
          const audit = auditVerify(setup.target.env);

          const counts = stream.counts;
          reportFigures(`sigkill-writes db=${kind}`, {
            kills: server.kills,
            sent: result.sent,
            acknowledged: result.acknowledged,
            lost: result.lost,
            duplicated: result.duplicated,
            mismatched: result.mismatched,
            unexpected: result.unexpected,
            unreadable,
            audit_chain: audit.code === 0 ? 'intact' : 'BROKEN',
            replayed: counts.replayed,
            attempts: counts.attempts,
            network_errors: counts.networkErrors,
            answers: counts.statusSummary(),
            restart_ms_median: Math.round(median(restartMs)),
            seconds: Math.round((performance.now() - startedAt) / 1000),
          });
          const details = [...result.problems, ...counts.examples].join('\n');
          assert.equal(result.acknowledged, TOTAL, 'every operation was acknowledged in the end');
          assert.equal(result.lost, 0, `acknowledged writes lost:\n${details}`);
          assert.equal(result.duplicated, 0, `writes duplicated:\n${details}`);
          assert.equal(
            result.mismatched,
            0,
            `acknowledged id/version differs from the stored one:\n${details}`,
          );
          assert.equal(result.unexpected, 0, details);
          assert.equal(unreadable, 0, 'every sampled acknowledged write reads back');
          assert.equal(
            counts.notOperationOutcome,
            0,
            `every error answer is an OperationOutcome:\n${details}`,
          );
          assert.equal(
            counts.errorsOtherThan([503]),
            0,
            `no error answer but 503 (${counts.statusSummary()}):\n${details}`,
          );
          assert.equal(audit.code, 0, `npm run cli -- audit verify:\n${audit.output}`);
          assert.ok(server.kills >= 2, `the stream saw at least two kills (saw ${server.kills})`);
        } finally {
          await setup.teardown();
        }
      },
    );
  }
});
