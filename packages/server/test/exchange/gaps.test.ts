import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testRangeNhsNumber } from '@carebridge/domain';
import { testDatabaseKinds } from '../support/databases.js';
import { json, outcomeCodes } from '../support/test-app.js';
import {
  P2_NHS,
  dischargeSummary,
  docParam,
  groups,
  value,
  type ParameterLike,
  type ParametersLike,
  useExchangeWorld,
} from './support.js';

/**
 * The exchange's remaining paths: re-routing a rejected letter, the review queue for held
 * documents, the per-sender assurance report, silent transport endpoints in the alarms, and two
 * identical submissions racing.
 */

const NHS = (n: number) => testRangeNhsNumber(200 + n);

for (const kind of testDatabaseKinds()) {
  describe(`exchange gaps (${kind})`, () => {
    const world = useExchangeWorld(kind, {
      patients: [
        { id: 'g1', nhs: NHS(1), practice: 'practice-a' },
        { id: 'g2', nhs: NHS(2), practice: 'practice-a' },
        { id: 'g3', nhs: NHS(3), practice: 'practice-a' },
      ],
      at: '2026-03-02T10:00:00Z',
    });
    const { call } = world;

    const submit = (body: unknown, who = 'consultant') => call('POST', '/fhir/$submit-document', who, body);
    const ledger = async (documentId: string, who = 'consultant') =>
      json<ParametersLike>(await call('GET', `/fhir/$document-ledger?document=${documentId}`, who));
    const rows = async (documentId: string) => groups(await ledger(documentId), 'recipient');
    const alarmCodes = async (who: string) =>
      groups(json<ParametersLike>(await call('GET', '/fhir/$exchange-alarms', who)), 'alarm').map(
        (a) => `${String(value(a, 'code'))}:${String(value(a, 'document') ?? value(a, 'endpoint'))}`,
      );
    const reject = (documentId: string, reason: string) =>
      call(
        'POST',
        '/fhir/$reject-document',
        'gpA',
        docParam(documentId, [{ name: 'reason', valueCode: reason }]),
      );
    const reroute = (documentId: string, who: string, extra: ParameterLike[] = []) =>
      call('POST', '/fhir/$reroute-document', who, docParam(documentId, extra));

    it('re-routes a letter rejected as "no longer registered" to the practice the patient moved to', async () => {
      assert.equal(
        (await submit(dischargeSummary({ documentId: 'moved', nhsNumber: NHS(1) }))).statusCode,
        201,
      );
      assert.equal((await reject('moved', 'no-longer-registered')).statusCode, 200);
      const patient = json<Record<string, unknown>>(await world.t.fhir('GET', '/fhir/Patient/g1'));
      const moved = await world.t.fhir('PUT', '/fhir/Patient/g1', {
        ...patient,
        generalPractitioner: [{ reference: 'Organization/practice-b' }],
      });
      assert.equal(moved.statusCode, 200, moved.body);
      // Another organisation cannot even see that the document exists.
      assert.equal((await reroute('moved', 'gpB')).statusCode, 404);
      const response = await reroute('moved', 'consultant');
      assert.equal(response.statusCode, 200, response.body);
      const [old, created] = await rows('moved');
      assert.equal(value(old, 'state'), 'rerouted');
      assert.equal(value(old, 'reroutedTo'), value(created, 'row'));
      assert.equal(value(created, 'organization'), 'Organization/practice-b');
      assert.equal(value(created, 'state'), 'delivered');
      assert.equal(value(created, 'reroutedFrom'), value(old, 'row'));
      const inbox = json<ParametersLike>(await call('GET', '/fhir/$inbox', 'gpB'));
      assert.ok(groups(inbox, 'entry').some((e) => value(e, 'document') === 'moved'));
      world.t.clock.set('2026-03-04T10:00:00Z');
      assert.ok(!(await alarmCodes('consultant')).includes('rejection-unresolved:moved'));
      world.t.clock.set('2026-03-02T10:00:00Z');
    });

    it('sends a letter rejected "not our patient" back to the same practice when operations confirm it, as a new message', async () => {
      assert.equal(
        (await submit(dischargeSummary({ documentId: 'confirmed', nhsNumber: NHS(2) }))).statusCode,
        201,
      );
      assert.equal((await reject('confirmed', 'not-our-patient')).statusCode, 200);
      const response = await reroute('confirmed', 'ops', [
        { name: 'to', valueReference: { reference: 'Organization/practice-a' } },
      ]);
      assert.equal(response.statusCode, 200, response.body);
      const [row] = await rows('confirmed');
      assert.equal(value(row, 'state'), 'delivered');
      const events = (row ?? []).filter((p) => p.name === 'event').map((e) => value(e.part, 'to'));
      assert.deepEqual(events, ['final', 'queued', 'delivered', 'rejected', 'queued', 'delivered']);
    });

    it('refuses to re-route a letter rejected for its content: it must be corrected', async () => {
      assert.equal(
        (await submit(dischargeSummary({ documentId: 'faulty', nhsNumber: NHS(3) }))).statusCode,
        201,
      );
      assert.equal((await reject('faulty', 'wrong-patient')).statusCode, 200);
      const response = await reroute('faulty', 'consultant', [
        { name: 'to', valueReference: { reference: 'Organization/practice-b' } },
      ]);
      assert.equal(response.statusCode, 409);
      assert.deepEqual(outcomeCodes(response), ['ledger-transition-refused']);
      assert.equal(value((await rows('faulty'))[0], 'state'), 'rejected');
      assert.equal((await rows('faulty')).length, 1, 'nothing was created');
    });

    it('lists documents held for review, alarms them after 1 working day, and releases one to the confirmed patient', async () => {
      const held = await submit(
        dischargeSummary({ documentId: 'mismatch', nhsNumber: NHS(2), family: 'OBrien' }),
      );
      assert.equal(value(json<ParametersLike>(held).parameter, 'status'), 'held');
      const queue = json<ParametersLike>(await call('GET', '/fhir/$held-documents', 'ops'));
      const entry = groups(queue, 'held').find((h) => value(h, 'document') === 'mismatch');
      assert.equal(value(entry, 'reason'), 'demographics-mismatch');
      assert.equal(value(entry, 'nhsNumber'), NHS(2));
      const own = json<ParametersLike>(await call('GET', '/fhir/$held-documents', 'consultant'));
      assert.ok(groups(own, 'held').some((h) => value(h, 'document') === 'mismatch'));
      const practice = json<ParametersLike>(await call('GET', '/fhir/$held-documents', 'gpA'));
      assert.equal(groups(practice, 'held').length, 0);
      assert.equal((await call('GET', '/fhir/$held-documents?bogus=1', 'ops')).statusCode, 400);

      world.t.clock.set('2026-03-03T09:59:00Z');
      assert.ok(!(await alarmCodes('ops')).includes('held-for-review:mismatch'));
      world.t.clock.set('2026-03-03T10:00:00Z');
      assert.ok((await alarmCodes('ops')).includes('held-for-review:mismatch'));
      assert.ok((await alarmCodes('consultant')).includes('held-for-review:mismatch'));

      const release = (who: string, extra: ParameterLike[]) =>
        call(
          'POST',
          '/fhir/$resolve-held-document',
          who,
          docParam('mismatch', [{ name: 'action', valueCode: 'release' }, ...extra]),
        );
      assert.equal((await release('gpA', [])).statusCode, 403);
      const unmatched = await release('ops', []);
      assert.equal(
        unmatched.statusCode,
        409,
        'the demographics still differ: a person must name the patient',
      );
      const wrongPerson = await release('ops', [
        { name: 'patient', valueReference: { reference: 'Patient/g3' } },
      ]);
      assert.equal(wrongPerson.statusCode, 409);
      const released = await release('ops', [
        { name: 'patient', valueReference: { reference: 'Patient/g2' } },
        { name: 'detail', valueString: 'Same person: surname spelt differently by the ward' },
      ]);
      assert.equal(released.statusCode, 200, released.body);
      const body = json<ParametersLike>(released);
      assert.equal(value(body.parameter, 'outcome'), 'released');
      assert.equal(value(groups(body, 'recipient')[0], 'state'), 'delivered');
      const view = await ledger('mismatch');
      assert.equal(value(view.parameter, 'patient'), 'Patient/g2');
      assert.equal(value(view.parameter, 'resolution'), 'released');
      assert.ok(!(await alarmCodes('ops')).includes('held-for-review:mismatch'));
      const reference = json<{ entry?: unknown[] }>(
        await call('GET', '/fhir/DocumentReference?subject=Patient/g2', 'gpA'),
      );
      assert.ok((reference.entry?.length ?? 0) >= 1);
    });

    it('returns a held document to its sender with the reason, delivering it to nobody', async () => {
      await submit(dischargeSummary({ documentId: 'unknown', nhsNumber: testRangeNhsNumber(299) }));
      const response = await call(
        'POST',
        '/fhir/$resolve-held-document',
        'ops',
        docParam('unknown', [
          { name: 'action', valueCode: 'return' },
          { name: 'detail', valueString: 'No such patient on the spine: check the NHS number' },
        ]),
      );
      assert.equal(response.statusCode, 200, response.body);
      const view = await ledger('unknown');
      assert.equal(value(view.parameter, 'status'), 'returned');
      assert.equal(
        value(view.parameter, 'resolutionDetail'),
        'No such patient on the spine: check the NHS number',
      );
      assert.equal(groups(view, 'recipient').length, 0);
      const again = await call(
        'POST',
        '/fhir/$resolve-held-document',
        'ops',
        docParam('unknown', [{ name: 'action', valueCode: 'return' }]),
      );
      assert.equal(again.statusCode, 409);
    });

    it("reports a sender's submissions: accepted, refused by reason, duplicates, conflicts, held by reason", async () => {
      world.t.clock.set('2026-03-10T10:00:00Z');
      assert.equal(
        (await submit(dischargeSummary({ documentId: 'r-ok', nhsNumber: NHS(1) }))).statusCode,
        201,
      );
      assert.equal(
        (await submit(dischargeSummary({ documentId: 'r-ok', nhsNumber: NHS(1) }))).statusCode,
        200,
      );
      const conflict = await submit(
        dischargeSummary({ documentId: 'r-ok', nhsNumber: NHS(1), diagnosisText: 'x' }),
      );
      assert.equal(conflict.statusCode, 409);
      assert.deepEqual(outcomeCodes(conflict), ['document-conflict']);
      const refused = await submit(dischargeSummary({ documentId: 'r-bad', nhsNumber: '1234567890' }));
      assert.equal(refused.statusCode, 422);
      await submit(dischargeSummary({ documentId: 'r-held', nhsNumber: NHS(3), birthDate: '1960-01-01' }));
      const report = async (who: string, query: string) => {
        const response = await call('GET', `/fhir/$assurance-report?${query}`, who);
        return { response, body: response.statusCode === 200 ? json<ParametersLike>(response) : undefined };
      };
      const { response, body } = await report('ops', 'sender=RZZ&since=2026-03-10');
      assert.equal(response.statusCode, 200, response.body);
      const count = (name: string) => value(body?.parameter, name);
      assert.deepEqual(
        ['accepted', 'rejected', 'duplicates', 'conflicts', 'held'].map(count),
        [1, 1, 1, 1, 1],
      );
      const reasons = groups(body ?? { resourceType: 'Parameters' }, 'rejectedReason').map((r) =>
        value(r, 'reason'),
      );
      assert.deepEqual(reasons, ['invalid-nhs-number']);
      const held = groups(body ?? { resourceType: 'Parameters' }, 'heldReason').map((r) =>
        value(r, 'reason'),
      );
      assert.deepEqual(held, ['demographics-mismatch']);
      const mine = await report('consultant', 'since=2026-03-10');
      assert.equal(value(mine.body?.parameter, 'sender'), 'RZZ');
      assert.equal((await report('consultant', 'sender=Y99901')).response.statusCode, 403);
      assert.equal((await report('ops', 'since=2026-03-10')).response.statusCode, 400);
      assert.equal((await report('patient1', 'sender=RZZ')).response.statusCode, 403);
    });

    it('raises endpoint-not-acknowledging for operations when an external practice stops acknowledging', async () => {
      world.t.clock.set('2026-03-11T09:00:00Z');
      assert.equal(
        (await submit(dischargeSummary({ documentId: 'ext-silent', nhsNumber: P2_NHS }))).statusCode,
        201,
      );
      world.t.clock.set('2026-03-11T09:29:00Z');
      assert.ok(!(await alarmCodes('ops')).some((code) => code.startsWith('endpoint-not-acknowledging')));
      world.t.clock.set('2026-03-11T09:31:00Z');
      const alarms = groups(
        json<ParametersLike>(await call('GET', '/fhir/$exchange-alarms', 'ops')),
        'alarm',
      );
      const silent = alarms.find((a) => value(a, 'code') === 'endpoint-not-acknowledging');
      assert.match(String(value(silent, 'endpoint')), /ext-mailbox \(Y99903\)/);
      assert.equal(value(silent, 'party'), 'operations');
      assert.ok(
        !(await alarmCodes('consultant')).some((code) => code.startsWith('endpoint-not-acknowledging')),
      );
      const messageId = value(groups(await ledger('ext-silent'), 'recipient')[0], 'outboxMessage');
      assert.equal(
        await world.t.app.outbox.acknowledgeMailboxMessage(
          world.t.database.db,
          'Y99903',
          String(messageId),
          'Y99903-system',
        ),
        'acknowledged',
      );
      const after = await alarmCodes('ops');
      assert.ok(!after.some((code) => code.startsWith('endpoint-not-acknowledging')), after.join());
    });

    it('makes exactly one document of two identical submissions racing, answering the other as a duplicate', async () => {
      const bundle = dischargeSummary({ documentId: 'race', nhsNumber: NHS(1), diagnosisText: 'Race' });
      const answers = await Promise.all([submit(bundle), submit(bundle)]);
      assert.deepEqual(
        answers.map((a) => a.statusCode).sort(),
        [200, 201],
        answers.map((a) => a.body).join('\n'),
      );
      const outcomes = answers.map((a) => value(json<ParametersLike>(a).parameter, 'outcome')).sort();
      assert.deepEqual(outcomes, ['accepted', 'duplicate']);
      const { rows: counts } = await world.t.database.db.query<{
        documents: number;
        rows: number;
        bundles: number;
      }>(
        `select (select count(*)::int from exchange_document where document_id = 'race') as documents,
           (select count(*)::int from delivery_row where document_id = 'race') as rows,
           (select count(*)::int from resource r join exchange_document e on e.bundle_id = r.id
             where r.resource_type = 'Bundle' and e.document_id = 'race') as bundles`,
      );
      assert.deepEqual(counts[0], { documents: 1, rows: 1, bundles: 1 });
    });

    it('lists the new operations in the CapabilityStatement', async () => {
      const statement = json<{ rest: Array<{ operation: Array<{ name: string }> }> }>(
        await world.t.fhir('GET', '/fhir/metadata'),
      );
      const names = statement.rest[0]?.operation.map((o) => o.name) ?? [];
      for (const name of [
        'release-backlog',
        'backlog-triage',
        'reroute-document',
        'held-documents',
        'resolve-held-document',
        'assurance-report',
      ]) {
        assert.ok(names.includes(name), name);
      }
    });
  });
}
