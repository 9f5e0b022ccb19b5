import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testDatabaseKinds } from '../support/databases.js';
import {
  createTestApp,
  json,
  outcomeCodes,
  outcomeExpressions,
  patient,
  type TestApp,
} from '../support/test-app.js';

interface ResponseBundle {
  type: string;
  entry: Array<{
    resource?: Record<string, unknown>;
    response: { status: string; location?: string; outcome?: unknown };
  }>;
}

const PATIENT_URN = 'urn:uuid:5b0b1a0e-6f6e-4a43-9d1c-6f1f2d2c0001';

function transaction(entries: unknown[], type = 'transaction') {
  return { resourceType: 'Bundle', type, entry: entries };
}

for (const kind of testDatabaseKinds()) {
  describe(`Batch and transaction Bundles on ${kind}`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(kind);
    });
    after(async () => {
      await t.close();
    });

    it('a transaction creates its resources and resolves urn:uuid references to the new ids', async () => {
      const response = await t.fhir(
        'POST',
        '/fhir',
        transaction([
          {
            fullUrl: 'urn:uuid:5b0b1a0e-6f6e-4a43-9d1c-6f1f2d2c0002',
            resource: {
              resourceType: 'Condition',
              subject: { reference: PATIENT_URN },
              code: { text: 'Asthma' },
            },
            request: { method: 'POST', url: 'Condition' },
          },
          {
            fullUrl: PATIENT_URN,
            resource: patient('9990000085'),
            request: { method: 'POST', url: 'Patient' },
          },
        ]),
      );
      assert.equal(response.statusCode, 200);
      const bundle = json<ResponseBundle>(response);
      assert.equal(bundle.type, 'transaction-response');
      assert.deepEqual(
        bundle.entry.map((e) => e.response.status),
        ['201 Created', '201 Created'],
      );
      const patientId = String(bundle.entry[1]?.resource?.id);
      const condition = bundle.entry[0]?.resource as { subject: { reference: string } };
      assert.equal(condition.subject.reference, `Patient/${patientId}`);
      assert.equal((await t.fhir('GET', `/fhir/Patient/${patientId}`)).statusCode, 200);
    });

    it('a transaction with one invalid entry applies nothing and names the entry', async () => {
      const before = json(await t.fhir('GET', '/fhir/Patient?_summary=count')).total;
      const response = await t.fhir(
        'POST',
        '/fhir',
        transaction([
          { resource: patient('9990000093'), request: { method: 'POST', url: 'Patient' } },
          {
            resource: { resourceType: 'Patient', gender: 'banana' },
            request: { method: 'POST', url: 'Patient' },
          },
        ]),
      );
      assert.equal(response.statusCode, 400);
      assert.ok(outcomeExpressions(response).includes('Bundle.entry[1].resource.gender'));
      assert.equal(json(await t.fhir('GET', '/fhir/Patient?_summary=count')).total, before);
    });

    it('a transaction with a reference to an unknown urn:uuid is refused', async () => {
      const response = await t.fhir(
        'POST',
        '/fhir',
        transaction([
          {
            resource: {
              resourceType: 'Condition',
              subject: { reference: 'urn:uuid:00000000-0000-0000-0000-000000000000' },
            },
            request: { method: 'POST', url: 'Condition' },
          },
        ]),
      );
      assert.equal(response.statusCode, 400);
      assert.deepEqual(outcomeExpressions(response), ['Bundle.entry[0].resource.subject.reference']);
    });

    it('a transaction with two entries of the same condition is refused, not doubled', async () => {
      const entry = {
        resource: patient('9990000107'),
        request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=9990000107' },
      };
      const response = await t.fhir('POST', '/fhir', transaction([entry, entry]));
      assert.equal(response.statusCode, 400);
      assert.deepEqual(outcomeCodes(response), ['invalid-bundle']);
    });

    it('a conditional create inside a transaction reuses the existing match for references', async () => {
      const existing = json(await t.fhir('POST', '/fhir/Patient', patient('9990000115')));
      const response = await t.fhir(
        'POST',
        '/fhir',
        transaction([
          {
            fullUrl: PATIENT_URN,
            resource: patient('9990000115'),
            request: {
              method: 'POST',
              url: 'Patient',
              ifNoneExist: 'identifier=https://fhir.nhs.uk/Id/nhs-number|9990000115',
            },
          },
          {
            resource: {
              resourceType: 'Flag',
              status: 'active',
              code: { text: 'Falls risk' },
              subject: { reference: PATIENT_URN },
            },
            request: { method: 'POST', url: 'Flag' },
          },
        ]),
      );
      assert.equal(response.statusCode, 200);
      const bundle = json<ResponseBundle>(response);
      assert.equal(bundle.entry[0]?.response.status, '200 OK');
      assert.equal(
        (bundle.entry[1]?.resource as { subject: { reference: string } }).subject.reference,
        `Patient/${String(existing.id)}`,
      );
    });

    it('a transaction applies DELETE before POST before PUT before GET', async () => {
      const id = String(json(await t.fhir('POST', '/fhir/Patient', patient('9990000123'))).id);
      const response = await t.fhir(
        'POST',
        '/fhir',
        transaction([
          { request: { method: 'GET', url: `Patient/${id}` } },
          {
            resource: { ...patient('9990000123'), id, active: true },
            request: { method: 'PUT', url: `Patient/${id}` },
          },
        ]),
      );
      const bundle = json<ResponseBundle>(response);
      assert.equal(
        bundle.entry[0]?.resource?.active,
        true,
        'the GET saw the PUT made in the same transaction',
      );
    });

    it('a batch applies the good entries and reports each failure in place', async () => {
      const response = await t.fhir(
        'POST',
        '/fhir',
        transaction(
          [
            { resource: patient('9990000131'), request: { method: 'POST', url: 'Patient' } },
            {
              resource: { resourceType: 'Patient', gender: 'banana' },
              request: { method: 'POST', url: 'Patient' },
            },
            { request: { method: 'GET', url: 'Patient/not-there' } },
            { resource: { resourceType: 'Claim' }, request: { method: 'POST', url: 'Claim' } },
          ],
          'batch',
        ),
      );
      assert.equal(response.statusCode, 200);
      const bundle = json<ResponseBundle>(response);
      assert.equal(bundle.type, 'batch-response');
      assert.deepEqual(
        bundle.entry.map((e) => e.response.status.slice(0, 3)),
        ['201', '400', '404', '404'],
      );
      assert.equal(
        (bundle.entry[1]?.response.outcome as { resourceType: string }).resourceType,
        'OperationOutcome',
      );
    });

    it('a Bundle with more entries than allowed answers 413', async () => {
      const small = await createTestApp('pglite', { maxBundleEntries: 2 });
      try {
        const entries = Array.from({ length: 3 }, () => ({ request: { method: 'GET', url: 'metadata' } }));
        const response = await small.fhir('POST', '/fhir', transaction(entries, 'batch'));
        assert.equal(response.statusCode, 413);
        assert.deepEqual(outcomeCodes(response), ['too-many-bundle-entries']);
      } finally {
        await small.close();
      }
    });

    it('envelope faults in every entry are reported together', async () => {
      const response = await t.fhir(
        'POST',
        '/fhir',
        transaction([{ request: { method: 'FETCH', url: 'Patient' } }, { resource: patient() }]),
      );
      assert.equal(response.statusCode, 400);
      assert.deepEqual(outcomeExpressions(response), [
        'Bundle.entry[0].request.method',
        'Bundle.entry[1].request',
      ]);
    });

    it('a Bundle of another type posted to the base is refused', async () => {
      const response = await t.fhir('POST', '/fhir', { resourceType: 'Bundle', type: 'collection' });
      assert.equal(response.statusCode, 400);
      assert.deepEqual(outcomeExpressions(response), ['Bundle.type']);
    });
  });
}
