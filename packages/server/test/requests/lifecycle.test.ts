import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testDatabaseKinds } from '../support/databases.js';
import { json } from '../support/test-app.js';
import {
  action,
  all,
  assertRefused,
  createRequest,
  p,
  part,
  useRequestsWorld,
  value,
  type ParametersLike,
} from './support.js';

for (const kind of testDatabaseKinds()) {
  describe(`requests: lifecycle (${kind})`, () => {
    const world = useRequestsWorld(kind);
    const { respond, update, list } = world;

    it('takes a request from requested to completed, recording who, when and why at each step', async () => {
      const { id, request } = await createRequest(world, 'consultant', {
        category: 'other',
        reason: 'Please review the wound at the practice nurse clinic in 2 weeks',
      });
      assert.equal(value(request, 'status'), 'requested');
      assert.equal(value(request, 'owner'), 'Organization/practice-a');
      assert.equal(value(request, 'requestingPerson'), 'Dr Ada Jones');
      assert.equal(value(request, 'flagged'), false);

      const worklist = await list('$request-worklist', 'gpA');
      const entry = worklist.find((e) => value(e, 'request') === id);
      assert.ok(entry, 'the request is on the practice worklist');
      assert.deepEqual(
        entry.filter((e) => e.name === 'allowedAction').map((e) => e.valueCode),
        ['receive', 'accept', 'decline'],
      );

      world.t.clock.set('2026-03-02T11:00:00Z');
      assert.equal((await respond('adminA', action(id, 'receive'))).statusCode, 200);
      world.t.clock.set('2026-03-02T12:00:00Z');
      const accepted = await respond('gpA', action(id, 'accept', p.str('note', 'Booked with the nurse')));
      assert.equal(accepted.statusCode, 200, accepted.body);
      assert.equal(value(json<ParametersLike>(accepted).parameter, 'outcome'), 'accepted');
      world.t.clock.set('2026-03-16T09:00:00Z');
      assert.equal((await update('gpA', action(id, 'start'))).statusCode, 200);
      const done = await update('gpA', action(id, 'complete'));
      assert.equal(done.statusCode, 200, done.body);

      const tracked = (await list('$request-tracker', 'consultant')).find((e) => value(e, 'request') === id);
      assert.equal(value(tracked, 'status'), 'completed');
      assert.equal(value(tracked, 'accepted'), '2026-03-02T12:00:00.000Z');
      const events = all(tracked, 'event').map((e) => [value(e, 'to'), value(e, 'who'), value(e, 'at')]);
      assert.deepEqual(events, [
        ['requested', 'Dr Ada Jones', '2026-03-02T10:00:00.000Z'],
        ['received', 'Test practice-admin at practice-a', '2026-03-02T11:00:00.000Z'],
        ['accepted', 'Dr Sam Patel', '2026-03-02T12:00:00.000Z'],
        ['in-progress', 'Dr Sam Patel', '2026-03-16T09:00:00.000Z'],
        ['completed', 'Dr Sam Patel', '2026-03-16T09:00:00.000Z'],
      ]);
      // The completed request has left the worklist (open requests by default).
      assert.equal(
        (await list('$request-worklist', 'gpA')).find((e) => value(e, 'request') === id),
        undefined,
      );
    });

    it('stores the request as a valid FHIR Task that both organisations can read', async () => {
      const { id } = await createRequest(world, 'consultant', {
        category: 'fit-note',
        reason: 'Fit note for 4 weeks after surgery',
        due: '2026-03-20',
      });
      const read = await world.call('GET', `/fhir/Task/${id}`, 'gpA');
      assert.equal(read.statusCode, 200, read.body);
      const task = json<Record<string, unknown>>(read);
      assert.equal(task.status, 'requested');
      assert.deepEqual(task.owner, { reference: 'Organization/practice-a', display: 'Quayside Surgery' });
      assert.deepEqual(task.requester, { reference: 'Organization/trust', display: 'Kingsmere Hospitals' });
      assert.deepEqual(task.for, { reference: 'Patient/p1' });
      assert.deepEqual(task.restriction, { period: { end: '2026-03-20' } });
      const validated = await world.call('POST', '/fhir/Task/$validate', 'consultant', task);
      const issues = json<{ issue: Array<{ severity: string; diagnostics?: string }> }>(validated).issue;
      assert.deepEqual(
        issues.filter((issue) => issue.severity === 'error'),
        [],
        'the stored Task is valid R4',
      );
      assert.equal((await world.call('GET', `/fhir/Task/${id}`, 'consultant')).statusCode, 200);
      // A practice with nothing to do with the patient cannot read it.
      assert.equal((await world.call('GET', `/fhir/Task/${id}`, 'gpB')).statusCode, 404);
    });

    it('maps a decline onto Task.status rejected with the reason, and a cancellation onto cancelled', async () => {
      const declined = await createRequest(world, 'consultant', { category: 'other' });
      const answer = await respond(
        'gpA',
        action(declined.id, 'decline', p.str('reason', 'Not a GP service')),
      );
      assert.equal(answer.statusCode, 200, answer.body);
      const task = json<{ status: string; statusReason?: { text?: string } }>(
        await world.call('GET', `/fhir/Task/${declined.id}`, 'consultant'),
      );
      assert.equal(task.status, 'rejected');
      assert.equal(task.statusReason?.text, 'Not a GP service');

      const cancelled = await createRequest(world, 'consultant', { category: 'other' });
      assert.equal((await respond('gpA', action(cancelled.id, 'accept'))).statusCode, 200);
      const cancel = await update(
        'consultant',
        action(cancelled.id, 'cancel', p.str('reason', 'Patient readmitted')),
      );
      assert.equal(cancel.statusCode, 200, cancel.body);
      const communication = value(json<ParametersLike>(cancel).parameter, 'communication');
      const message = json<{
        recipient: Array<{ reference: string }>;
        payload: Array<{ contentString: string }>;
      }>(await world.call('GET', `/fhir/${String(communication)}`, 'gpA'));
      assert.deepEqual(message.recipient[0]?.reference, 'Organization/practice-a');
      assert.match(message.payload[0]?.contentString ?? '', /cancelled its request.*Patient readmitted\./);
    });

    it('treats a repeated answer as no change, and refuses a change the status does not allow', async () => {
      const { id } = await createRequest(world, 'consultant', { category: 'other' });
      assert.equal((await respond('gpA', action(id, 'accept'))).statusCode, 200);
      const again = await respond('gpA', action(id, 'accept'));
      assert.equal(again.statusCode, 200);
      assert.equal(value(json<ParametersLike>(again).parameter, 'outcome'), 'unchanged');
      const late = await respond('gpA', action(id, 'decline', p.str('reason', 'Changed my mind')));
      assertRefused(late, 409, 'request-transition-refused');
      assertRefused(await update('consultant', action(id, 'cancel')), 400, 'missing-required-element');
    });

    it('applies a write once when retried with the same X-Request-ID', async () => {
      const { id } = await createRequest(world, 'consultant', { category: 'other' });
      const headers = { 'x-request-id': `accept-${id}` };
      const first = await world.post('$respond-to-request', 'gpA', action(id, 'accept'), headers);
      const second = await world.post('$respond-to-request', 'gpA', action(id, 'accept'), headers);
      assert.equal(first.statusCode, 200);
      assert.equal(second.headers['x-replayed'], 'true');
      const tracked = (await list('$request-tracker', 'consultant')).find((e) => value(e, 'request') === id);
      assert.equal(all(tracked, 'event').length, 2);
    });

    it('audits every call with the operation and the patient', async () => {
      const { id } = await createRequest(world, 'consultant', {
        category: 'other',
        patient: 'p2',
        owner: 'practice-b',
      });
      await respond('gpB', action(id, 'receive'));
      await world.call('GET', '/fhir/$request-worklist', 'gpB');
      const entries = world.t.audit.entries.filter(
        (e) =>
          ['$create-request', '$respond-to-request', '$request-worklist'].includes(e.interaction) &&
          e.patientIds.includes('p2'),
      );
      assert.deepEqual(
        entries.slice(-3).map((e) => [e.interaction, e.outcome]),
        [
          ['$create-request', 'success'],
          ['$respond-to-request', 'success'],
          ['$request-worklist', 'success'],
        ],
      );
    });

    it('lists the request operations in the CapabilityStatement', async () => {
      const statement = json<{ rest: Array<{ operation: Array<{ name: string }> }> }>(
        await world.t.fhir('GET', '/fhir/metadata'),
      );
      const names = statement.rest[0]?.operation.map((o) => o.name) ?? [];
      for (const name of [
        'create-request',
        'respond-to-request',
        'request-worklist',
        'workload-ledger-csv',
      ]) {
        assert.ok(names.includes(name), name);
      }
    });

    it('shows the same request to both sides with its responsibility assessment', async () => {
      const { id } = await createRequest(world, 'consultant', { category: 'fit-note' });
      const worklist = (await list('$request-worklist', 'gpA', '?flagged=true')).find(
        (e) => value(e, 'request') === id,
      );
      assert.equal(value(part(worklist, 'responsibility'), 'clause'), 'NHS Standard Contract SC11.11');
    });
  });
}
