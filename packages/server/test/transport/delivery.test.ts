import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endpointHealth, verifyWebhookSignature, type Destination } from '../../src/transport/index.js';
import { testDatabaseKinds } from '../support/databases.js';
import {
  DAY,
  documentBundle,
  fhirDestination,
  HOUR,
  unusedPort,
  useTransportWorld,
  WEBHOOK_SECRET,
} from './support.js';

for (const kind of testDatabaseKinds()) {
  describe(`Outbox delivery over HTTP (${kind})`, () => {
    const transport = useTransportWorld(kind);
    const { receiver } = transport;

    it('POSTs the Bundle with X-Request-ID; a 2xx marks it delivered and moves the ledger row in the same transaction', async () => {
      const gp = await receiver(() => ({ status: 201 }));
      const id = await transport.world.send(fhirDestination(gp.url));
      const round = await transport.world.worker().runOnce();
      assert.deepEqual(round, {
        claimed: 1,
        delivered: 1,
        retried: 0,
        dead: 0,
        fenced: 0,
        leaseLost: 0,
        errors: 0,
      });
      const [request] = gp.received;
      assert.equal(request?.method, 'POST');
      assert.equal(request?.url, '/fhir/Bundle', 'a document Bundle is created at [base]/Bundle');
      assert.equal(request?.headers['x-request-id'], id);
      assert.equal(request?.headers['content-type'], 'application/fhir+json');
      assert.deepEqual(JSON.parse(request?.body ?? ''), documentBundle());
      const message = await transport.world.outbox.find(transport.world.db, id);
      assert.equal(message?.status, 'delivered');
      assert.deepEqual(message?.deliveredAt, transport.world.clock.now());
      assert.equal(message?.attempts, 1);
      assert.deepEqual(await transport.world.ledger(id), { state: 'delivered', transitions: 1 });
      const [health] = await endpointHealth(transport.world.db);
      assert.equal(health?.consecutiveFailures, 0);
      assert.deepEqual(health?.lastSuccessAt, transport.world.clock.now());
      assert.equal(
        await transport.world
          .worker()
          .runOnce()
          .then((r) => r.claimed),
        0,
        'nothing is sent twice',
      );
    });

    it('a webhook carries the message id and a valid HMAC-SHA256 signature over timestamp, id and body', async () => {
      const hook = await receiver(() => ({ status: 204 }));
      const destination: Destination = {
        kind: 'webhook',
        endpointId: 'pharmacy-hook',
        address: `${hook.url}/hooks/carebridge`,
        recipientOds: 'FA123',
      };
      const id = await transport.world.send(destination, { event: 'prescription-ready', id: 'rx-1' });
      await transport.world.worker().runOnce();
      const [request] = hook.received;
      assert.equal(request?.url, '/hooks/carebridge');
      assert.equal(request?.headers['x-carebridge-message-id'], id);
      assert.ok(
        verifyWebhookSignature(
          WEBHOOK_SECRET,
          request?.headers ?? {},
          request?.body ?? '',
          transport.world.clock.now(),
        ),
      );
      assert.equal(
        verifyWebhookSignature(
          WEBHOOK_SECRET,
          request?.headers ?? {},
          `${request?.body} `,
          transport.world.clock.now(),
        ),
        false,
        'an altered body fails the check',
      );
      assert.equal(
        verifyWebhookSignature(
          'another-secret',
          request?.headers ?? {},
          request?.body ?? '',
          transport.world.clock.now(),
        ),
        false,
      );
      assert.equal((await transport.world.outbox.find(transport.world.db, id))?.status, 'delivered');
    });

    it('503 is retried with exponential backoff and is not attempted before it is due', async () => {
      let answered = 0;
      const gp = await receiver(() => (++answered <= 3 ? { status: 503 } : { status: 200 }));
      const id = await transport.world.send(fhirDestination(gp.url));
      const worker = transport.world.worker();
      const waits: number[] = [];
      for (let attempt = 1; attempt <= 3; attempt += 1) {
        const round = await worker.runOnce();
        assert.equal(round.retried, 1);
        const message = await transport.world.outbox.find(transport.world.db, id);
        assert.equal(message?.status, 'pending');
        assert.match(message?.lastError ?? '', /^HTTP 503/);
        const wait = (message?.nextAttemptAt?.getTime() ?? 0) - transport.world.clock.now().getTime();
        waits.push(wait);
        transport.world.clock.advance(wait - 1);
        assert.equal((await worker.runOnce()).claimed, 0, 'not attempted a millisecond early');
        transport.world.clock.advance(1);
      }
      assert.deepEqual(waits, [1_000, 2_000, 4_000]);
      assert.equal((await worker.runOnce()).delivered, 1);
      assert.equal(gp.received.length, 4);
      assert.deepEqual(await transport.world.ledger(id), { state: 'delivered', transitions: 1 });
      assert.deepEqual(
        transport.world.hookCalls.map((call) => call.hook),
        ['retry', 'retry', 'retry', 'delivered'],
      );
    });

    it('429 with Retry-After waits as long as the receiver asked, within the cap', async () => {
      let answered = 0;
      const gp = await receiver(() =>
        ++answered === 1 ? { status: 429, headers: { 'retry-after': '120' } } : { status: 200 },
      );
      const id = await transport.world.send(fhirDestination(gp.url));
      await transport.world.worker().runOnce();
      const message = await transport.world.outbox.find(transport.world.db, id);
      assert.equal((message?.nextAttemptAt?.getTime() ?? 0) - transport.world.clock.now().getTime(), 120_000);
    });

    it('connection refused is retried with backoff and delivers once the receiver listens', async () => {
      const port = await unusedPort();
      const destination = fhirDestination(`http://127.0.0.1:${port}`, 'gp-offline');
      const id = await transport.world.send(destination);
      const worker = transport.world.worker();
      for (let attempt = 1; attempt <= 4; attempt += 1) {
        assert.equal((await worker.runOnce()).retried, 1);
        const message = await transport.world.outbox.find(transport.world.db, id);
        assert.match(message?.lastError ?? '', /No answer from http:\/\/127\.0\.0\.1/);
        transport.world.clock.set(message?.nextAttemptAt ?? new Date());
      }
      const [down] = await endpointHealth(transport.world.db);
      assert.equal(down?.consecutiveFailures, 4);
      assert.deepEqual(down?.failingSince, new Date('2026-03-02T09:00:00.000Z'));
      const gp = await receiver(() => ({ status: 200 }), port);
      assert.equal((await worker.runOnce()).delivered, 1);
      assert.deepEqual(gp.delivered, [id]);
      const [up] = await endpointHealth(transport.world.db);
      assert.equal(up?.consecutiveFailures, 0);
      assert.equal(up?.failingSince, null);
    });

    it('a poison message (400) goes dead after the rejection limit and raises one alert while the others deliver', async () => {
      const gp = await receiver((request) =>
        request.body.includes('poison')
          ? { status: 400, body: '{"resourceType":"OperationOutcome","issue":[{"code":"invalid"}]}' }
          : { status: 200 },
      );
      const destination = fhirDestination(gp.url);
      const poison = await transport.world.send(destination, documentBundle('poison'));
      const good = [
        await transport.world.send(destination),
        await transport.world.send(destination),
        await transport.world.send(destination),
      ];
      const worker = transport.world.worker();
      const first = await worker.runOnce();
      assert.equal(first.delivered, 3, 'the poison message does not hold the others up');
      for (
        let round = 0;
        round < 10 && (await transport.world.outbox.find(transport.world.db, poison))?.status !== 'dead';
        round += 1
      ) {
        transport.world.clock.advance(HOUR);
        await worker.runOnce();
      }
      const dead = await transport.world.outbox.find(transport.world.db, poison);
      assert.equal(dead?.status, 'dead');
      assert.equal(dead?.rejections, 3);
      assert.equal(dead?.attempts, 3);
      assert.match(dead?.lastError ?? '', /^HTTP 400/);
      assert.deepEqual(await transport.world.ledger(poison), { state: 'dead', transitions: 1 });
      for (const id of good)
        assert.deepEqual(await transport.world.ledger(id), { state: 'delivered', transitions: 1 });
      assert.equal(transport.world.alerts.length, 1);
      assert.equal(transport.world.alerts[0]?.kind, 'dead-letter');
      assert.equal(transport.world.alerts[0]?.messageId, poison);
      assert.equal(transport.world.alerts[0]?.correlationId, `ledger-${poison}`);
      assert.doesNotMatch(
        transport.world.alerts[0]?.summary ?? '',
        /OperationOutcome/,
        'no receiver body in alerts',
      );
      transport.world.clock.advance(30 * DAY);
      assert.equal((await worker.runOnce()).claimed, 0, 'a dead message is never retried by itself');
      assert.equal(
        (await transport.world.outbox.find(transport.world.db, poison))?.status,
        'dead',
        'and never expires',
      );

      // A person fixes the cause and sends it again: same id, resend counted.
      gp.behaviour = () => ({ status: 200 });
      const again = await transport.world.db.transaction((tx) =>
        transport.world.outbox.retryDead(tx, poison),
      );
      assert.equal(again?.resends, 1);
      assert.equal((await worker.runOnce()).delivered, 1);
      assert.equal((await transport.world.outbox.find(transport.world.db, poison))?.status, 'delivered');
    });

    it('a payload that is not a Bundle goes dead without holding anything up; 409 duplicate counts as delivered', async () => {
      const gp = await receiver(() => ({
        status: 409,
        body: '{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"duplicate"}]}',
      }));
      const destination = fhirDestination(gp.url);
      const malformed = await transport.world.send(destination, { resourceType: 'Patient' });
      const duplicate = await transport.world.send(destination);
      const worker = transport.world.worker({
        retryPolicy: { baseDelayMs: 1_000, maxDelayMs: HOUR, maxRejections: 1 },
      });
      const round = await worker.runOnce();
      assert.equal(round.dead, 1);
      assert.equal(round.delivered, 1);
      assert.equal(
        (await transport.world.outbox.find(transport.world.db, malformed))?.lastError?.startsWith(
          'Malformed payload',
        ),
        true,
      );
      assert.equal((await transport.world.outbox.find(transport.world.db, duplicate))?.status, 'delivered');
      assert.equal(gp.received.length, 1, 'the malformed payload was never sent');
    });

    it('a receiver dark for 15 days loses nothing: hourly retries, nothing expires, one alert, all delivered once it is back', async () => {
      let down = true;
      const gp = await receiver(() => (down ? 'drop' : { status: 200 }));
      const destination = fhirDestination(gp.url, 'gp-dark');
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1)
        ids.push(await transport.world.send(destination, documentBundle(`letter-${i}`)));
      const worker = transport.world.worker({ concurrency: 10 });
      const start = transport.world.clock.now().getTime();
      let longestWait = 0;
      while (transport.world.clock.now().getTime() - start < 15 * DAY) {
        const round = await worker.runOnce();
        assert.equal(round.delivered + round.dead, 0);
        const { rows } = await transport.world.db.query<{ next: Date | string }>(
          `select min(next_attempt_at) as next from outbox_message where status = 'pending'`,
        );
        const next = new Date(rows[0]?.next ?? 0).getTime();
        longestWait = Math.max(longestWait, next - transport.world.clock.now().getTime());
        transport.world.clock.set(new Date(Math.max(next, transport.world.clock.now().getTime() + 1)));
      }
      await worker.sweep();
      assert.ok(longestWait <= HOUR, `retries are at most an hour apart (longest ${longestWait} ms)`);
      const during = await Promise.all(ids.map((id) => transport.world.outbox.find(transport.world.db, id)));
      assert.deepEqual(
        during.map((m) => m?.status),
        ids.map(() => 'pending'),
        'after 15 days every message is still pending: nothing expired, nothing died',
      );
      assert.ok((during[0]?.attempts ?? 0) > 300, 'still being attempted every hour');
      const endpointAlerts = transport.world.alerts.filter(
        (alert) => alert.kind === 'endpoint-not-acknowledging',
      );
      assert.equal(endpointAlerts.length, 1, 'the outage is alerted once, not every hour');
      assert.equal(endpointAlerts[0]?.endpointId, 'gp-dark');
      // In time: at the first attempt once the endpoint has been failing for 15 minutes (the
      // default endpointAlertAfterMs), which with the backoff is well within the first half hour.
      const alertedAfter = (endpointAlerts[0]?.raisedAt.getTime() ?? Infinity) - start;
      assert.ok(
        alertedAfter >= 15 * 60_000 && alertedAfter <= 30 * 60_000,
        `alerted ${alertedAfter / 60_000} minutes into the outage`,
      );

      down = false;
      transport.world.clock.advance(HOUR);
      const back = await worker.runOnce();
      assert.equal(back.delivered, 5);
      assert.deepEqual(gp.delivered.sort(), [...ids].sort());
      for (const id of ids)
        assert.deepEqual(await transport.world.ledger(id), { state: 'delivered', transitions: 1 });
      const [health] = await endpointHealth(transport.world.db);
      assert.equal(health?.failingSince, null);
      assert.equal(health?.alertedAt, null, 'the next outage will be alerted again');
    });
  });
}
