// Scenario: SIGKILL of the server every 1–7 s (seeded) while final discharge summaries are sent to
// an EXTERNAL practice: each `$submit-document` (own X-Request-ID, retried unchanged until
// acknowledged) stores the document, its ledger row and an outbox message in one transaction; the
// OutboxWorker in the same process POSTs it to a fake FHIR receiver on 127.0.0.1, which de-duplicates
// on the message id as a real one does. The kills land in submissions and in deliveries alike (a
// claim held by a killed worker lapses after OUTBOX_LEASE_MS and is taken again). After the last
// acknowledgement: one more kill, a restart and a drain. Then every acknowledged document must have
// been filed by the receiver exactly once, under the message id of its own ledger row, and every
// ledger row and outbox message of the run must be finished (delivered).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { chaosLoop, median } from './support/chaos.js';
import { documentSends, ledgerStates, receiverCensus, withLedgerRows } from './support/documents.js';
import { drainOutbox } from './support/drain.js';
import { ledgerCensus, summary } from './support/ledger.js';
import { SeededRandom } from './support/random.js';
import { acceptOnce, FakeFhirReceiver } from './support/receiver.js';
import { setUp, streamUnderFaults } from './support/scenario.js';
import { LONG, reportFigures, requestedDatabases, SEED, type DatabaseKind } from './support/settings.js';
import { runStream } from './support/stream.js';
import { check } from './support/workload.js';

/**
 * Documents per database: the 5,000 with --long; fewer in the CI set, where PGlite (several
 * seconds to restart after each kill) gets fewer than PostgreSQL.
 */
function total(kind: DatabaseKind): number {
  const override = process.env.CAREBRIDGE_FAULTS_DOCUMENTS;
  if (override !== undefined) return Number(override);
  return LONG ? 5_000 : kind === 'pglite' ? 150 : 500;
}
/** New submissions a second at most, paced so that each run sees several kills. */
function rate(kind: DatabaseKind): number {
  return Number(
    process.env.CAREBRIDGE_FAULTS_DOCUMENT_RATE ?? (kind === 'pglite' ? (LONG ? 20 : 8) : LONG ? 40 : 25),
  );
}
/** The receiver takes this long to answer, as a real one does: kills then find deliveries in flight. */
const RECEIVER_LATENCY_MS = 50;
const CONCURRENCY = 4;
const LEASE_MS = 5000;
const API_SAMPLE = 50;

describe('SIGKILL of the server while documents are sent to an external recipient', () => {
  for (const kind of requestedDatabases()) {
    it(
      `files every acknowledged document exactly once and leaves no ledger row unfinished on ${kind}`,
      { timeout: LONG ? 1_800_000 : 240_000 },
      async (t) => {
        const startedAt = performance.now();
        const TOTAL = total(kind);
        const receiver = new FakeFhirReceiver();
        receiver.policy = async (arrival) => {
          await sleep(RECEIVER_LATENCY_MS);
          return acceptOnce(arrival);
        };
        await receiver.start();
        const runTag = `sigkill-docs-${kind}-${Date.now().toString(36)}`;
        const workload = documentSends({ runTag, receiver, patients: 50 });
        const setup = await setUp(t, 'sigkill-documents', kind, workload, undefined, {
          env: { OUTBOX_LEASE_MS: String(LEASE_MS) },
        });
        if (!setup) {
          await receiver.stop();
          return;
        }
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
            () => runStream({ client, workload, total: TOTAL, concurrency: CONCURRENCY, rate: rate(kind) }),
            chaos,
          );
          // One last crash after the final acknowledgement, then a restart to drain the outbox.
          await server.kill();
          restartMs.push(await server.start());
          const keys = [...stream.acknowledged.keys()];
          const drain = await drainOutbox({
            target: setup.target,
            receiver,
            runTag,
            keys,
            leaseMs: LEASE_MS,
            deadlineMs: LONG ? 600_000 : 120_000,
          });

          // The sender's view through the API, for a seeded sample: every recipient row delivered.
          let apiDelivered = 0;
          const sample = Math.min(API_SAMPLE, keys.length);
          for (let i = 0; i < sample; i++) {
            const key = keys[random.below(keys.length)] ?? '';
            const states = await ledgerStates(client, key);
            if (states.length > 0 && states.every((state) => state === 'delivered')) apiDelivered++;
          }

          await server.stop();
          const ledger = await ledgerCensus(setup.target, runTag);
          const result = check(
            stream.sentKeys,
            stream.acknowledged,
            withLedgerRows(receiverCensus(receiver, runTag), ledger.rowOfMessage),
          );
          const counts = stream.counts;
          reportFigures(`sigkill-documents db=${kind}`, {
            kills: server.kills,
            sent: result.sent,
            acknowledged: result.acknowledged,
            filed: receiver.filed,
            lost: result.lost,
            duplicated: result.duplicated,
            mismatched: result.mismatched,
            unexpected: result.unexpected,
            ledger_unfinished: ledger.unfinished,
            outbox_open: ledger.outboxOpen,
            outbox: summary(ledger.outbox),
            ledger_double_delivered: ledger.doubleDelivered,
            routed_twice: ledger.documentsWithTwoMessages,
            redeliveries: receiver.redeliveries,
            reclaimed: ledger.reclaimed,
            api_ledger_delivered: `${apiDelivered}/${sample}`,
            replayed: counts.replayed,
            attempts: counts.attempts,
            network_errors: counts.networkErrors,
            answers: counts.statusSummary(),
            submit_per_s: (result.acknowledged / stream.seconds).toFixed(1),
            drain_s: (drain.ms / 1000).toFixed(1),
            restart_ms_median: Math.round(median(restartMs)),
            seconds: Math.round((performance.now() - startedAt) / 1000),
          });
          const details = [...result.problems, ...counts.examples].join('\n');
          assert.equal(result.acknowledged, TOTAL, 'every document was acknowledged in the end');
          assert.ok(drain.complete, `the outbox drained within the deadline (${summary(ledger.outbox)})`);
          assert.equal(result.lost, 0, `acknowledged documents never filed:\n${details}`);
          assert.equal(result.duplicated, 0, `documents filed twice:\n${details}`);
          assert.equal(result.mismatched, 0, `filed under another row's message:\n${details}`);
          assert.equal(result.unexpected, 0, details);
          assert.equal(ledger.documents, TOTAL, 'one exchange_document per acknowledged document');
          assert.equal(ledger.unfinished, 0, `ledger rows left unfinished: ${summary(ledger.rowStates)}`);
          assert.equal(ledger.outboxOpen, 0, `outbox messages left open: ${summary(ledger.outbox)}`);
          assert.equal(ledger.outbox.dead ?? 0, 0, 'no message went dead');
          assert.equal(ledger.doubleDelivered, 0, 'no ledger row recorded delivered twice');
          assert.equal(ledger.documentsWithTwoMessages, 0, 'no document was routed or sent twice');
          assert.equal(apiDelivered, sample, '$document-ledger shows the sample delivered');
          assert.equal(receiver.malformed, 0, 'every delivery was a Bundle with an X-Request-ID');
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
          assert.ok(server.kills >= 2, `the stream saw at least two kills (saw ${server.kills})`);
        } finally {
          await setup.teardown();
          await receiver.stop();
        }
      },
    );
  }
});
