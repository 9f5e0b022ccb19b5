import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { endpointHealth, registerMailboxRoutes, type Destination } from '../../src/transport/index.js';
import { testDatabaseKinds } from '../support/databases.js';
import { MemoryAuditRecorder, patientLogin, staff, TestPrincipals } from '../support/principals.js';
import { DAY, documentBundle, HOUR, TransportWorld } from './support.js';

const MAILBOX: Destination = {
  kind: 'mailbox',
  endpointId: 'mesh-A12345',
  address: 'A12345',
  recipientOds: 'A12345',
};

for (const kind of testDatabaseKinds()) {
  describe(`MESH-style mailbox (${kind})`, () => {
    let world: TransportWorld;
    let app: FastifyInstance;
    let audit: MemoryAuditRecorder;
    const principals = new TestPrincipals();
    const practice = principals.register(
      'practice',
      staff('practice-admin', 'org-a12345', { odsCode: 'A12345' }),
    );
    const otherPractice = principals.register('other', staff('gp', 'org-b81002', { odsCode: 'B81002' }));
    const patient = principals.register('patient', patientLogin('patient-1', { odsCode: 'A12345' }));

    before(async () => {
      world = await TransportWorld.create(kind);
    });
    after(async () => world.close());
    beforeEach(async () => {
      await world.reset();
      await app?.close();
      audit = new MemoryAuditRecorder();
      app = Fastify({ logger: false });
      await registerMailboxRoutes(app, {
        db: world.db,
        outbox: world.outbox,
        authenticate: principals.authenticate,
        audit,
      });
    });
    after(async () => app?.close());

    const inbox = async (authorization: string, ods = 'A12345') =>
      app.inject({ method: 'GET', url: `/mesh/v1/inbox/${ods}`, headers: { authorization } });
    const download = (authorization: string, id: string) =>
      app.inject({ method: 'GET', url: `/mesh/v1/inbox/A12345/${id}`, headers: { authorization } });
    const acknowledge = (authorization: string, id: string) =>
      app.inject({
        method: 'PUT',
        url: `/mesh/v1/inbox/A12345/${id}/status/acknowledged`,
        headers: { authorization },
      });

    it('the owning organisation polls, downloads and acknowledges; acknowledgement is delivery, in one transaction with the hook', async () => {
      const first = await world.send(MAILBOX, documentBundle('letter-1'));
      world.clock.advance(1_000);
      const second = await world.send(MAILBOX, documentBundle('letter-2'));

      const listed = await inbox(practice);
      assert.equal(listed.statusCode, 200);
      assert.deepEqual(listed.json(), { messages: [first, second] }, 'oldest first');

      const got = await download(practice, first);
      assert.equal(got.statusCode, 200);
      assert.match(String(got.headers['content-type']), /^application\/fhir\+json/);
      assert.equal(got.headers['mex-messageid'], first);
      assert.deepEqual(got.json(), documentBundle('letter-1'));
      const again = await download(practice, first);
      assert.equal(
        again.headers['mex-download-count'],
        '2',
        'a download that crashed before the ack can be repeated',
      );
      assert.equal(
        (await world.outbox.find(world.db, first))?.status,
        'delivering',
        'a download is not delivery',
      );
      assert.deepEqual(await world.ledger(first), { state: 'queued', transitions: 0 });

      world.clock.advance(HOUR);
      const acked = await acknowledge(practice, first);
      assert.equal(acked.statusCode, 200);
      const delivered = await world.outbox.find(world.db, first);
      assert.equal(delivered?.status, 'delivered');
      assert.deepEqual(delivered?.deliveredAt, world.clock.now());
      assert.deepEqual(await world.ledger(first), { state: 'delivered', transitions: 1 });
      const [health] = await endpointHealth(world.db);
      assert.equal(health?.endpointId, 'mesh-A12345');
      assert.deepEqual(health?.lastSuccessAt, world.clock.now());

      assert.deepEqual((await inbox(practice)).json(), { messages: [second] });
      assert.equal((await download(practice, first)).statusCode, 410, 'gone once acknowledged');
      assert.equal((await acknowledge(practice, first)).statusCode, 200, 'acknowledging again is harmless');
      assert.deepEqual(
        await world.ledger(first),
        { state: 'delivered', transitions: 1 },
        'and moves nothing twice',
      );
      assert.equal((await download(practice, '00000000-0000-4000-8000-000000000000')).statusCode, 404);
      assert.equal((await download(practice, 'not-a-uuid')).statusCode, 404);

      const downloads = audit.entries.filter(
        (entry) => entry.interaction === 'mesh-download' && entry.outcome === 'success',
      );
      assert.deepEqual(
        downloads[0]?.patientIds,
        ['patient-1'],
        'downloads are audited with the patients they carry',
      );
      assert.equal(downloads[0]?.principal?.odsCode, 'A12345');
    });

    it('another organisation, a patient and an unauthenticated caller are refused, and every refusal is audited', async () => {
      const id = await world.send(MAILBOX, documentBundle());
      for (const [who, status] of [
        [otherPractice, 403],
        [patient, 403],
        ['Bearer nonsense', 401],
      ] as const) {
        assert.equal((await inbox(who)).statusCode, status, `${who} lists`);
        assert.equal((await download(who, id)).statusCode, status, `${who} downloads`);
        assert.equal((await acknowledge(who, id)).statusCode, status, `${who} acknowledges`);
      }
      const refused = await inbox(otherPractice);
      assert.equal(refused.json<{ resourceType: string }>().resourceType, 'OperationOutcome');
      assert.equal((await inbox('Bearer nonsense')).headers['www-authenticate'], 'Bearer realm="carebridge"');
      assert.equal(
        (await inbox(otherPractice, 'B81002')).json<{ messages: string[] }>().messages.length,
        0,
        'its own inbox is empty',
      );
      assert.equal((await world.outbox.find(world.db, id))?.status, 'delivering', 'nothing was acknowledged');
      const message = await world.db.query<{ download_count: number }>(
        'select download_count from mailbox_message where message_id = $1',
        [id],
      );
      assert.equal(message.rows[0]?.download_count, 0, 'nothing was downloaded');
      const denied = audit.entries.filter((entry) => entry.outcome === 'denied');
      assert.equal(denied.length, 11);
    });

    it('unacknowledged messages stay (nothing expires) and raise one mailbox-not-acknowledging alert', async () => {
      const id = await world.send(MAILBOX, documentBundle());
      const worker = world.worker({ mailboxAlertAfterMs: 4 * HOUR });
      world.clock.advance(3 * HOUR);
      assert.deepEqual(await worker.sweep(), []);
      for (let day = 0; day < 30; day += 1) {
        world.clock.advance(DAY);
        await worker.sweep();
      }
      assert.deepEqual((await inbox(practice)).json(), { messages: [id] }, 'still there after 30 days');
      assert.equal(world.alerts.length, 1);
      assert.equal(world.alerts[0]?.kind, 'mailbox-not-acknowledging');
      assert.equal(world.alerts[0]?.recipientOds, 'A12345');
      assert.equal((await acknowledge(practice, id)).statusCode, 200);
      assert.equal((await world.outbox.find(world.db, id))?.status, 'delivered');
      const [health] = await endpointHealth(world.db);
      assert.equal(health?.alertedAt, null, 'the acknowledgement closes the outage');
    });
  });
}
