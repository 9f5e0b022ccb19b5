import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testDatabaseKinds } from '../support/databases.js';
import { createTestApp, json, outcomeCodes, type TestApp } from '../support/test-app.js';
import {
  P2_NHS,
  P3_NHS,
  buildExchangeWorld,
  dischargeSummary,
  docParam,
  groups,
  value,
  type ParametersLike,
} from './support.js';

for (const kind of testDatabaseKinds()) {
  describe(`document exchange (${kind})`, () => {
    let t: TestApp;
    let auth: Record<string, string>;

    before(async () => {
      t = await createTestApp(kind);
      auth = await buildExchangeWorld(t);
      t.clock.set('2026-03-02T10:00:00Z');
    });
    after(() => t.close());

    const call = (method: 'GET' | 'POST', url: string, who: string, body?: unknown) =>
      t.fhir(method, url, body, { authorization: auth[who] ?? '' });
    const submit = (who: string, body: unknown) => call('POST', '/fhir/$submit-document', who, body);
    const ledger = async (who: string, documentId: string) => {
      const response = await call(
        'GET',
        `/fhir/$document-ledger?document=${encodeURIComponent(documentId)}`,
        who,
      );
      return { response, body: response.statusCode === 200 ? json<ParametersLike>(response) : undefined };
    };
    const rowState = (body: ParametersLike | undefined, recipientKind: string) =>
      groups(body ?? { resourceType: 'Parameters' }, 'recipient').find(
        (r) => value(r, 'recipientKind') === recipientKind,
      );

    it('delivers a final discharge summary to the registered practice in the same transaction', async () => {
      const response = await submit('consultant', dischargeSummary({ documentId: 'doc-1' }));
      assert.equal(response.statusCode, 201, response.body);
      const body = json<ParametersLike>(response);
      assert.equal(value(body.parameter, 'outcome'), 'accepted');
      const [row] = groups(body, 'recipient');
      assert.equal(value(row, 'state'), 'delivered');
      assert.equal(value(row, 'organization'), 'Organization/practice-a');
      const { body: view } = await ledger('consultant', 'doc-1');
      const practice = rowState(view, 'practice');
      assert.ok(value(practice, 'authorised') && value(practice, 'queued') && value(practice, 'delivered'));
      const events = (practice ?? []).filter((p) => p.name === 'event').map((e) => value(e.part, 'to'));
      assert.deepEqual(events, ['final', 'queued', 'delivered']);
      // Searchable as a DocumentReference by the practice, with the patient audited.
      const search = await call('GET', '/fhir/DocumentReference?subject=Patient/p1', 'gpA');
      assert.equal(json<{ total?: number; entry?: unknown[] }>(search).entry?.length, 1);
      const audit = t.audit.entries.find((e) => e.interaction === '$submit-document' && e.httpStatus === 201);
      assert.deepEqual(audit?.patientIds, ['p1']);
    });

    it('gives the letter itself to the parties of its ledger only, audited with the patient', async () => {
      const read = (who: string) => call('GET', '/fhir/$document?document=doc-1', who);
      for (const who of ['consultant', 'gpA']) {
        const response = await read(who);
        assert.equal(response.statusCode, 200, `${who}: ${response.body}`);
        const bundle = json<{ resourceType: string; type?: string; identifier?: { value?: string } }>(
          response,
        );
        assert.equal(bundle.resourceType, 'Bundle');
        assert.equal(bundle.type, 'document');
        assert.equal(bundle.identifier?.value, 'doc-1');
      }
      assert.equal((await read('gpB')).statusCode, 404, 'another practice cannot read it');
      const audited = t.audit.entries.filter((e) => e.interaction === '$document');
      assert.ok(
        audited.length >= 3 && audited.every((e) => e.patientIds.includes('p1') || e.httpStatus === 404),
      );
    });

    it('answers a re-sent identical document as a duplicate and a reused id with new content as 409', async () => {
      const again = await submit('consultant', dischargeSummary({ documentId: 'doc-1' }));
      assert.equal(again.statusCode, 200, again.body);
      assert.equal(value(json<ParametersLike>(again).parameter, 'outcome'), 'duplicate');
      const { body } = await ledger('consultant', 'doc-1');
      assert.equal(groups(body ?? { resourceType: 'Parameters' }, 'recipient').length, 1);
      const changed = await submit(
        'consultant',
        dischargeSummary({ documentId: 'doc-1', diagnosisText: 'NSTEMI' }),
      );
      assert.equal(changed.statusCode, 409);
      assert.deepEqual(outcomeCodes(changed), ['document-conflict']);
    });

    it('refuses a document that fails assurance with 422 naming each fault', async () => {
      const bad = dischargeSummary({ documentId: 'doc-bad', nhsNumber: '1234567890' });
      const response = await submit('consultant', bad);
      assert.equal(response.statusCode, 422);
      const outcome = json<{ issue: Array<{ expression?: string[] }> }>(response);
      assert.ok(outcome.issue.some((issue) => (issue.expression?.[0] ?? '').startsWith('Bundle.entry')));
    });

    it('holds a document whose demographics do not match our patient, delivering nothing', async () => {
      const response = await submit(
        'consultant',
        dischargeSummary({ documentId: 'doc-mismatch', birthDate: '1951-05-17' }),
      );
      assert.equal(response.statusCode, 201, response.body);
      const body = json<ParametersLike>(response);
      assert.equal(value(body.parameter, 'status'), 'held');
      assert.equal(value(body.parameter, 'holdReason'), 'demographics-mismatch');
      assert.equal(groups(body, 'recipient').length, 0);
      const inbox = json<ParametersLike>(await call('GET', '/fhir/$inbox', 'gpA'));
      assert.ok(!groups(inbox, 'entry').some((e) => value(e, 'document') === 'doc-mismatch'));
    });

    it('routes a patient with no registered practice to the holding practice, with copies', async () => {
      const response = await submit('consultant', {
        resourceType: 'Parameters',
        parameter: [
          { name: 'document', resource: dischargeSummary({ documentId: 'doc-p3', nhsNumber: P3_NHS }) },
          { name: 'copy-to', valueReference: { reference: 'Organization/practice-b' } },
          { name: 'copy-to-patient', valueBoolean: true },
        ],
      });
      assert.equal(response.statusCode, 201, response.body);
      const rows = groups(json<ParametersLike>(response), 'recipient');
      assert.deepEqual(
        rows.map((r) => [
          value(r, 'recipientKind'),
          value(r, 'organization') ?? 'patient',
          value(r, 'state'),
        ]),
        [
          ['practice', 'Organization/holding', 'delivered'],
          ['copy', 'Organization/practice-b', 'delivered'],
          ['patient', 'patient', 'delivered'],
        ],
      );
    });

    it('keeps a preliminary document from recipients until a consultant authorises it', async () => {
      const response = await submit(
        'secretary',
        dischargeSummary({ documentId: 'doc-draft', status: 'preliminary' }),
      );
      assert.equal(response.statusCode, 201, response.body);
      assert.equal(value(json<ParametersLike>(response).parameter, 'status'), 'awaiting-authorisation');
      assert.equal((await ledger('gpA', 'doc-draft')).response.statusCode, 404);
      const bySecretary = await call('POST', '/fhir/$authorise-document', 'secretary', docParam('doc-draft'));
      assert.equal(bySecretary.statusCode, 403);
      const authorised = await call('POST', '/fhir/$authorise-document', 'consultant', docParam('doc-draft'));
      assert.equal(authorised.statusCode, 200, authorised.body);
      const [row] = groups(json<ParametersLike>(authorised), 'recipient');
      assert.equal(value(row, 'state'), 'delivered');
      const events = (rowState((await ledger('consultant', 'doc-draft')).body, 'practice') ?? [])
        .filter((p) => p.name === 'event')
        .map((e) => value(e.part, 'to'));
      assert.deepEqual(events, ['awaiting-authorisation', 'final', 'queued', 'delivered']);
    });

    it('opens and files: coded entries into the record, actions as tasks, "filed" back to the sender', async () => {
      const other = await call('POST', '/fhir/$file-document', 'gpB', docParam('doc-1'));
      assert.equal(other.statusCode, 404);
      assert.equal((await ledger('gpB', 'doc-1')).response.statusCode, 404);
      assert.equal((await call('POST', '/fhir/$open-document', 'gpA', docParam('doc-1'))).statusCode, 200);
      const filed = await call(
        'POST',
        '/fhir/$file-document',
        'gpA',
        docParam('doc-1', [
          { name: 'decline', valueCoding: { system: 'http://snomed.info/sct', code: '91936005' } } as never,
        ]),
      );
      assert.equal(filed.statusCode, 200, filed.body);
      const written = (json<ParametersLike>(filed).parameter ?? []).filter((p) => p.name === 'written');
      assert.deepEqual(written.map((p) => p.valueReference?.reference.split('/')[0]).sort(), [
        'Condition',
        'MedicationStatement',
        'Task',
      ]);
      const tasks = json<{ entry?: Array<{ resource: { owner?: { reference: string } } }> }>(
        await call('GET', '/fhir/Task?patient=Patient/p1', 'gpA'),
      );
      assert.equal(tasks.entry?.[0]?.resource.owner?.reference, 'Organization/practice-a');
      const again = await call('POST', '/fhir/$file-document', 'gpA', docParam('doc-1'));
      assert.equal(
        (json<ParametersLike>(again).parameter ?? []).filter((p) => p.name === 'written').length,
        0,
      );
      const practice = rowState((await ledger('consultant', 'doc-1')).body, 'practice');
      assert.equal(value(practice, 'state'), 'filed');
      assert.ok(value(practice, 'opened') && value(practice, 'filed'));
    });

    it('sends a rejection back to the sender with its reason, and raises the sender alarm', async () => {
      await submit('consultant', dischargeSummary({ documentId: 'doc-rej', setId: 'set-rej' }));
      const bad = await call(
        'POST',
        '/fhir/$reject-document',
        'gpA',
        docParam('doc-rej', [{ name: 'reason', valueCode: 'lost' }]),
      );
      assert.equal(bad.statusCode, 400);
      const rejected = await call(
        'POST',
        '/fhir/$reject-document',
        'gpA',
        docParam('doc-rej', [
          { name: 'reason', valueCode: 'wrong-patient' },
          { name: 'detail', valueString: 'Different date of birth on our record' },
        ]),
      );
      assert.equal(rejected.statusCode, 200, rejected.body);
      const practice = rowState((await ledger('consultant', 'doc-rej')).body, 'practice');
      assert.equal(value(practice, 'state'), 'rejected');
      assert.equal(value(practice, 'rejectionReason'), 'wrong-patient');
      assert.equal(value(practice, 'rejectionDetail'), 'Different date of birth on our record');
      t.clock.set('2026-03-04T10:00:00Z');
      const alarms = json<ParametersLike>(await call('GET', '/fhir/$exchange-alarms', 'consultant'));
      assert.ok(
        groups(alarms, 'alarm').some(
          (a) => value(a, 'code') === 'rejection-unresolved' && value(a, 'document') === 'doc-rej',
        ),
      );
      // A corrected version replaces it: the rejected row is closed as corrected (superseded).
      const corrected = await submit(
        'consultant',
        dischargeSummary({
          documentId: 'doc-rej-2',
          setId: 'set-rej',
          replaces: 'doc-rej',
          diagnosisText: 'MI',
        }),
      );
      assert.equal(corrected.statusCode, 201, corrected.body);
      assert.equal(
        value(rowState((await ledger('consultant', 'doc-rej')).body, 'practice'), 'state'),
        'superseded',
      );
    });

    it('supersedes every recipient of a replaced version and withdraws an entered-in-error set everywhere', async () => {
      await submit('consultant', {
        resourceType: 'Parameters',
        parameter: [
          { name: 'document', resource: dischargeSummary({ documentId: 'doc-v1', setId: 'set-v' }) },
          { name: 'copy-to-patient', valueBoolean: true },
        ],
      });
      const v2 = await submit(
        'consultant',
        dischargeSummary({
          documentId: 'doc-v2',
          setId: 'set-v',
          replaces: 'doc-v1',
          diagnosisText: 'Angina',
        }),
      );
      assert.equal(v2.statusCode, 201, v2.body);
      const v1 = (await ledger('consultant', 'doc-v1')).body;
      assert.equal(value(v1?.parameter, 'status'), 'superseded');
      assert.deepEqual(
        groups(v1 ?? { resourceType: 'Parameters' }, 'recipient').map((r) => value(r, 'state')),
        ['superseded', 'superseded'],
      );
      const eie = await submit(
        'consultant',
        dischargeSummary({
          documentId: 'doc-v3',
          setId: 'set-v',
          replaces: 'doc-v2',
          status: 'entered-in-error',
          diagnosisText: 'x',
        }),
      );
      assert.equal(eie.statusCode, 201, eie.body);
      assert.equal(value(json<ParametersLike>(eie).parameter, 'outcome'), 'withdrawn');
      const v2view = (await ledger('consultant', 'doc-v2')).body;
      assert.equal(value(v2view?.parameter, 'status'), 'withdrawn');
      assert.deepEqual(
        groups(v2view ?? { resourceType: 'Parameters' }, 'recipient').map((r) => value(r, 'state')),
        ['withdrawn'],
      );
    });

    it('queues for an external practice through the outbox until the transport delivers', async () => {
      const response = await submit(
        'consultant',
        dischargeSummary({ documentId: 'doc-ext', nhsNumber: P2_NHS }),
      );
      assert.equal(response.statusCode, 201, response.body);
      const [row] = groups(json<ParametersLike>(response), 'recipient');
      assert.equal(value(row, 'transport'), 'outbox');
      assert.equal(value(row, 'state'), 'queued');
      const messageId = value(
        rowState((await ledger('consultant', 'doc-ext')).body, 'practice'),
        'outboxMessage',
      );
      assert.equal(typeof messageId, 'string');
      const { ledgerHooks } = await import('../../src/exchange/index.js');
      const { Outbox } = await import('../../src/transport/index.js');
      const outbox = new Outbox({ clock: t.clock, hooks: ledgerHooks(t.clock) });
      assert.equal(
        await outbox.acknowledgeMailboxMessage(t.database.db, 'Y99903', String(messageId), 'Y99903-system'),
        'acknowledged',
      );
      assert.equal(
        value(rowState((await ledger('consultant', 'doc-ext')).body, 'practice'), 'state'),
        'delivered',
      );
    });

    it('lets a patient see only their own letters', async () => {
      const own = json<ParametersLike>(await call('GET', '/fhir/$inbox', 'patient2'));
      assert.equal(groups(own, 'entry').length, 0);
      assert.equal((await ledger('patient2', 'doc-p3')).response.statusCode, 404);
      const submitByPatient = await submit('patient1', dischargeSummary({ documentId: 'doc-x' }));
      assert.equal(submitByPatient.statusCode, 403);
    });

    it('pages an inbox and filters it by state, showing only the practice its own rows', async () => {
      const first = json<ParametersLike>(await call('GET', '/fhir/$inbox?_count=1', 'gpA'));
      assert.equal(groups(first, 'entry').length, 1);
      const next = value(first.parameter, 'next');
      assert.ok(next);
      const second = json<ParametersLike>(
        await call('GET', `/fhir/$inbox?_count=1&cursor=${String(next)}`, 'gpA'),
      );
      assert.notEqual(
        value(groups(second, 'entry')[0], 'document'),
        value(groups(first, 'entry')[0], 'document'),
      );
      const filed = json<ParametersLike>(await call('GET', '/fhir/$inbox?state=filed', 'gpA'));
      assert.deepEqual(
        groups(filed, 'entry').map((e) => value(e, 'document')),
        ['doc-1'],
      );
      const b = json<ParametersLike>(await call('GET', '/fhir/$inbox', 'gpB'));
      assert.deepEqual(
        groups(b, 'entry').map((e) => value(e, 'document')),
        ['doc-p3'],
      );
      assert.equal((await call('GET', '/fhir/$inbox?bogus=1', 'gpA')).statusCode, 400);
      assert.equal((await call('GET', '/fhir/$inbox?organization=practice-b', 'gpA')).statusCode, 403);
    });

    it('lists the operations in the CapabilityStatement', async () => {
      const statement = json<{ rest: Array<{ operation: Array<{ name: string }> }> }>(
        await t.fhir('GET', '/fhir/metadata'),
      );
      const names = statement.rest[0]?.operation.map((o) => o.name) ?? [];
      for (const name of [
        'submit-document',
        'authorise-document',
        'document-ledger',
        'inbox',
        'file-document',
        'reject-document',
        'open-document',
        'exchange-alarms',
      ]) {
        assert.ok(names.includes(name), name);
      }
    });
  });
}
