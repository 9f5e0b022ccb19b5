// Scenario: a worker frozen past its lease. Server A (OUTBOX_LEASE_MS short) claims documents for an
// external practice and POSTs them; the fake receiver holds those requests open, then A is frozen
// with SIGSTOP and the receiver answers them (it has filed the documents; A does not know). Server B
// starts on the same PostgreSQL database; when A's leases lapse, B claims the same messages (new
// fence) and sends them again; the receiver holds B's repeats. A is then resumed with SIGCONT: it
// reads its 201s and tries to record them, with the old fence. Only then are B's repeats answered.
//
// Passes when every document is filed once (the repeats are de-duplicated on the message id), every
// ledger row records `delivered` once, and no frozen claim's outcome was recorded before B's repeats
// were answered (A's late completions changed nothing: the fence held).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FhirClient } from './support/client.js';
import { documentSends, ledgerStates, receiverCensus, withLedgerRows } from './support/documents.js';
import { drainOutbox } from './support/drain.js';
import { ledgerCensus, summary, withDatabase } from './support/ledger.js';
import { freePort, ServerProcess } from './support/processes.js';
import { acceptOnce, FakeFhirReceiver, type Answer } from './support/receiver.js';
import { setUp } from './support/scenario.js';
import { LONG, reportFigures, reportSkip, requestedDatabases } from './support/settings.js';
import { runStream } from './support/stream.js';
import { check } from './support/workload.js';

/**
 * 8 are frozen in flight, 16 wait. More would not make the freeze longer or harder: B would first
 * send the waiting ones, and A's freeze would outlast its 30 s HTTP timeout (then its late outcome
 * is a timeout rather than a 201, fenced out the same way). So --long runs the same.
 */
const DOCUMENTS = 24;
const LEASE_MS = 3000;
/** The worker's default concurrency: how many claims A holds when it is frozen. */
const WORKER_CONCURRENCY = 8;

