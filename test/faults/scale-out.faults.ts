// Scenario: scale-out. One, then two, then three server processes on one PostgreSQL database, each
// with its own OutboxWorker, behind client-side round robin (each request, and each retry, goes to
// the next live process, as a load balancer would send it). Each step submits documents for an
// external practice as fast as the processes take them and waits until the receiver has filed all
// of them: throughput per process count, submissions and end-to-end deliveries. In the three-process
// step one process is SIGKILLed a third of the way through and not restarted: its requests are
// retried on the others and its claims are taken over when their leases lapse.
//
// Passes when, at every step, every acknowledged document is filed exactly once, every ledger row
// ends delivered, and (with 2 and 3 processes) more than one worker claimed messages.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { RoundRobinClient } from './support/client.js';
import { documentSends, receiverCensus, withLedgerRows } from './support/documents.js';
import { drainOutbox } from './support/drain.js';
import { ledgerCensus, summary } from './support/ledger.js';
import { freePort, ServerProcess } from './support/processes.js';
import { acceptOnce, FakeFhirReceiver } from './support/receiver.js';
import { setUp } from './support/scenario.js';
import { LONG, reportFigures, requestedDatabases } from './support/settings.js';
import { runStream } from './support/stream.js';
import { check, type Workload } from './support/workload.js';

const PER_STEP = Number(process.env.CAREBRIDGE_FAULTS_SCALE_DOCUMENTS ?? (LONG ? 2_000 : 300));
/** Sent (unmeasured) before the first step, so no step is measured on a cold process and database. */
const WARM_UP = 150;
const CONCURRENCY = 8;
const LEASE_MS = 5000;

interface StepFigures {
  processes: number;
  submitPerS: number;
  deliveredPerS: number;
  claimOwners: number;
  killed: number;
  redeliveries: number;
  lost: number;
  duplicated: number;
  unfinished: number;
  doubleDelivered: number;
}

/** Samples which workers hold claims (lease_owner of delivering messages) until stopped. */
function sampleClaimOwners(databaseUrl: string): { stop: () => Promise<Set<string>> } {
  const owners = new Set<string>();
  let stopped = false;
  const loop = (async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      while (!stopped) {
        const { rows } = await client.query<{ owner: string }>(
          `select distinct lease_owner as owner from outbox_message
            where status = 'delivering' and lease_owner is not null`,
        );
        for (const { owner } of rows) owners.add(owner);
        await sleep(100);
      }
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return owners;
    },
  };
}

