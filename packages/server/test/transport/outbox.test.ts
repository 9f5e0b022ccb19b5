import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  InvalidOutboxMessageError,
  OutboxConflictError,
  outboxBacklog,
  type Destination,
} from '../../src/transport/index.js';
import { testDatabaseKinds } from '../support/databases.js';
import { DAY, documentBundle, HOUR, TransportWorld } from './support.js';

const GP: Destination = {
  kind: 'fhir-endpoint',
  endpointId: 'gp-A12345',
  address: 'http://127.0.0.1:9/fhir',
  recipientOds: 'A12345',
};
const MAILBOX: Destination = {
  kind: 'mailbox',
  endpointId: 'mesh-A12345',
  address: 'A12345',
  recipientOds: 'A12345',
};

describe('Retry backoff', () => {
  const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 1_000, maxDelayMs: HOUR, jitter: 0.5 };

  it('doubles per attempt and is capped at the maximum delay, however many attempts there were', () => {
    const none = () => 0;
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, policy, none)),
      [1_000, 2_000, 4_000, 8_000, 16_000],
    );
    assert.equal(backoffDelay(30, policy, none), HOUR);
    assert.equal(backoffDelay(10_000, policy, none), HOUR, 'no overflow after weeks of attempts');
  });

  it('jitter only ever shortens a delay, by at most the jitter fraction', () => {
    for (const r of [0, 0.25, 0.5, 0.999]) {
      const delay = backoffDelay(4, policy, () => r);
      assert.ok(delay <= 8_000 && delay >= 4_000, `${delay} within [4000, 8000]`);
    }
  });
});

for (const kind of testDatabaseKinds()) {
  describe(`Outbox enqueue (${kind})`, () => {
    let world: TransportWorld;
    before(async () => {
      world = await TransportWorld.create(kind);
    });
    after(async () => world.close());
    beforeEach(async () => world.reset());

    it('an enqueue in a rolled-back transaction leaves nothing behind (no message, no mailbox entry)', async () => {
      await assert.rejects(
        world.db.transaction(async (tx) => {
          await world.outbox.enqueue(tx, {
            messageId: randomUUID(),
            destination: GP,
            payload: documentBundle(),
          });
          await world.outbox.enqueue(tx, {
            messageId: randomUUID(),
            destination: MAILBOX,
            payload: { a: 1 },
          });
          throw new Error('the document write failed');
        }),
        /the document write failed/,
      );
      const counts = await world.db.query<{ outbox: number; mailbox: number }>(
        `select (select count(*)::integer from outbox_message) as outbox,
                (select count(*)::integer from mailbox_message) as mailbox`,
      );
      assert.deepEqual(counts.rows[0], { outbox: 0, mailbox: 0 });
    });

    it('a committed enqueue is due at once; a mailbox message is placed in its mailbox in the same transaction', async () => {
      const httpId = await world.send(GP);
      const mailId = await world.send(MAILBOX, { letter: 'x' });
      const http = await world.outbox.find(world.db, httpId);
      assert.equal(http?.status, 'pending');
      assert.deepEqual(http?.nextAttemptAt, world.clock.now());
      assert.equal(http?.fence, 0);
      assert.equal(http?.correlationId, `ledger-${httpId}`);
      const mail = await world.outbox.find(world.db, mailId);
      assert.equal(mail?.status, 'delivering', 'waiting in the mailbox for acknowledgement');
      assert.equal(mail?.nextAttemptAt, null, 'no worker ever claims a mailbox message');
      const placed = await world.db.query('select mailbox from mailbox_message where message_id = $1', [
        mailId,
      ]);
      assert.deepEqual(placed.rows, [{ mailbox: 'A12345' }]);
    });

    it('enqueueing the same message id again writes nothing; reusing it for other content is refused', async () => {
      const messageId = randomUUID();
      const message = { messageId, destination: GP, payload: documentBundle(), correlationId: 'ledger-1' };
      const first = await world.db.transaction((tx) => world.outbox.enqueue(tx, message));
      world.clock.advance(1_000);
      const again = await world.db.transaction((tx) => world.outbox.enqueue(tx, { ...message }));
      assert.equal(first.enqueued, true);
      assert.equal(again.enqueued, false);
      assert.deepEqual(again.message.createdAt, first.message.createdAt);
      await assert.rejects(
        world.db.transaction((tx) =>
          world.outbox.enqueue(tx, { ...message, payload: documentBundle('other') }),
        ),
        OutboxConflictError,
      );
      const { rows } = await world.db.query<{ n: number }>(
        'select count(*)::integer as n from outbox_message',
      );
      assert.equal(rows[0]?.n, 1);
    });

    it('a malformed message is refused before anything is written, naming every fault', async () => {
      await assert.rejects(
        world.db.transaction((tx) =>
          world.outbox.enqueue(tx, {
            messageId: 'not-a-uuid',
            destination: { ...GP, address: 'ftp://example.org', recipientOds: '' },
            payload: {},
          }),
        ),
        (error: unknown) =>
          error instanceof InvalidOutboxMessageError &&
          /messageId/.test(error.message) &&
          /address/.test(error.message) &&
          /recipientOds/.test(error.message),
      );
    });

    it('backlog metrics give counts per status and the age of the oldest undelivered message', async () => {
      await world.send(GP);
      world.clock.advance(2 * HOUR);
      await world.send(GP);
      await world.send(MAILBOX, { letter: 'y' });
      world.clock.advance(DAY);
      const backlog = await outboxBacklog(world.db, world.clock.now());
      assert.deepEqual(backlog.counts, { pending: 2, delivering: 1, delivered: 0, dead: 0 });
      assert.equal(backlog.oldestPendingAgeMs, 26 * HOUR);
      assert.equal(backlog.oldestUndeliveredAgeMs, 26 * HOUR);
      assert.equal(backlog.mailboxUnacknowledged, 1);
      assert.equal(backlog.oldestUnacknowledgedAgeMs, DAY);
    });
  });
}
