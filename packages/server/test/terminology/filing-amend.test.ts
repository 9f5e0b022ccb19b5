import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Bundle, Condition, MedicationStatement, Parameters } from 'fhir/r4.js';
import { DMD_SYSTEM, SNOMED_CT_SYSTEM } from '@carebridge/domain';
import { importTerminology } from '../../src/terminology/terminology-import.js';
import { buildExchangeWorld, dischargeSummary, docParam, type ParameterLike } from '../exchange/support.js';
import { testDatabaseKinds } from '../support/databases.js';
import { createTestApp, json, outcomeCodes, outcomeExpressions, type TestApp } from '../support/test-app.js';

const SNOMED = fileURLToPath(new URL('./fixtures/snomed/', import.meta.url));

const amend = (
  code: string,
  replacement: { system: string; code: string; display?: string },
  system = SNOMED_CT_SYSTEM,
): ParameterLike =>
  ({
    name: 'amend',
    part: [
      { name: 'code', valueCoding: { system, code } },
      { name: 'replacement', valueCoding: replacement },
    ],
  }) as never;

const decline = (code: string): ParameterLike =>
  ({ name: 'decline', valueCoding: { system: SNOMED_CT_SYSTEM, code } }) as never;

const ATRIAL_FIBRILLATION = { system: SNOMED_CT_SYSTEM, code: '49436004', display: 'Atrial fibrillation' };