describe('Scale-out: several server processes on one PostgreSQL share the load and the outbox', () => {
  it(
    'shares submissions and deliveries across 1, 2 and 3 processes (one killed) without double delivery',
    {
      timeout: LONG ? 1_200_000 : 240_000,
      skip: !requestedDatabases().includes('postgres') && 'PostgreSQL not selected (--db)',
    },
    async (t) => {
      const startedAt = performance.now();
      const receiver = new FakeFhirReceiver();
      // Answers after 50 ms, as a real receiver takes a while: a killed process then has deliveries
      // in flight, which the others must take over.
      receiver.policy = async (arrival) => {
        await sleep(50);
        return acceptOnce(arrival);
      };
      await receiver.start();
      const world = documentSends({ runTag: `scale-${Date.now().toString(36)}`, receiver, patients: 50 });
      const setup = await setUp(t, 'scale-out', 'postgres', world, undefined, {
        // One public base URL for every process, as behind a load balancer: it is the access tokens'
        // issuer and audience, so a token from one process is accepted by the others.
        env: { OUTBOX_LEASE_MS: String(LEASE_MS), PUBLIC_BASE_URL: 'http://carebridge-lb.invalid/fhir' },
      });
      if (!setup) {
        await receiver.stop();
        return;
      }
      const databaseUrl = setup.target.env.DATABASE_URL;
      const extra: ServerProcess[] = [];
      const steps: StepFigures[] = [];
      let stopSampler: () => Promise<unknown> = async () => {};
      try {
        assert.ok(databaseUrl, 'scale-out needs PostgreSQL');
        const warmUp = documentSends({
          runTag: `scale-warm-${Date.now().toString(36)}`,
          receiver,
          patients: 50,
        });
        await runStream({
          client: setup.client,
          workload: warmUp,
          total: WARM_UP,
          concurrency: CONCURRENCY,
          rate: 10_000,
        });
        for (const processes of [1, 2, 3]) {
          while (extra.length < processes - 1) {
            const server = new ServerProcess({ env: setup.env, port: await freePort() });
            extra.push(server);
          }
          const servers = [setup.server, ...extra.slice(0, processes - 1)];
          await Promise.all(servers.filter((server) => !server.alive).map((server) => server.start()));
          const client = new RoundRobinClient(
            () => servers.filter((server) => server.alive).map((server) => server.baseUrl),
            setup.secret,
          );
          await client.authenticate();
          const runTag = `scale-${processes}p-${Date.now().toString(36)}`;
          const workload: Workload = {
            ...documentSends({ runTag, receiver, patients: 50 }),
            prepare: async () => {},
          };
          // Which workers claim messages, sampled from the database while the step runs.
          const sampler = sampleClaimOwners(databaseUrl);
          stopSampler = sampler.stop;
          const redeliveriesBefore = receiver.redeliveries;
          const filedBefore = receiver.filed;
          let killed = 0;
          const killer =
            processes === 3
              ? (async () => {
                  const victim = servers[1];
                  while (receiver.filed - filedBefore < PER_STEP / 3 && victim?.alive) await sleep(20);
                  if (victim?.alive) {
                    await victim.kill();
                    killed++;
                  }
                })()
              : Promise.resolve();
          const stepStart = performance.now();
          const stream = await runStream({
            client,
            workload,
            total: PER_STEP,
            concurrency: CONCURRENCY,
            rate: 10_000,
          });
          const submitted = performance.now();
          await killer;
          const keys = [...stream.acknowledged.keys()];
          const drain = await drainOutbox({
            target: setup.target,
            receiver,
            runTag,
            keys,
            leaseMs: LEASE_MS,
            deadlineMs: 120_000,
          });
          // End to end: the last document filed, whatever order the stream and the drain ended in.
          const lastFiled = Math.max(
            ...keys.map((key) => {
              const ids = receiver.effects.get(key);
              const first = ids ? [...ids][0] : undefined;
              return first === undefined
                ? Number.NaN
                : (receiver.messages.get(first)?.firstAcceptedAt ?? Number.NaN);
            }),
          );
          const owners = await sampler.stop();
          const ledger = await ledgerCensus(setup.target, runTag);
          const result = check(
            stream.sentKeys,
            stream.acknowledged,
            withLedgerRows(receiverCensus(receiver, runTag), ledger.rowOfMessage),
          );
          assert.ok(drain.complete, `step ${processes}: the outbox drained (${summary(ledger.outbox)})`);
          steps.push({
            processes,
            submitPerS: result.acknowledged / ((submitted - stepStart) / 1000),
            deliveredPerS: result.acknowledged / ((lastFiled - stepStart) / 1000),
            claimOwners: owners.size,
            killed,
            redeliveries: receiver.redeliveries - redeliveriesBefore,
            lost: result.lost,
            duplicated: result.duplicated + ledger.documentsWithTwoMessages,
            unfinished: ledger.unfinished + ledger.outboxOpen,
            doubleDelivered: ledger.doubleDelivered,
          });
          assert.equal(result.acknowledged, PER_STEP);
          assert.equal(result.lost, 0, result.problems.join('\n'));
          assert.equal(result.duplicated, 0, result.problems.join('\n'));
          assert.equal(result.mismatched, 0, result.problems.join('\n'));
          assert.equal(ledger.unfinished, 0, summary(ledger.rowStates));
          assert.equal(ledger.outboxOpen, 0, summary(ledger.outbox));
          assert.equal(ledger.doubleDelivered, 0);
          assert.equal(ledger.documentsWithTwoMessages, 0);
        }
        const figures: Record<string, string | number> = {
          documents_per_step: PER_STEP,
          connections: CONCURRENCY,
        };
        for (const step of steps) {
          const p = `p${step.processes}`;
          figures[`${p}_submit_per_s`] = step.submitPerS.toFixed(1);
          figures[`${p}_delivered_per_s`] = step.deliveredPerS.toFixed(1);
          figures[`${p}_claim_owners`] = step.claimOwners;
        }
        figures.killed = steps.reduce((sum, step) => sum + step.killed, 0);
        figures.redeliveries = steps.map((step) => step.redeliveries).join('/');
        figures.lost = steps.reduce((sum, step) => sum + step.lost, 0);
        figures.duplicated = steps.reduce((sum, step) => sum + step.duplicated, 0);
        figures.ledger_unfinished = steps.reduce((sum, step) => sum + step.unfinished, 0);
        figures.ledger_double_delivered = steps.reduce((sum, step) => sum + step.doubleDelivered, 0);
        figures.load_avg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join('/');
        figures.seconds = Math.round((performance.now() - startedAt) / 1000);
        reportFigures('scale-out db=postgres', figures);
        for (const step of steps.filter((s) => s.processes > 1)) {
          assert.ok(
            step.claimOwners > 1,
            `with ${step.processes} processes more than one worker claimed messages`,
          );
        }
      } finally {
        await stopSampler().catch(() => {});
        await Promise.all(extra.map((server) => server.stop(5000)));
        await setup.teardown();
        await receiver.stop();
      }
    },
  );
});
