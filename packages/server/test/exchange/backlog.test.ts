import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testRangeNhsNumber } from '@carebridge/domain';
import { testDatabaseKinds } from '../support/databases.js';
import { json, outcomeCodes } from '../support/test-app.js';
import {
  HOLD_FOR_RELEASE,
  dischargeSummary,
  groups,
  submission,
  value,
  type ParameterLike,
  type ParametersLike,
  useExchangeWorld,
} from './support.js';

/**
 * Backlog release: letters found in a sender's outbox after an outage are ingested held
 * (`hold-for-release`), then delivered by `$release-backlog`: per patient in date order, flagged
 * "delayed: N days late", de-duplicated by content against what each practice already has (the
 * duplicate recorded on its row), with a triage summary per practice, in committed batches that a
 * re-run resumes without doing anything twice.
 */

const NHS = (n: number) => testRangeNhsNumber(100 + n);

for (const kind of testDatabaseKinds()) {
  describe(`backlog release (${kind})`, () => {
    const world = useExchangeWorld(kind, {
      patients: [
        { id: 'b1', nhs: NHS(1), practice: 'practice-a' },
        { id: 'b2', nhs: NHS(2), practice: 'practice-a' },
        { id: 'b3', nhs: NHS(3), practice: 'practice-b' },
      ],
      at: '2026-03-20T10:00:00Z',
    });
    const { call } = world;

    const submit = (body: unknown) => call('POST', '/fhir/$submit-document', 'consultant', body);
    const hold = async (options: Parameters<typeof dischargeSummary>[0]) => {
      const response = await submit(submission(dischargeSummary(options), [HOLD_FOR_RELEASE]));
      assert.equal(response.statusCode, 201, response.body);
      return json<ParametersLike>(response);
    };
    const release = async (who: string, parameter: ParameterLike[]) => {
      const response = await call('POST', '/fhir/$release-backlog', who, {
        resourceType: 'Parameters',
        parameter,
      });
      return { response, body: response.statusCode === 200 ? json<ParametersLike>(response) : undefined };
    };
    const ledgerRow = async (documentId: string) => {
      const response = await call('GET', `/fhir/$document-ledger?document=${documentId}`, 'ops');
      assert.equal(response.statusCode, 200, response.body);
      return groups(json<ParametersLike>(response), 'recipient')[0];
    };
    const sender = { name: 'sender', valueString: 'RZZ' };

    it('ingests a held backlog without delivering it, and alarms it as undelivered', async () => {
      // Already delivered before the outage: the practice has this content.
      const sent = await submit(
        dischargeSummary({
          documentId: 'before-outage',
          nhsNumber: NHS(1),
          discharge: '2026-03-01T12:00:00Z',
        }),
      );
      assert.equal(sent.statusCode, 201, sent.body);
      const held = await hold({
        documentId: 'bl-b1-old',
        nhsNumber: NHS(1),
        discharge: '2026-03-02T12:00:00Z',
      });
      assert.equal(value(held.parameter, 'status'), 'final');
      assert.deepEqual(
        groups(held, 'recipient').map((row) => value(row, 'state')),
        ['final'],
      );
      await hold({
        documentId: 'bl-b1-new',
        nhsNumber: NHS(1),
        discharge: '2026-03-10T12:00:00Z',
        diagnosisText: 'Angina',
        noMedicationChange: true,
        noAction: true,
      });
      // The same letter as before-outage, re-generated with a new id: the practice must not get it twice.
      await hold({ documentId: 'bl-b1-resent', nhsNumber: NHS(1), discharge: '2026-03-01T12:00:00Z' });
      await hold({
        documentId: 'bl-b2',
        nhsNumber: NHS(2),
        discharge: '2026-03-05T12:00:00Z',
        diagnosisText: 'Pneumonia',
        noMedicationChange: true,
      });
      // Two copies of one letter in the backlog itself: one is delivered, the other recorded as its duplicate.
      await hold({
        documentId: 'bl-b3-a',
        nhsNumber: NHS(3),
        discharge: '2026-03-04T12:00:00Z',
        diagnosisText: 'COPD',
      });
      await hold({
        documentId: 'bl-b3-b',
        nhsNumber: NHS(3),
        discharge: '2026-03-04T12:00:00Z',
        diagnosisText: 'COPD',
      });

      const inbox = json<ParametersLike>(await call('GET', '/fhir/$inbox', 'gpA'));
      assert.deepEqual(
        groups(inbox, 'entry').map((entry) => value(entry, 'document')),
        ['before-outage'],
      );
      const ledger = json<ParametersLike>(
        await call('GET', '/fhir/$document-ledger?document=bl-b2', 'consultant'),
      );
      assert.ok(value(ledger.parameter, 'heldForRelease'));
      const alarms = groups(
        json<ParametersLike>(await call('GET', '/fhir/$exchange-alarms', 'ops')),
        'alarm',
      );
      assert.ok(
        alarms.some((a) => value(a, 'code') === 'delivery-sla-breached' && value(a, 'document') === 'bl-b2'),
      );
    });

    it('refuses to hold a preliminary document: only an issued letter can wait for a release', async () => {
      const response = await submit(
        submission(dischargeSummary({ documentId: 'bl-draft', nhsNumber: NHS(1), status: 'preliminary' }), [
          HOLD_FOR_RELEASE,
        ]),
      );
      assert.equal(response.statusCode, 400, response.body);
      assert.deepEqual(outcomeCodes(response), ['invalid-value']);
    });

    it('lets only operations release a backlog', async () => {
      for (const who of ['gpA', 'consultant']) {
        const { response } = await release(who, [sender]);
        assert.equal(response.statusCode, 403, response.body);
      }
    });

    it('plans a dry run without changing anything: triage per practice, duplicates named', async () => {
      const { response, body } = await release('ops', [sender, { name: 'dryRun', valueBoolean: true }]);
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(value(body?.parameter, 'status'), 'dry-run');
      assert.equal(value(body?.parameter, 'release'), undefined);
      assert.equal(value(body?.parameter, 'total'), 6);
      assert.equal(value(body?.parameter, 'toDeliver'), 4);
      assert.equal(value(body?.parameter, 'duplicates'), 2);
      const practices = groups(body ?? { resourceType: 'Parameters' }, 'practice');
      assert.deepEqual(
        practices.map((p) => [value(p, 'ods'), value(p, 'total'), value(p, 'duplicates')]),
        [
          ['Y99901', 3, 1],
          ['Y99902', 1, 1],
        ],
      );
      assert.equal(value((await ledgerRow('bl-b2')) ?? [], 'state'), 'final');
    });

    let releaseId = '';

    it('resumes an unfinished release instead of starting another, and finishes only what is pending', async () => {
      const first = await release('ops', [
        sender,
        { name: 'batchSize', valueInteger: 2 } as ParameterLike,
        { name: 'maxBatches', valueInteger: 1 } as ParameterLike,
      ]);
      assert.equal(first.response.statusCode, 200, first.response.body);
      releaseId = String(value(first.body?.parameter, 'release'));
      assert.equal(value(first.body?.parameter, 'status'), 'running');
      assert.equal(value(first.body?.parameter, 'processed'), 2);
      assert.equal(value(first.body?.parameter, 'remaining'), 4);
      const again = await release('ops', [sender]);
      assert.equal(again.response.statusCode, 200, again.response.body);
      assert.equal(value(again.body?.parameter, 'release'), releaseId);
      assert.equal(value(again.body?.parameter, 'status'), 'complete');
      assert.equal(value(again.body?.parameter, 'processed'), 6);
      assert.equal(value(again.body?.parameter, 'delivered'), 4);
      assert.equal(value(again.body?.parameter, 'duplicatesRecorded'), 2);
      // Nothing is left held for this sender: the same selection again plans an empty release.
      const empty = await release('ops', [sender]);
      assert.equal(value(empty.body?.parameter, 'total'), 0);
      assert.notEqual(value(empty.body?.parameter, 'release'), releaseId);
      const audit = await world.t.database.db.query<{ n: number }>(
        `select count(*)::int as n from audit_event where interaction = '$release-backlog' and patient_ids @> array['b1']`,
      );
      assert.ok((audit.rows[0]?.n ?? 0) >= 1, 'each batch is audited with its patients');
    });

    it('flags each delivered letter "delayed: N days late" on its ledger row and in the inbox', async () => {
      const row = await ledgerRow('bl-b2');
      assert.equal(value(row, 'state'), 'delivered');
      assert.equal(value(row, 'release'), releaseId);
      // Discharged 5 March 12:00, due 6 March 12:00, released 20 March 10:00: 13 whole days late.
      assert.equal(value(row, 'delayedDays'), 13);
      assert.equal(value(row, 'lateness'), 'delayed: 13 days late');
      const events = (row ?? []).filter((p) => p.name === 'event').map((e) => value(e.part, 'to'));
      assert.deepEqual(events, ['final', 'queued', 'delivered']);
      const inbox = json<ParametersLike>(await call('GET', '/fhir/$inbox?delayed=true', 'gpA'));
      const entry = groups(inbox, 'entry').find((e) => value(e, 'document') === 'bl-b2');
      assert.equal(value(entry, 'lateness'), 'delayed: 13 days late');
    });

    it('records a letter the practice already had as a duplicate of the row that delivered it, never sending it', async () => {
      const original = await ledgerRow('before-outage');
      const resent = await ledgerRow('bl-b1-resent');
      assert.equal(value(resent, 'state'), 'duplicate');
      assert.equal(value(resent, 'duplicateOf'), value(original, 'row'));
      assert.equal(value(resent, 'delivered'), undefined);
      const a = await ledgerRow('bl-b3-a');
      const b = await ledgerRow('bl-b3-b');
      assert.equal(value(a, 'state'), 'delivered');
      assert.equal(value(b, 'state'), 'duplicate');
      assert.equal(value(b, 'duplicateOf'), value(a, 'row'));
      const inbox = json<ParametersLike>(await call('GET', '/fhir/$inbox', 'gpA'));
      assert.ok(!groups(inbox, 'entry').some((e) => value(e, 'document') === 'bl-b1-resent'));
    });

    it("delivers each patient's letters together, oldest first, and lists them so in the release's inbox", async () => {
      const inbox = json<ParametersLike>(await call('GET', `/fhir/$inbox?release=${releaseId}`, 'gpA'));
      assert.deepEqual(
        groups(inbox, 'entry').map((e) => value(e, 'document')),
        ['bl-b1-old', 'bl-b1-new', 'bl-b2'],
      );
      const paged = json<ParametersLike>(
        await call('GET', `/fhir/$inbox?release=${releaseId}&_count=2`, 'gpA'),
      );
      const next = value(paged.parameter, 'next');
      const rest = json<ParametersLike>(
        await call('GET', `/fhir/$inbox?release=${releaseId}&_count=2&cursor=${String(next)}`, 'gpA'),
      );
      assert.deepEqual(
        groups(rest, 'entry').map((e) => value(e, 'document')),
        ['bl-b2'],
      );
    });

    it('gives each practice a triage of its letters, medication changes and actions first, kept for later', async () => {
      const response = await call('GET', `/fhir/$backlog-triage?release=${releaseId}`, 'gpA');
      assert.equal(response.statusCode, 200, response.body);
      const triage = json<ParametersLike>(response);
      const [practice] = groups(triage, 'practice');
      assert.equal(value(practice, 'ods'), 'Y99901');
      assert.equal(value(practice, 'withMedicationChanges'), 1);
      assert.equal(value(practice, 'withActions'), 2);
      assert.equal(value(practice, 'duplicates'), 1);
      assert.deepEqual(
        groups(triage, 'item').map((i) => [value(i, 'document'), value(i, 'priority'), value(i, 'outcome')]),
        [
          ['bl-b1-old', 'medication-changes-and-actions', 'delivered'],
          ['bl-b2', 'actions', 'delivered'],
          ['bl-b1-new', 'routine', 'delivered'],
          ['bl-b1-resent', 'duplicate', 'duplicate'],
        ],
      );
      // Another practice reads only its own; a practice the release brought nothing is told so.
      const b = json<ParametersLike>(await call('GET', `/fhir/$backlog-triage?release=${releaseId}`, 'gpB'));
      assert.deepEqual(
        groups(b, 'item').map((i) => value(i, 'document')),
        ['bl-b3-a', 'bl-b3-b'],
      );
      assert.equal(
        (await call('GET', `/fhir/$backlog-triage?release=${releaseId}&practice=Y99902`, 'gpA')).statusCode,
        403,
      );
      const ops = json<ParametersLike>(
        await call('GET', `/fhir/$backlog-triage?release=${releaseId}&practice=Y99902`, 'ops'),
      );
      assert.equal(groups(ops, 'item').length, 2);
      assert.equal((await call('GET', '/fhir/$backlog-triage', 'ops')).statusCode, 400);
    });

    it('leaves no row of a released document waiting, and no row delivered twice', async () => {
      const { rows } = await world.t.database.db.query<{ state: string; n: number }>(
        `select d.state, count(*)::int as n from delivery_row d join exchange_document e on e.id = d.document_row
          where e.held_for_release_at is not null group by d.state order by d.state`,
      );
      assert.deepEqual(
        rows.map((row) => [row.state, row.n]),
        [
          ['delivered', 4],
          ['duplicate', 2],
        ],
      );
      const twice = await world.t.database.db.query(
        `select row_id from delivery_event where to_state = 'delivered' group by row_id having count(*) > 1`,
      );
      assert.equal(twice.rows.length, 0);
    });
  });
}
