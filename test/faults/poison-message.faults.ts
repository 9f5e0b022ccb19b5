// Scenario: a poison message. The fake receiver refuses one document (HTTP 400 with an
// OperationOutcome, every time) and files every other. The refused message is retried with backoff
// until it has been refused `maxRejections` (3) times, then goes `dead` and raises a 'dead-letter'
// alert (a critical line in the server's log, naming the message but no patient data). The other
// documents, sent before and after it, are filed meanwhile: no head-of-line blocking.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { documentSends, ledgerStates, receiverCensus, withLedgerRows } from './support/documents.js';
import { ledgerCensus, summary, withDatabase } from './support/ledger.js';
import { acceptOnce, FakeFhirReceiver, outcome } from './support/receiver.js';
import { setUp } from './support/scenario.js';
import { LONG, reportFigures, requestedDatabases, type DatabaseKind } from './support/settings.js';
import { runStream } from './support/stream.js';
import { check } from './support/workload.js';

const DOCUMENTS = LONG ? 500 : 40;
const POISON_INDEX = 3;
/** The worker's default retry policy: refusals before a message goes dead. */
const MAX_REJECTIONS = 3;

/** The CI set runs it on one database (PostgreSQL when asked for); --long on every one asked for. */
function databases(): DatabaseKind[] {
  const requested = requestedDatabases();
  if (LONG || requested.length <= 1) return requested;
  return requested.includes('postgres') ? ['postgres'] : requested.slice(0, 1);
}

describe('A poison message: the receiver refuses one document', () => {
  for (const kind of databases()) {
    it(
      `isolates it as dead after its retries, with an alert, and delivers the rest on ${kind}`,
      { timeout: LONG ? 600_000 : 180_000 },
      async (t) => {
        const startedAt = performance.now();
        const receiver = new FakeFhirReceiver();
        await receiver.start();
        const runTag = `poison-docs-${kind}-${Date.now().toString(36)}`;
        const poisonKey = `${runTag}-${POISON_INDEX}`;
        receiver.policy = (arrival) =>
          arrival.key === poisonKey
            ? { status: 400, body: outcome('business-rule', 'This practice cannot file this document') }
            : acceptOnce(arrival);
        const workload = documentSends({ runTag, receiver, patients: 10 });
        const setup = await setUp(t, 'poison-message', kind, workload, undefined, {
          watch: /transport alert/,
        });
        if (!setup) {
          await receiver.stop();
          return;
        }
        const { server, client } = setup;
        try {
          const stream = await runStream({ client, workload, total: DOCUMENTS, concurrency: 4, rate: 200 });
          const others = [...stream.acknowledged.keys()].filter((key) => key !== poisonKey);
          const othersFiled = await receiver.until(
            () => others.every((key) => receiver.effects.has(key)),
            120_000,
          );
          const othersFiledMs = performance.now() - startedAt;
          const poisonArrivals = () =>
            [...receiver.messages.values()].find((record) => record.key === poisonKey)?.arrivals ?? 0;
          const refusedBeforeOthersDone = poisonArrivals();
          await receiver.until(() => poisonArrivals() >= MAX_REJECTIONS, 60_000);
          // Long enough for a fourth attempt, if the message were (wrongly) still retried.
          await sleep(LONG ? 20_000 : 6_000);
          const poisonState = await ledgerStates(client, poisonKey);
          await server.stop();
          // The transport's alerts are log lines ('transport alert: …'), kept as the server wrote them.
          const alerts = server.watched;

          const ledger = await ledgerCensus(setup.target, runTag);
          const poisonRows = await withDatabase(setup.target, (query) =>
            query<{ message_id: string; status: string; rejections: number; attempts: number }>(
              `select o.message_id::text as message_id, o.status, o.rejections, o.attempts
                 from outbox_message o join delivery_row d on o.correlation_id = 'delivery-row:' || d.id::text
                where d.document_id = $1`,
              [poisonKey],
            ),
          );
          const poison = poisonRows[0];
          const deadAlerts = alerts.filter(
            (line) =>
              line.includes('"dead-letter"') && poison !== undefined && line.includes(poison.message_id),
          );
          const patient = workload.patients[POISON_INDEX % workload.patients.length];
          const alertLeaksPatient = alerts.some(
            (line) =>
              patient !== undefined && (line.includes(patient.nhsNumber) || line.includes(patient.family)),
          );
          const result = check(
            stream.sentKeys.filter((key) => key !== poisonKey),
            new Map([...stream.acknowledged].filter(([key]) => key !== poisonKey)),
            withLedgerRows(receiverCensus(receiver, runTag), ledger.rowOfMessage),
          );
          reportFigures(`poison-message db=${kind}`, {
            documents: stream.acknowledged.size,
            others_filed: `${others.filter((key) => receiver.effects.has(key)).length}/${others.length}`,
            others_lost: result.lost,
            others_duplicated: result.duplicated,
            poison_attempts: poisonArrivals(),
            poison_refused_before_others_done: refusedBeforeOthersDone,
            poison_status: poison?.status ?? 'missing',
            poison_rejections: poison?.rejections ?? 0,
            poison_filed: receiver.effects.has(poisonKey) ? 'yes' : 'no',
            dead_letter_alerts: deadAlerts.length,
            alert_leaks_patient: alertLeaksPatient ? 'yes' : 'no',
            poison_ledger_state: poisonState.join(',') || 'none',
            outbox: summary(ledger.outbox),
            others_filed_s: (othersFiledMs / 1000).toFixed(1),
            seconds: Math.round((performance.now() - startedAt) / 1000),
          });
          assert.ok(othersFiled, 'every other document was filed');
          assert.equal(result.lost, 0, result.problems.join('\n'));
          assert.equal(result.duplicated, 0, result.problems.join('\n'));
          assert.equal(poison?.status, 'dead', 'the refused message is dead');
          assert.equal(
            poisonArrivals(),
            MAX_REJECTIONS,
            'refused exactly maxRejections times, then left alone',
          );
          assert.equal(receiver.effects.has(poisonKey), false);
          assert.equal(ledger.outbox.dead ?? 0, 1, 'one dead message');
          assert.equal(ledger.outbox.delivered ?? 0, DOCUMENTS - 1, 'every other message delivered');
          assert.equal(
            deadAlerts.length,
            1,
            `one dead-letter alert naming the message:\n${alerts.join('\n')}`,
          );
          assert.equal(alertLeaksPatient, false, 'the alert carries no patient data');
        } finally {
          await setup.teardown();
          await receiver.stop();
        }
      },
    );
  }
});
