import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testDatabaseKinds } from '../support/databases.js';
import { createTestApp, json, outcomeCodes, patient, type TestApp } from '../support/test-app.js';

for (const kind of testDatabaseKinds()) {
  describe(`Conditional create and idempotent retries on ${kind}`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(kind);
    });
    after(async () => {
      await t.close();
    });

    it('50 parallel conditional creates make exactly one resource: one 201, 49 × 200 with its id', async () => {
      const condition = 'identifier=https://fhir.nhs.uk/Id/nhs-number|9990000026';
      const responses = await Promise.all(
        Array.from({ length: 50 }, () =>
          t.fhir('POST', '/fhir/Patient', patient('9990000026'), { 'if-none-exist': condition }),
        ),
      );
      const statuses = responses.map((r) => r.statusCode);
      assert.equal(statuses.filter((s) => s === 201).length, 1);
      assert.equal(statuses.filter((s) => s === 200).length, 49);
      assert.equal(new Set(responses.map((r) => json(r).id)).size, 1);
      const search = json(await t.fhir('GET', `/fhir/Patient?${condition}&_total=accurate`));
      assert.equal(search.total, 1);
    });

    it('a conditional create matching two resources answers 412 and creates nothing', async () => {
      await t.fhir('POST', '/fhir/Patient', patient('9990000034', { name: [{ family: 'Twin' }] }));
      await t.fhir('POST', '/fhir/Patient', patient('9990000034', { name: [{ family: 'Twin' }] }));
      const response = await t.fhir('POST', '/fhir/Patient', patient('9990000034'), {
        'if-none-exist': 'family=Twin',
      });
      assert.equal(response.statusCode, 412);
      assert.deepEqual(outcomeCodes(response), ['conditional-multiple-matches']);
    });

    it('a retried request with the same X-Request-ID gets the identical answer and no second resource', async () => {
      const headers = { 'x-request-id': 'retry-0001' };
      const first = await t.fhir('POST', '/fhir/Patient', patient('9990000042'), headers);
      const again = await t.fhir('POST', '/fhir/Patient', patient('9990000042'), headers);
      assert.equal(first.statusCode, 201);
      assert.equal(again.statusCode, 201);
      assert.equal(again.body, first.body);
      assert.equal(again.headers.location, first.headers.location);
      assert.equal(again.headers['x-replayed'], 'true');
      const search = json(await t.fhir('GET', '/fhir/Patient?identifier=9990000042&_summary=count'));
      assert.equal(search.total, 1);
    });

    it('parallel duplicates with one X-Request-ID: one effect, identical answers', async () => {
      const headers = { 'x-request-id': 'retry-parallel-1' };
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => t.fhir('POST', '/fhir/Patient', patient('9990000050'), headers)),
      );
      assert.equal(new Set(responses.map((r) => r.body)).size, 1);
      assert.ok(responses.every((r) => r.statusCode === 201));
      const search = json(await t.fhir('GET', '/fhir/Patient?identifier=9990000050&_summary=count'));
      assert.equal(search.total, 1);
    });

    it('reusing an X-Request-ID for a different request answers 409 duplicate-request', async () => {
      const headers = { 'x-request-id': 'retry-0002' };
      await t.fhir('POST', '/fhir/Patient', patient('9990000069'), headers);
      const reused = await t.fhir('POST', '/fhir/Patient', patient('9990000077'), headers);
      assert.equal(reused.statusCode, 409);
      assert.deepEqual(outcomeCodes(reused), ['duplicate-request']);
    });

    it('a request that failed can be retried with the same X-Request-ID once corrected', async () => {
      const headers = { 'x-request-id': 'retry-0003' };
      const bad = await t.fhir('POST', '/fhir/Patient', { resourceType: 'Patient', gender: 'x' }, headers);
      assert.equal(bad.statusCode, 400);
      const again = await t.fhir('POST', '/fhir/Patient', { resourceType: 'Patient', gender: 'x' }, headers);
      assert.equal(again.statusCode, 400, 'a failed request stored no answer, so it is processed again');
    });
  });
}
