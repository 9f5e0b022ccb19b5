import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testDatabaseKinds } from '../support/databases.js';
import { staff } from '../support/principals.js';
import { createTestApp, json, outcomeCodes, outcomeExpressions, type TestApp } from '../support/test-app.js';
import { buildWorld } from './world.js';

interface ParametersBody {
  parameter: Array<{
    name: string;
    valueString?: string;
    valueCode?: string;
    part?: Array<{ name: string; valueString?: string }>;
  }>;
}

const declare = (reason: string, text: string, minutes?: number) => ({
  resourceType: 'Parameters',
  parameter: [
    { name: 'reason', valueCode: reason },
    { name: 'text', valueString: text },
    ...(minutes === undefined ? [] : [{ name: 'minutes', valueInteger: minutes }]),
  ],
});

for (const kind of testDatabaseKinds()) {
  describe(`Break-glass on ${kind}`, () => {
    let t: TestApp;
    let gpB: Record<string, string>;
    let officer: Record<string, string>;

    before(async () => {
      t = await createTestApp(kind);
      await buildWorld(t);
      gpB = { authorization: t.principals.register('gp-b', staff('gp', 'practice-b')) };
      officer = { authorization: t.principals.register('officer', staff('privacy-officer', 'trust')) };
    });
    after(async () => {
      await t.close();
    });

    it('a clinician without a relationship sees nothing until they declare an emergency', async () => {
      assert.equal((await t.fhir('GET', '/fhir/Patient/p1', undefined, gpB)).statusCode, 404);
      const declared = await t.fhir(
        'POST',
        '/fhir/Patient/p1/$break-glass',
        declare('emergency-care', 'Collapsed in A&E, no records'),
        gpB,
      );
      assert.equal(declared.statusCode, 200);
      assert.equal((await t.fhir('GET', '/fhir/Patient/p1', undefined, gpB)).statusCode, 200);
      const conditions = json<{ total?: number }>(
        await t.fhir('GET', '/fhir/Condition?subject=Patient/p1&_summary=count', undefined, gpB),
      );
      assert.equal(conditions.total, 1);
      assert.equal(
        (await t.fhir('GET', '/fhir/Patient/p2', undefined, gpB)).statusCode,
        200,
        'own patients unaffected',
      );
    });

    it('every access under break-glass is marked in the audit trail with purpose ETREAT', async () => {
      t.audit.entries.length = 0;
      await t.fhir('GET', '/fhir/Patient/p1', undefined, gpB);
      const entry = t.audit.entries.find((e) => e.interaction === 'read');
      assert.equal(entry?.breakGlass, true);
      assert.equal(entry?.purposeOfUse, 'ETREAT');
      assert.ok(entry?.breakGlassSessionId);
      assert.deepEqual(entry?.patientIds, ['p1']);
    });

    it('access ends by itself after at most four hours', async () => {
      t.clock.advance(4 * 60 * 60_000 + 1000);
      assert.equal((await t.fhir('GET', '/fhir/Patient/p1', undefined, gpB)).statusCode, 404);
    });

    it('a session can be ended early', async () => {
      await t.fhir(
        'POST',
        '/fhir/Patient/p1/$break-glass',
        declare('safeguarding', 'Safeguarding call from school', 30),
        gpB,
      );
      assert.equal((await t.fhir('GET', '/fhir/Patient/p1', undefined, gpB)).statusCode, 200);
      const ended = json<ParametersBody>(
        await t.fhir('POST', '/fhir/Patient/p1/$break-glass-end', { resourceType: 'Parameters' }, gpB),
      );
      assert.equal(ended.parameter[0]?.name, 'ended');
      assert.equal((await t.fhir('GET', '/fhir/Patient/p1', undefined, gpB)).statusCode, 404);
    });

    it('a declaration needs a coded reason, real text and at most 240 minutes, all reported together', async () => {
      const response = await t.fhir(
        'POST',
        '/fhir/Patient/p1/$break-glass',
        declare('curious', 'why', 600),
        gpB,
      );
      assert.equal(response.statusCode, 400);
      assert.equal(outcomeExpressions(response).length, 3);
    });

    it('roles that may not break glass are refused', async () => {
      const secretary = {
        authorization: t.principals.register('secretary', staff('secretary', 'practice-b')),
      };
      const response = await t.fhir(
        'POST',
        '/fhir/Patient/p1/$break-glass',
        declare('emergency-care', 'Collapsed in clinic'),
        secretary,
      );
      assert.equal(response.statusCode, 403);
      assert.deepEqual(outcomeCodes(response), ['forbidden']);
    });

    it('the privacy officer gets each session to review and records the outcome', async () => {
      const pending = json<ParametersBody>(
        await t.fhir('GET', '/fhir/$break-glass-review', undefined, officer),
      );
      assert.equal(pending.parameter.length, 2);
      const sessionId = pending.parameter[0]?.part?.find((p) => p.name === 'session')?.valueString ?? '';
      const review = await t.fhir(
        'POST',
        '/fhir/$break-glass-review',
        {
          resourceType: 'Parameters',
          parameter: [
            { name: 'session', valueString: sessionId },
            { name: 'outcome', valueCode: 'appropriate' },
            { name: 'note', valueString: 'Confirmed with A&E consultant' },
          ],
        },
        officer,
      );
      assert.equal(review.statusCode, 200);
      const left = json<ParametersBody>(await t.fhir('GET', '/fhir/$break-glass-review', undefined, officer));
      assert.equal(left.parameter.length, 1);
      assert.equal((await t.fhir('GET', '/fhir/$break-glass-review', undefined, gpB)).statusCode, 403);
    });
  });
}