/** A gate the receiver's policy waits on, opened once. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('A worker frozen past its lease (SIGSTOP/SIGCONT) while another process takes over', () => {
  it(
    'delivers each document once in effect, and the frozen worker’s late outcome is fenced out',
    {
      timeout: LONG ? 600_000 : 180_000,
      skip: !requestedDatabases().includes('postgres') && 'PostgreSQL not selected (--db)',
    },
    async (t) => {
      const startedAt = performance.now();
      const receiver = new FakeFhirReceiver();
      await receiver.start();
      // Phase 1: hold every request open (A's claims stay in flight).
      const holdA = gate();
      receiver.policy = async (arrival) => {
        await holdA.wait;
        return acceptOnce(arrival);
      };
      const runTag = `freeze-docs-${Date.now().toString(36)}`;
      const workload = documentSends({ runTag, receiver, patients: 10 });
      const setup = await setUp(t, 'lease-freeze', 'postgres', workload, undefined, {
        env: { OUTBOX_LEASE_MS: String(LEASE_MS) },
      });
      if (!setup) {
        await receiver.stop();
        return;
      }
      if (setup.target.env.DATABASE_URL === undefined) {
        t.skip(reportSkip('lease-freeze db=postgres', 'needs PostgreSQL'));
        await setup.teardown();
        await receiver.stop();
        return;
      }
      const { server: a, client } = setup;
      const b = new ServerProcess({ env: setup.env, port: await freePort() });
      try {
        const stream = await runStream({ client, workload, total: DOCUMENTS, concurrency: 4, rate: 200 });
        const heldByA = Math.min(WORKER_CONCURRENCY, DOCUMENTS);
        assert.ok(
          await receiver.until(() => receiver.inFlight >= heldByA, 30_000),
          `A's worker had ${receiver.inFlight} deliveries in flight, expected ${heldByA}`,
        );
        const frozenIds = new Set(receiver.messages.keys());

        // A freezes holding its leases; the receiver answers A's requests (it has filed them).
        a.pause();
        const frozenAt = performance.now();
        const holdB = gate();
        receiver.policy = async (arrival): Promise<Answer> => {
          if (frozenIds.has(arrival.messageId) && arrival.attempt > 1) await holdB.wait;
          return acceptOnce(arrival);
        };
        holdA.open();
        await receiver.until(() => receiver.filed >= frozenIds.size, 10_000);

        // B takes over once A's leases lapse, and sends the frozen messages again (held open).
        await b.start();
        const tookOver = await receiver.until(
          () => [...frozenIds].every((id) => (receiver.messages.get(id)?.arrivals ?? 0) >= 2),
          LEASE_MS + 30_000,
        );
        const frozenMs = performance.now() - frozenAt;

        // A wakes with B's claims in flight: its 201s arrive, its completions carry the old fence.
        a.resume();
        await sleep(1000);
        const releasedAt = new Date();
        holdB.open();

        const keys = [...stream.acknowledged.keys()];
        const drain = await drainOutbox({
          target: setup.target,
          receiver,
          runTag,
          keys,
          leaseMs: LEASE_MS,
          deadlineMs: 60_000,
        });
        const aAlive = a.alive;
        const aHealth = await fetch(`${a.baseUrl}/healthz`).then(
          (response) => response.status,
          () => 0,
        );
        const bClient = new FhirClient(b.baseUrl, setup.secret);
        let apiDelivered = 0;
        for (const key of keys.slice(0, 10)) {
          const states = await ledgerStates(bClient, key);
          if (states.every((state) => state === 'delivered')) apiDelivered++;
        }

        const ledger = await ledgerCensus(setup.target, runTag);
        // When each frozen message's outcome was recorded: after B's repeats were answered, or (a
        // broken fence) when A woke up.
        const recordedEarly = await withDatabase(setup.target, async (query) => {
          const rows = await query<{ n: number | string }>(
            `select count(*) as n from outbox_message
              where message_id = any($1::uuid[]) and (delivered_at is null or delivered_at < $2::timestamptz)`,
            [[...frozenIds], releasedAt.toISOString()],
          );
          return Number(rows[0]?.n ?? 0);
        });
        const result = check(
          stream.sentKeys,
          stream.acknowledged,
          withLedgerRows(receiverCensus(receiver, runTag), ledger.rowOfMessage),
        );
        reportFigures('lease-freeze db=postgres', {
          lease_ms: LEASE_MS,
          documents: result.acknowledged,
          frozen_claims: frozenIds.size,
          frozen_ms: Math.round(frozenMs),
          taken_over: [...frozenIds].filter((id) => (receiver.messages.get(id)?.arrivals ?? 0) >= 2).length,
          redeliveries: receiver.redeliveries,
          frozen_arrivals_max: Math.max(
            ...[...frozenIds].map((id) => receiver.messages.get(id)?.arrivals ?? 0),
          ),
          filed: receiver.filed,
          lost: result.lost,
          duplicated: result.duplicated,
          mismatched: result.mismatched,
          ledger_double_delivered: ledger.doubleDelivered,
          late_outcomes_recorded: recordedEarly,
          ledger_unfinished: ledger.unfinished,
          outbox: summary(ledger.outbox),
          max_fence: ledger.maxFence,
          frozen_process_after: aAlive && aHealth === 200 ? 'serving' : `down(${a.exit ?? aHealth})`,
          api_ledger_delivered: `${apiDelivered}/${Math.min(10, keys.length)}`,
          drain_s: (drain.ms / 1000).toFixed(1),
          seconds: Math.round((performance.now() - startedAt) / 1000),
        });
        assert.ok(tookOver, 'B sent every frozen message again after the lease lapsed');
        assert.ok(drain.complete, `the outbox drained (${summary(ledger.outbox)})`);
        assert.equal(result.acknowledged, DOCUMENTS);
        assert.equal(result.lost, 0, result.problems.join('\n'));
        assert.equal(result.duplicated, 0, `a document filed twice:\n${result.problems.join('\n')}`);
        assert.equal(result.mismatched, 0, result.problems.join('\n'));
        assert.equal(ledger.doubleDelivered, 0, 'a ledger row recorded delivered twice');
        assert.equal(recordedEarly, 0, "the frozen worker's late outcome was recorded: the fence failed");
        assert.equal(ledger.unfinished, 0, summary(ledger.rowStates));
        assert.equal(ledger.outboxOpen, 0, summary(ledger.outbox));
        assert.ok(ledger.maxFence >= 2, 'the frozen messages were claimed again');
        assert.ok(aAlive && aHealth === 200, 'the frozen process serves again after SIGCONT');
      } finally {
        if (a.alive) a.resume();
        holdA.open();
        await b.stop(5000);
        await setup.teardown();
        await receiver.stop();
      }
    },
  );
});
