import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Bundle, BundleEntry, Composition, FhirResource } from 'fhir/r4.js';
import { SNOMED_CT_SYSTEM } from '@carebridge/domain';
import { testDatabaseKinds } from '../support/databases.js';
import { json } from '../support/test-app.js';
import { dischargeSummary, docParam } from '../exchange/support.js';
import {
  action,
  all,
  groups,
  p,
  part,
  requestsWorld,
  value,
  type ParametersLike,
  type RequestsWorld,
} from './support.js';

/** A discharge summary whose plan asks for a medication review (the support's), a blood test and a fit note. */
function letterWithActions(documentId: string): Bundle<FhirResource> {
  const bundle = dischargeSummary({ documentId });
  const extra: Array<[string, string, string]> = [
    ['396550006', 'Blood test', 'Please check U&E in 1 week and act on the result'],
    ['710081004', 'Administrative procedure', 'Please issue a fit note for 2 weeks'],
  ];
  const composition = bundle.entry?.[0]?.resource as Composition;
  const plan = composition.section?.find((section) => section.title === 'Plan and requested actions');
  extra.forEach(([code, display, description], index) => {
    const fullUrl = `urn:uuid:00000000-0000-4000-8000-0000000001${String(index).padStart(2, '0')}`;
    const entry: BundleEntry<FhirResource> = {
      fullUrl,
      resource: {
        resourceType: 'Task',
        status: 'requested',
        intent: 'order',
        // The letter's own patient entry, whatever full URL the fixture gave it.
        for: { reference: composition.subject?.reference ?? '' },
        code: { coding: [{ system: SNOMED_CT_SYSTEM, code, display }] },
        description,
      },
    };
    bundle.entry?.push(entry);
    plan?.entry?.push({ reference: fullUrl });
  });
  return bundle;
}

for (const kind of testDatabaseKinds()) {
  describe(`requests: a letter's actions become requests (${kind})`, () => {
    let world: RequestsWorld;
    let filedTasks: string[] = [];

    before(async () => {
      world = await requestsWorld(kind);
      const submitted = await world.call(
        'POST',
        '/fhir/$submit-document',
        'consultant',
        letterWithActions('letter-1'),
      );
      assert.equal(submitted.statusCode, 201, submitted.body);
    });
    after(() => world.t.close());

    const worklist = async (who: string) =>
      groups(json<ParametersLike>(await world.call('GET', '/fhir/$request-worklist', who)), 'entry').filter(
        (entry) => value(entry, 'source') === 'letter',
      );

    it('files the letter and turns each action into a received request owned by the practice', async () => {
      world.t.clock.set('2026-03-03T09:30:00Z');
      const filed = await world.call('POST', '/fhir/$file-document', 'gpA', docParam('letter-1'));
      assert.equal(filed.statusCode, 200, filed.body);
      filedTasks = (json<ParametersLike>(filed).parameter ?? [])
        .filter((parameter) => parameter.name === 'written')
        .map((parameter) => parameter.valueReference?.reference ?? '')
        .filter((reference) => reference.startsWith('Task/'));
      assert.equal(filedTasks.length, 3);

      const entries = await worklist('gpA');
      assert.equal(entries.length, 3);
      for (const entry of entries) {
        assert.equal(value(entry, 'status'), 'received');
        assert.equal(value(entry, 'owner'), 'Organization/practice-a');
        assert.equal(value(entry, 'requester'), 'Organization/trust');
        assert.equal(value(entry, 'requestingPerson'), 'Dr Jones');
        assert.equal(value(entry, 'careContext'), 'inpatient');
        assert.match(String(value(entry, 'focus')), /^DocumentReference\//);
        assert.deepEqual(
          all(entry, 'event').map((event) => [value(event, 'to'), value(event, 'event')]),
          [
            ['requested', 'letter'],
            ['received', 'file'],
          ],
        );
        assert.deepEqual(
          entry.filter((e) => e.name === 'allowedAction').map((e) => e.valueCode),
          ['accept', 'decline'],
        );
      }
      const byCategory = Object.fromEntries(
        entries.map((entry) => [String(value(entry, 'category')), entry] as const),
      );
      // Reviewing a medicine the hospital started is the practice's ordinary work: not flagged.
      assert.equal(value(byCategory['prescribe-medication'], 'flagged'), false);
      assert.equal(value(byCategory['prescribe-medication'], 'categorySource'), 'snomed');
      // A test the hospital wants is the hospital's to arrange, and its result the hospital's to act on.
      assert.equal(value(byCategory['arrange-test'], 'flagged'), true);
      assert.equal(
        value(part(byCategory['arrange-test'], 'responsibility'), 'rule'),
        'tests-owned-by-requester',
      );
      // An uncatalogued code is classified from its words, and says so.
      assert.equal(value(byCategory['fit-note'], 'categorySource'), 'text');
      assert.equal(
        value(part(byCategory['fit-note'], 'responsibility'), 'clause'),
        'NHS Standard Contract SC11.11',
      );
    });

    it('shows the letter’s requests on the sender’s tracker', async () => {
      const tracker = groups(
        json<ParametersLike>(await world.call('GET', '/fhir/$request-tracker', 'consultant')),
        'entry',
      );
      assert.equal(tracker.filter((entry) => value(entry, 'source') === 'letter').length, 3);
    });

    it('stores each as a Task in status received, with the sender’s own coding kept', async () => {
      const task = json<{
        status: string;
        input?: Array<{ valueCodeableConcept?: { coding?: Array<{ code: string }> } }>;
      }>(await world.call('GET', `/fhir/${filedTasks[0] ?? ''}`, 'gpA'));
      assert.equal(task.status, 'received');
      assert.ok(task.input?.[0]?.valueCodeableConcept?.coding?.[0]?.code);
    });

    it('never creates a letter’s requests twice', async () => {
      const again = await world.call('POST', '/fhir/$file-document', 'gpA', docParam('letter-1'));
      assert.equal(again.statusCode, 200);
      assert.equal((await worklist('gpA')).length, 3);
    });

    it('lets the practice decline the blood test citing the rule, back to the hospital', async () => {
      const entries = await worklist('gpA');
      const test = entries.find((entry) => value(entry, 'category') === 'arrange-test');
      const declined = await world.call(
        'POST',
        '/fhir/$respond-to-request',
        'gpA',
        action(String(value(test, 'request')), 'decline', p.bool('cite-rule', true)),
      );
      assert.equal(declined.statusCode, 200, declined.body);
      const review = entries.find((entry) => value(entry, 'category') === 'prescribe-medication');
      const accepted = await world.call(
        'POST',
        '/fhir/$respond-to-request',
        'gpA',
        action(String(value(review, 'request')), 'accept'),
      );
      assert.equal(accepted.statusCode, 200);
      const tracker = groups(
        json<ParametersLike>(await world.call('GET', '/fhir/$request-tracker', 'consultant')),
        'entry',
      );
      const statuses = tracker
        .filter((entry) => value(entry, 'source') === 'letter')
        .map((entry) => `${String(value(entry, 'category'))}:${String(value(entry, 'status'))}`)
        .sort();
      assert.deepEqual(statuses, [
        'arrange-test:declined',
        'fit-note:received',
        'prescribe-medication:accepted',
      ]);
    });
  });
}
