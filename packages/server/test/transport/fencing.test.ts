import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Sleep } from '../../src/transport/index.js';
import { testDatabaseKinds } from '../support/databases.js';
import { documentBundle, fhirDestination, useTransportWorld } from './support.js';

/** Waits (in real time, bounded) until `condition` holds. */
async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A sleep that yields to the event loop and returns: a started worker polls without real waits. */
const yieldOnly: Sleep = () => new Promise((resolve) => setImmediate(resolve));

for (const kind of testDatabaseKinds()) {
  describe(`Outbox leases and fencing (${kind})`, () => {
    const transport = useTransportWorld(kind);
    const { receiver } = transport;

    for (const late of [
      { answer: 200, would: 'complete it a second time' },
      { answer: 400, would: 'kill the delivered message' },
      { answer: 503, would: 'reschedule the delivered message' },
    ]) {
      it(`a worker frozen past its lease is fenced out: its late ${late.answer} cannot ${late.would}`, async () => {
        // The first request is held (worker A "frozen" mid-delivery); later ones are answered at once.
        const gp = await receiver((request) =>
          gp.received.indexOf(request) === 0 ? 'hold' : { status: 200 },
        );
        const id = await transport.world.send(fhirDestination(gp.url));
        const workerA = transport.world.worker({
          workerId: 'worker-A',
          leaseMs: 60_000,
          retryPolicy: { baseDelayMs: 1_000, maxDelayMs: 3_600_000, maxRejections: 1 },
        });
        const workerB = transport.world.worker({ workerId: 'worker-B', leaseMs: 60_000 });

        const roundA = workerA.runOnce();
        await until(() => gp.received.length === 1, 'worker A has sent');
        const claimedByA = await transport.world.outbox.find(transport.world.db, id);
        assert.equal(claimedByA?.leaseOwner, 'worker-A');
        assert.equal(claimedByA?.fence, 1);

        assert.equal((await workerB.runOnce()).claimed, 0, 'no takeover while the lease holds');
        transport.world.clock.advance(60_001);
        const roundB = await workerB.runOnce();
        assert.equal(
          roundB.delivered,
          1,
          'worker B took the message over after the lease lapsed and delivered it',
        );

        gp.release({ status: late.answer }); // worker A wakes up and reports its (stale) outcome
        const resultA = await roundA;
        assert.equal(resultA.fenced, 1);
        assert.equal(resultA.delivered + resultA.retried + resultA.dead, 0);

        const message = await transport.world.outbox.find(transport.world.db, id);
        assert.equal(message?.status, 'delivered');
        assert.equal(message?.fence, 2);
        assert.equal(message?.lastError, null);
        assert.deepEqual(
          await transport.world.ledger(id),
          { state: 'delivered', transitions: 1 },
          '0 double completions',
        );
        assert.deepEqual(
          transport.world.hookCalls.map((call) => call.hook),
          ['delivered'],
        );
        assert.equal(gp.received.length, 2, 'the transport delivered twice (at-least-once)…');
        assert.deepEqual(
          gp.received.map((request) => request.messageId),
          [id, id],
        );
        assert.equal(
          gp.effects.get(id),
          1,
          '…and the receiver, de-duplicating by message id, applied it once',
        );
        assert.equal(transport.world.alerts.length, 0);
      });
    }

    it('a claim whose lease has already lapsed is not sent', async () => {
      const gp = await receiver(() => ({ status: 200 }));
      await transport.world.send(fhirDestination(gp.url));
      // A clock that jumps past the lease between the claim and the send, as a paused process sees it.
      const worker = transport.world.worker({ leaseMs: 60_000 });
      const realNow = transport.world.clock.now.bind(transport.world.clock);
      let calls = 0;
      transport.world.clock.now = () => {
        calls += 1;
        if (calls === 2) transport.world.clock.advance(60_000);
        return realNow();
      };
      try {
        const round = await worker.runOnce();
        assert.equal(round.leaseLost, 1);
        assert.equal(gp.received.length, 0);
      } finally {
        transport.world.clock.now = realNow;
      }
      assert.equal((await worker.runOnce()).delivered, 1, 'it is due again once its lease has lapsed');
    });

    it('concurrent workers claim disjoint messages: each message is sent exactly once when no lease lapses', async () => {
      const gp = await receiver(() => ({ status: 200 }));
      const ids: string[] = [];
      for (let i = 0; i < 40; i += 1)
        ids.push(await transport.world.send(fhirDestination(gp.url), documentBundle(`m-${i}`)));
      const workers = ['w1', 'w2', 'w3'].map((workerId) =>
        transport.world.worker({ workerId, concurrency: 4 }),
      );
      const drain = async (worker: (typeof workers)[number]) => {
        let delivered = 0;
        for (let round = await worker.runOnce(); round.claimed > 0; round = await worker.runOnce()) {
          delivered += round.delivered;
        }
        return delivered;
      };
      const perWorker = await Promise.all(workers.map(drain));
      assert.equal(
        perWorker.reduce((a, b) => a + b, 0),
        40,
      );
      assert.equal(gp.received.length, 40, 'no message was sent twice');
      assert.deepEqual(gp.delivered.sort(), [...ids].sort());
      const { rows } = await transport.world.db.query<{ n: number }>(
        `select count(*)::integer as n from test_ledger where state = 'delivered' and transitions = 1`,
      );
      assert.equal(rows[0]?.n, 40);
    });

    it('a started worker delivers in the background, and stop waits for the delivery in flight', async () => {
      const gp = await receiver(() => ({ status: 200 }));
      const worker = transport.world.worker({ sleep: yieldOnly, concurrency: 4 });
      worker.start();
      try {
        const ids: string[] = [];
        for (let i = 0; i < 6; i += 1)
          ids.push(await transport.world.send(fhirDestination(gp.url), documentBundle(`bg-${i}`)));
        await until(
          async () => (await transport.world.ledger(ids[5] ?? '')).state === 'delivered',
          'all are delivered',
        );
        await until(() => gp.delivered.length === 6, 'the receiver has all six');

        gp.behaviour = () => 'hold';
        const last = await transport.world.send(fhirDestination(gp.url), documentBundle('in-flight'));
        await until(() => gp.received.length === 7, 'the last one is in flight');
        let stopped = false;
        const stopping = worker.stop().then(() => {
          stopped = true;
        });
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(stopped, false, 'stop waits for the delivery in flight');
        gp.release({ status: 200 });
        await stopping;
        assert.equal((await transport.world.outbox.find(transport.world.db, last))?.status, 'delivered');
        assert.equal(worker.summary().delivered, 7);
      } finally {
        await worker.stop();
      }
    });
  });
}