/** `$file-document` with `amend`: the GP files a coded entry under another concept of the same kind. */
for (const kind of testDatabaseKinds()) {
  describe(`filing with amended coded entries (${kind})`, () => {
    let t: TestApp;
    let auth: Record<string, string>;

    before(async () => {
      t = await createTestApp(kind);
      auth = await buildExchangeWorld(t);
      await importTerminology(t.database.db, { snomed: SNOMED }, t.clock);
      const submitted = await call(
        'POST',
        '/fhir/$submit-document',
        'consultant',
        dischargeSummary({ documentId: 'doc-amend' }),
      );
      assert.equal(submitted.statusCode, 201, submitted.body);
    });
    after(() => t.close());

    const call = (method: 'GET' | 'POST', url: string, who: string, body?: unknown) =>
      t.fhir(method, url, body, { authorization: auth[who] ?? '' });
    const file = (extra: ParameterLike[]) =>
      call('POST', '/fhir/$file-document', 'gpA', docParam('doc-amend', extra));
    const state = async () => {
      const ledger = json<Parameters>(
        await call('GET', '/fhir/$document-ledger?document=doc-amend', 'consultant'),
      );
      const practice = ledger.parameter?.find(
        (p) =>
          p.name === 'recipient' &&
          p.part?.some((q) => q.name === 'recipientKind' && q.valueCode === 'practice'),
      );
      return practice?.part?.find((p) => p.name === 'state')?.valueCode;
    };

    it('refuses an amendment to a retired concept, to another kind, or of an entry the letter lacks, filing nothing', async () => {
      const retired = await file([amend('22298006', { system: SNOMED_CT_SYSTEM, code: '1000000101' })]);
      assert.equal(retired.statusCode, 400, retired.body);
      assert.deepEqual(outcomeCodes(retired), ['invalid-code']);
      assert.deepEqual(outcomeExpressions(retired), ["Parameters.parameter('amend')[0].part('replacement')"]);
      assert.match(retired.body, /is an inactive diagnosis concept/);
      // 716186003 is an allergy, not a diagnosis; 195967001 is not in the loaded release at all.
      const wrongKind = await file([
        amend('22298006', { system: SNOMED_CT_SYSTEM, code: '716186003' }),
        amend('91936005', { system: SNOMED_CT_SYSTEM, code: '195967001' }),
      ]);
      assert.deepEqual(outcomeExpressions(wrongKind), [
        "Parameters.parameter('amend')[0].part('replacement')",
        "Parameters.parameter('amend')[1].part('replacement')",
      ]);
      const absent = await file([amend('84757009', ATRIAL_FIBRILLATION)]);
      assert.deepEqual(outcomeExpressions(absent), ["Parameters.parameter('amend')[0].part('code')"]);
      const incomplete = await file([
        { name: 'amend', part: [{ name: 'code', valueCoding: { code: '22298006' } }] } as never,
      ]);
      assert.deepEqual(outcomeCodes(incomplete), ['invalid-value']);
      // The requested action (a Task) is filed as sent or declined, never amended.
      const action = await file([amend('182836005', ATRIAL_FIBRILLATION)]);
      assert.deepEqual(outcomeExpressions(action), ["Parameters.parameter('amend')[0].part('code')"]);
      assert.match(action.body, /is an action/);
      assert.equal(await state(), 'delivered');
    });

    it("refuses a replacement coded in another system than its entry's kind, filing nothing", async () => {
      const medicine = { system: DMD_SYSTEM, code: '319740004', display: 'Amlodipine 5mg tablets' };
      const refused = await file([
        // A diagnosis is coded in SNOMED CT, a medicine in dm+d.
        amend('22298006', medicine),
        amend('318420003', ATRIAL_FIBRILLATION, DMD_SYSTEM),
      ]);
      assert.equal(refused.statusCode, 400, refused.body);
      assert.deepEqual(outcomeCodes(refused), ['invalid-code', 'invalid-code']);
      assert.deepEqual(outcomeExpressions(refused), [
        "Parameters.parameter('amend')[0].part('replacement')",
        "Parameters.parameter('amend')[1].part('replacement')",
      ]);
      assert.match(
        refused.body,
        /A diagnosis is coded in http:\/\/snomed\.info\/sct, not https:\/\/dmd\.nhs\.uk/,
      );
      assert.equal(await state(), 'delivered');
    });

    it('refuses a decline that names no coded entry of the letter, filing nothing', async () => {
      const refused = await file([decline('22298006'), decline('73211009')]);
      assert.equal(refused.statusCode, 400, refused.body);
      assert.deepEqual(outcomeCodes(refused), ['invalid-value']);
      assert.deepEqual(outcomeExpressions(refused), ["Parameters.parameter('decline')[1]"]);
      assert.match(refused.body, /no coded entry http:\/\/snomed\.info\/sct\|73211009 to decline/);
      assert.equal(await state(), 'delivered');
    });

    it('refuses an entry both declined and amended, or amended twice, filing nothing', async () => {
      const both = await file([
        decline('91936005'),
        amend('22298006', ATRIAL_FIBRILLATION),
        decline('22298006'),
      ]);
      assert.equal(both.statusCode, 400, both.body);
      assert.deepEqual(outcomeCodes(both), ['invalid-value']);
      assert.deepEqual(outcomeExpressions(both), [
        "Parameters.parameter('amend')[0]",
        "Parameters.parameter('decline')[1]",
      ]);
      assert.match(both.body, /both declined and amended/);
      const twice = await file([
        amend('22298006', ATRIAL_FIBRILLATION),
        amend('22298006', { system: SNOMED_CT_SYSTEM, code: '282825002' }),
      ]);
      assert.equal(twice.statusCode, 400, twice.body);
      assert.deepEqual(outcomeExpressions(twice), ["Parameters.parameter('amend')[1]"]);
      assert.match(twice.body, /amended twice \(also by Parameters\.parameter\('amend'\)\[0\]\)/);
      assert.equal(await state(), 'delivered');
      const conditions = json<Bundle>(await call('GET', '/fhir/Condition?patient=Patient/p1', 'gpA'));
      assert.equal(conditions.entry?.length ?? 0, 0);
    });

    it("files an amended diagnosis under the replacement code and the release's term, noting the original", async () => {
      // The client's words for the replacement are not what is filed: the loaded release's are.
      const filed = await file([amend('22298006', { ...ATRIAL_FIBRILLATION, display: 'Irregular pulse' })]);
      assert.equal(filed.statusCode, 200, filed.body);
      assert.equal(await state(), 'filed');
      const conditions = json<Bundle<Condition>>(
        await call('GET', '/fhir/Condition?patient=Patient/p1', 'gpA'),
      );
      const [condition] = (conditions.entry ?? []).map((entry) => entry.resource as Condition);
      assert.deepEqual(condition?.code, { coding: [ATRIAL_FIBRILLATION], text: 'Atrial fibrillation' });
      assert.match(
        condition?.note?.[0]?.text ?? '',
        /Amended on filing from Myocardial infarction \(http:\/\/snomed\.info\/sct\|22298006\)/,
      );
      // Nothing was filed under the original code.
      const original = json<Bundle>(
        await call('GET', '/fhir/Condition?patient=Patient/p1&code=22298006', 'gpA'),
      );
      assert.equal(original.entry?.length ?? 0, 0);
    });

    it("files a replacement in its kind's system as sent when no release of that system is loaded", async () => {
      const submitted = await call(
        'POST',
        '/fhir/$submit-document',
        'consultant',
        dischargeSummary({ documentId: 'doc-amend-2', setId: 'set-amend-2' }),
      );
      assert.equal(submitted.statusCode, 201, submitted.body);
      // No dm+d release is loaded here: the code cannot be checked, so the client's words are filed.
      const medicine = { system: DMD_SYSTEM, code: '319740004', display: 'Amlodipine 5mg tablets' };
      const filed = await call(
        'POST',
        '/fhir/$file-document',
        'gpA',
        docParam('doc-amend-2', [amend('318420003', medicine, DMD_SYSTEM)]),
      );
      assert.equal(filed.statusCode, 200, filed.body);
      const statements = json<Bundle<MedicationStatement>>(
        await call('GET', '/fhir/MedicationStatement?patient=Patient/p1&code=319740004', 'gpA'),
      );
      assert.equal(statements.entry?.length, 1);
      assert.deepEqual(statements.entry?.[0]?.resource?.medicationCodeableConcept, {
        coding: [medicine],
        text: 'Amlodipine 5mg tablets',
      });
    });
  });
}
