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

for (const kind of testDatabaseKinds()) {
  describe(`FHIR REST create/read/update/delete on ${kind}`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(kind);
    });
    after(async () => {
      await t.close();
    });

    it('create answers 201 with Location, ETag, Last-Modified and the stored resource', async () => {
      const response = await t.fhir('POST', '/fhir/Patient', patient());
      assert.equal(response.statusCode, 201);
      const body = json(response);
      assert.match(
        String(response.headers.location),
        new RegExp(`/fhir/Patient/${String(body.id)}/_history/1$`),
      );
      assert.equal(response.headers.etag, 'W/"1"');
      assert.equal(response.headers['last-modified'], 'Sun, 01 Mar 2026 09:00:00 GMT');
      assert.match(String(response.headers['content-type']), /^application\/fhir\+json/);
      assert.deepEqual(body.meta, { versionId: '1', lastUpdated: '2026-03-01T09:00:00.000Z' });
    });

    it('read returns the current version; vread returns an earlier one', async () => {
      const created = json(await t.fhir('POST', '/fhir/Patient', patient()));
      const id = String(created.id);
      t.clock.advance(60_000);
      const updated = await t.fhir('PUT', `/fhir/Patient/${id}`, { ...patient(), id, gender: 'other' });
      assert.equal(updated.statusCode, 200);
      assert.equal(json(await t.fhir('GET', `/fhir/Patient/${id}`)).gender, 'other');
      const first = await t.fhir('GET', `/fhir/Patient/${id}/_history/1`);
      assert.equal(first.statusCode, 200);
      assert.equal(json(first).gender, 'female');
      assert.equal(first.headers.etag, 'W/"1"');
      assert.equal((await t.fhir('GET', `/fhir/Patient/${id}/_history/9`)).statusCode, 404);
    });

    it('update with a matching If-Match succeeds and with a stale one answers 412', async () => {
      const id = String(json(await t.fhir('POST', '/fhir/Patient', patient())).id);
      const ok = await t.fhir(
        'PUT',
        `/fhir/Patient/${id}`,
        { ...patient(), id, active: true },
        { 'if-match': 'W/"1"' },
      );
      assert.equal(ok.statusCode, 200);
      assert.equal(ok.headers.etag, 'W/"2"');
      const stale = await t.fhir(
        'PUT',
        `/fhir/Patient/${id}`,
        { ...patient(), id, active: false },
        { 'if-match': 'W/"1"' },
      );
      assert.equal(stale.statusCode, 412);
      assert.deepEqual(outcomeCodes(stale), ['version-conflict']);
      assert.equal(json(await t.fhir('GET', `/fhir/Patient/${id}`)).active, true);
    });

    it('two writers with the same If-Match: one 200 and one 412', async () => {
      const id = String(json(await t.fhir('POST', '/fhir/Patient', patient())).id);
      const [a, b] = await Promise.all([
        t.fhir('PUT', `/fhir/Patient/${id}`, { ...patient(), id, gender: 'male' }, { 'if-match': 'W/"1"' }),
        t.fhir('PUT', `/fhir/Patient/${id}`, { ...patient(), id, gender: 'other' }, { 'if-match': 'W/"1"' }),
      ]);
      assert.deepEqual([a?.statusCode, b?.statusCode].sort(), [200, 412]);
    });

    it('update to a new id creates the resource with 201 (client-assigned id)', async () => {
      const response = await t.fhir('PUT', '/fhir/Organization/practice-x', {
        resourceType: 'Organization',
        id: 'practice-x',
        name: 'Practice X',
      });
      assert.equal(response.statusCode, 201);
    });

    it('update whose body id differs from the URL is refused, naming Patient.id', async () => {
      const response = await t.fhir('PUT', '/fhir/Patient/abc', { ...patient(), id: 'xyz' });
      assert.equal(response.statusCode, 400);
      assert.deepEqual(outcomeCodes(response), ['id-mismatch']);
      assert.deepEqual(outcomeExpressions(response), ['Patient.id']);
    });

    it('delete answers 204, then read answers 410 and history keeps the old version', async () => {
      const id = String(json(await t.fhir('POST', '/fhir/Patient', patient())).id);
      assert.equal((await t.fhir('DELETE', `/fhir/Patient/${id}`)).statusCode, 204);
      const gone = await t.fhir('GET', `/fhir/Patient/${id}`);
      assert.equal(gone.statusCode, 410);
      assert.deepEqual(outcomeCodes(gone), ['resource-deleted']);
      assert.equal((await t.fhir('GET', `/fhir/Patient/${id}/_history/1`)).statusCode, 200);
      assert.equal((await t.fhir('DELETE', `/fhir/Patient/${id}`)).statusCode, 204);
    });

    it('delete with a stale If-Match answers 412 and deletes nothing', async () => {
      const id = String(json(await t.fhir('POST', '/fhir/Patient', patient())).id);
      const response = await t.fhir('DELETE', `/fhir/Patient/${id}`, undefined, { 'if-match': 'W/"7"' });
      assert.equal(response.statusCode, 412);
      assert.equal((await t.fhir('GET', `/fhir/Patient/${id}`)).statusCode, 200);
    });

    it('Prefer return=minimal sends no body; return=OperationOutcome sends an outcome', async () => {
      const minimal = await t.fhir('POST', '/fhir/Patient', patient(), { prefer: 'return=minimal' });
      assert.equal(minimal.statusCode, 201);
      assert.equal(minimal.body, '');
      assert.ok(minimal.headers.location);
      const outcome = await t.fhir('POST', '/fhir/Patient', patient(), { prefer: 'return=OperationOutcome' });
      assert.equal(json(outcome).resourceType, 'OperationOutcome');
    });

    it('If-None-Match with the current ETag answers 304', async () => {
      const id = String(json(await t.fhir('POST', '/fhir/Patient', patient())).id);
      const response = await t.fhir('GET', `/fhir/Patient/${id}`, undefined, { 'if-none-match': 'W/"1"' });
      assert.equal(response.statusCode, 304);
    });

    it('an unknown id answers 404 and a malformed id 400, both as OperationOutcome', async () => {
      const missing = await t.fhir('GET', '/fhir/Patient/does-not-exist');
      assert.equal(missing.statusCode, 404);
      assert.deepEqual(outcomeCodes(missing), ['resource-not-found']);
      const malformed = await t.fhir('GET', '/fhir/Patient/bad_id!');
      assert.equal(malformed.statusCode, 400);
      assert.deepEqual(outcomeCodes(malformed), ['invalid-id']);
    });

    it('a read or write with URL parameters is refused rather than ignoring them', async () => {
      const id = String(json(await t.fhir('POST', '/fhir/Patient', patient())).id);
      const read = await t.fhir('GET', `/fhir/Patient/${id}?_elements=name`);
      assert.equal(read.statusCode, 400);
      assert.deepEqual(outcomeExpressions(read), ['_elements']);
      const write = await t.fhir('PUT', `/fhir/Patient/${id}?dryRun=true`, { ...patient(), id });
      assert.equal(write.statusCode, 400);
      assert.equal(
        (await t.fhir('GET', `/fhir/Patient/${id}?_format=json`)).statusCode,
        200,
        '_format is understood',
      );
    });

    it('a resource type outside scope answers 404 "type not supported"', async () => {
      const response = await t.fhir('GET', '/fhir/Claim/1');
      assert.equal(response.statusCode, 404);
      assert.deepEqual(outcomeCodes(response), ['resource-type-not-supported']);
      const create = await t.fhir('POST', '/fhir/Claim', { resourceType: 'Claim' });
      assert.deepEqual(outcomeCodes(create), ['resource-type-not-supported']);
    });

    it('a body whose resourceType differs from the URL is refused', async () => {
      const response = await t.fhir('POST', '/fhir/Observation', patient());
      assert.equal(response.statusCode, 400);
      assert.deepEqual(outcomeCodes(response), ['resource-type-mismatch']);
    });
  });
}
