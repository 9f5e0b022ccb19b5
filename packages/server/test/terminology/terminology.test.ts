import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CapabilityStatement, ValueSet } from 'fhir/r4.js';
import {
  DMD_SYSTEM,
  EXPANSION_TOTAL_CAP,
  ReleaseFormatError,
  SNOMED_CT_SYSTEM,
  TERMINOLOGY_VALUE_SETS,
} from '@carebridge/domain';
import { parseTerminologyArguments } from '../../src/cli/terminology-command.js';
import { importTerminology, seedDemoTerminologyIfEmpty } from '../../src/terminology/terminology-import.js';
import { findConcept, replaceRelease } from '../../src/terminology/terminology-store.js';
import { testDatabaseKinds } from '../support/databases.js';
import { staff, patientLogin } from '../support/principals.js';
import { createTestApp, json, outcomeCodes, outcomeExpressions, type TestApp } from '../support/test-app.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const SNOMED = join(FIXTURES, 'snomed');
const DMD = join(FIXTURES, 'dmd');
const DIAGNOSES = TERMINOLOGY_VALUE_SETS.diagnosis.url;
const ALLERGIES = TERMINOLOGY_VALUE_SETS.allergy.url;
const MEDICINES = TERMINOLOGY_VALUE_SETS.medicine.url;

for (const kind of testDatabaseKinds()) {
  describe(`terminology import and ValueSet/$expand (${kind})`, () => {
    let t: TestApp;
    let gp: string;

    before(async () => {
      t = await createTestApp(kind);
      gp = t.principals.register('gp', staff('gp', 'practice-a'));
    });
    after(() => t.close());

    const expand = (query: string, authorization = gp) =>
      t.fhir('GET', `/fhir/ValueSet/$expand?${query}`, undefined, { authorization });
    const codes = async (query: string): Promise<string[]> => {
      const response = await expand(query);
      assert.equal(response.statusCode, 200, response.body);
      return (json<ValueSet>(response).expansion?.contains ?? []).map((concept) => concept.code ?? '');
    };
    const url = (valueSet: string) => `url=${encodeURIComponent(valueSet)}`;

    it('seeds the demonstration subset once, and offers it before any import', async () => {
      assert.equal(await seedDemoTerminologyIfEmpty(t.database.db, t.clock), true);
      assert.equal(await seedDemoTerminologyIfEmpty(t.database.db, t.clock), false);
      const response = await expand(`${url(MEDICINES)}&filter=atorva`);
      const valueSet = json<ValueSet>(response);
      assert.deepEqual(valueSet.expansion?.contains, [
        { system: DMD_SYSTEM, code: '318420003', display: 'Atorvastatin 80mg tablets' },
      ]);
      const used = valueSet.expansion?.parameter?.find((p) => p.name === 'used-codesystem')?.valueUri;
      assert.match(used ?? '', /unverified demonstration data/);
    });

    it('imports the RF2 and dm+d fixture releases, reporting counts, in place of the demo subset', async () => {
      const imported = await importTerminology(t.database.db, { snomed: SNOMED, dmd: DMD }, t.clock);
      assert.deepEqual(
        imported.map(({ system, version, concepts, active, inactive, rowsRead, withoutTerm }) => ({
          system,
          version,
          concepts,
          active,
          inactive,
          rowsRead,
          withoutTerm,
        })),
        [
          // 9 diagnoses (one retired) and 3 allergies; 14 concept, 15 relationship, 11 language, 28 description rows.
          {
            system: SNOMED_CT_SYSTEM,
            version: 'INT_20250401',
            concepts: 12,
            active: 11,
            inactive: 1,
            rowsRead: 68,
            withoutTerm: 0,
          },
          {
            system: DMD_SYSTEM,
            version: '3010425',
            concepts: 6,
            active: 4,
            inactive: 2,
            rowsRead: 6,
            withoutTerm: 0,
          },
        ],
      );
      // The demo subset is gone: the import replaced it.
      assert.deepEqual(await codes(`${url(DIAGNOSES)}&filter=asthma`), []);
    });

    it('shows the preferred term of the language refset, and finds a concept by its synonyms', async () => {
      const response = await expand(`${url(DIAGNOSES)}&filter=heart%20att`);
      assert.deepEqual(json<ValueSet>(response).expansion?.contains, [
        { system: SNOMED_CT_SYSTEM, code: '22298006', display: 'Myocardial infarction' },
      ]);
      // No preferred synonym in the refset: the FSN without its semantic tag.
      const allergy = await findConcept(t.database.db, SNOMED_CT_SYSTEM, '91936005', 'allergy');
      assert.deepEqual(allergy, { display: 'Allergy to penicillin', active: true });
      assert.deepEqual(await codes(`${url(ALLERGIES)}&filter=penicillin`), ['91936005']);
      // An AMP is shown with its supplier.
      assert.deepEqual(await codes(`${url(MEDICINES)}&filter=synthetic%20pharma`), ['1000000211']);
    });

    it('classifies by the is-a hierarchy: findings are diagnoses, allergic dispositions allergies', async () => {
      assert.deepEqual(await codes(`${url(ALLERGIES)}&filter=known`), ['716186003']);
      assert.deepEqual(await codes(`${url(DIAGNOSES)}&filter=known`), []);
      // A procedure is neither, even with a retired is-a to Clinical finding.
      assert.deepEqual(await codes(`${url(DIAGNOSES)}&filter=append`), []);
    });

    it('never offers an inactive concept, description or dm+d product, but still knows it', async () => {
      assert.deepEqual(await codes(`${url(DIAGNOSES)}&filter=retired`), []);
      assert.deepEqual(await codes(`${url(DIAGNOSES)}&filter=cardiac%20infarct`), []);
      assert.deepEqual(await codes(`${url(MEDICINES)}&filter=withdrawn`), []);
      assert.deepEqual(await findConcept(t.database.db, SNOMED_CT_SYSTEM, '1000000101', 'diagnosis'), {
        display: 'Myocardial infarction retired synthetic',
        active: false,
      });
    });

    it('ranks preferred terms that start with the filter first, then shorter terms', async () => {
      assert.deepEqual(await codes(`${url(DIAGNOSES)}&filter=atrial%20fib`), [
        '49436004', // Atrial fibrillation
        '195080001', // Atrial fibrillation and flutter (longer, but a prefix match)
        '282825002', // Paroxysmal atrial fibrillation
      ]);
      assert.deepEqual(await codes(`${url(DIAGNOSES)}&filter=fib%20PAROX`), ['282825002']);
    });

    it('bounds the expansion by count', async () => {
      assert.deepEqual(await codes(`${url(DIAGNOSES)}&filter=atrial&count=1`), ['49436004']);
      assert.equal((await codes(`${url(DIAGNOSES)}&filter=atrial&count=2`)).length, 2);
    });

    it('refuses a filter with no word of at least two letters or digits, naming filter', async () => {
      for (const filter of [
        '',
        '&filter=',
        '&filter=a',
        '&filter=a%20b%20c',
        '&filter=...',
        '&filter=%20-%20%2F%20',
      ]) {
        const response = await expand(`${url(DIAGNOSES)}${filter}`);
        assert.equal(response.statusCode, 400, filter);
        assert.deepEqual(outcomeCodes(response), ['invalid-search-value'], filter);
        assert.deepEqual(outcomeExpressions(response), ['filter'], filter);
      }
      // One word long enough drives the search; a one-letter word beside it still narrows it.
      assert.deepEqual(await codes(`${url(DIAGNOSES)}&filter=p%20fib`), ['282825002']);
    });

    it('re-importing the same release is idempotent', async () => {
      const before = await codes(`${url(DIAGNOSES)}&filter=atrial&count=100`);
      const again = await importTerminology(t.database.db, { snomed: SNOMED }, t.clock);
      assert.equal(again[0]?.concepts, 12);
      assert.deepEqual(await codes(`${url(DIAGNOSES)}&filter=atrial&count=100`), before);
      const { rows } = await t.database.db.query<{ n: number }>(
        'select count(*)::int as n from terminology_concept where system = $1',
        [SNOMED_CT_SYSTEM],
      );
      assert.equal(rows[0]?.n, 12);
    });

    it('refuses a malformed RF2 file naming file:line, and changes nothing', async () => {
      const broken = await mkdtemp(join(tmpdir(), 'carebridge-rf2-'));
      try {
        await cp(SNOMED, broken, { recursive: true });
        const file = join(broken, 'Snapshot/Terminology/sct2_Description_Snapshot-en_INT_20250401.txt');
        const lines = (await readFile(file, 'utf8')).split('\r\n');
        lines[4] = (lines[4] ?? '').split('\t').slice(0, 5).join('\t');
        await writeFile(file, lines.join('\r\n'));
        await assert.rejects(
          importTerminology(t.database.db, { snomed: broken }, t.clock),
          (error: unknown) =>
            error instanceof ReleaseFormatError &&
            error.message === `${file}:5: expected 9 tab-separated fields, found 5`,
        );
        const header = join(broken, 'Snapshot/Terminology/sct2_Concept_Snapshot_INT_20250401.txt');
        await writeFile(header, 'id\tactive\n');
        await assert.rejects(
          importTerminology(t.database.db, { snomed: broken }, t.clock),
          /sct2_Concept_Snapshot_INT_20250401\.txt:1: expected the RF2 concept header/,
        );
      } finally {
        await rm(broken, { recursive: true, force: true });
      }
      assert.deepEqual(await codes(`${url(DIAGNOSES)}&filter=heart`), ['22298006']);
    });

    it('refuses malformed dm+d XML naming file:line', async () => {
      const broken = await mkdtemp(join(tmpdir(), 'carebridge-dmd-'));
      try {
        await cp(DMD, broken, { recursive: true });
        const file = join(broken, 'f_vmp2_3010425.xml');
        const xml = await readFile(file, 'utf8');
        await writeFile(
          file,
          xml.replace('<NM>Paracetamol 500mg tablets</NM>', '<NM>Paracetamol 500mg tablets</NN>'),
        );
        await assert.rejects(
          importTerminology(t.database.db, { dmd: broken }, t.clock),
          (error: unknown) =>
            error instanceof ReleaseFormatError &&
            error.message.startsWith(`${file}:13: not well-formed XML`),
        );
        await writeFile(file, xml.replace('<VPID>322236009</VPID>', '<VPID>not-a-code</VPID>'));
        // Every system's files are checked before any is written: a good SNOMED CT release given
        // beside the bad dm+d one is not loaded either.
        const snomed = join(broken, 'snomed');
        await cp(SNOMED, snomed, { recursive: true });
        const descriptions = join(
          snomed,
          'Snapshot/Terminology/sct2_Description_Snapshot-en_INT_20250401.txt',
        );
        await writeFile(
          descriptions,
          `${await readFile(descriptions, 'utf8')}3000001\t20250401\t1\t900000000000207008\t22298006\ten\t900000000000013009\tInfarct unloaded\t900000000000448009\r\n`,
        );
        await assert.rejects(
          importTerminology(t.database.db, { snomed, dmd: broken }, t.clock),
          /f_vmp2_3010425\.xml:11: VMP has no valid VPID/,
        );
        assert.deepEqual(await codes(`${url(DIAGNOSES)}&filter=unloaded`), []);
      } finally {
        await rm(broken, { recursive: true, force: true });
      }
      assert.deepEqual(await codes(`${url(MEDICINES)}&filter=paracetamol`), ['322236009']);
    });

    it('pages an expansion with offset and count, reporting the total and the offset', async () => {
      const page = async (query: string) => {
        const response = await expand(`${url(DIAGNOSES)}&filter=atrial&${query}`);
        assert.equal(response.statusCode, 200, response.body);
        const expansion = json<ValueSet>(response).expansion;
        return {
          total: expansion?.total,
          offset: expansion?.offset,
          codes: (expansion?.contains ?? []).map((concept) => concept.code),
          offsetParameter: expansion?.parameter?.find((p) => p.name === 'offset')?.valueInteger,
        };
      };
      const all = await page('count=100');
      assert.equal(all.total, 3);
      assert.equal(all.codes.length, 3);
      const first = await page('count=2');
      assert.deepEqual(first, { total: 3, offset: 0, codes: all.codes.slice(0, 2), offsetParameter: 0 });
      const second = await page('offset=2&count=2');
      assert.deepEqual(second, { total: 3, offset: 2, codes: all.codes.slice(2), offsetParameter: 2 });
      assert.deepEqual(await page('offset=3&count=2'), {
        total: 3,
        offset: 3,
        codes: [],
        offsetParameter: 3,
      });
      // The total counts the filter's matches, not the page.
      assert.deepEqual(await page('offset=1&count=1'), {
        total: 3,
        offset: 1,
        codes: ['195080001'],
        offsetParameter: 1,
      });
      for (const bad of ['offset=-1', 'offset=1.5', 'offset=x', 'offset=10001', 'offset=1&offset=2']) {
        const response = await expand(`${url(DIAGNOSES)}&filter=atrial&${bad}`);
        assert.equal(response.statusCode, 400, bad);
        assert.deepEqual(outcomeExpressions(response), ['offset'], bad);
      }
      assert.equal((await page('offset=10000')).total, 3);
    });

    it('counts at most 1,000 matches: beyond that it leaves the total out and says total-capped', async () => {
      // 1,000 medicines found by "capmed tablets", and one more found by "capmed" alone.
      const concepts = Array.from({ length: EXPANSION_TOTAL_CAP + 1 }, (_, i) => {
        const display = i === 0 ? 'Capmed oral solution' : `Capmed ${i} tablets`;
        return {
          code: String(1_000_000_000 + i),
          kind: 'medicine' as const,
          display,
          active: true,
          terms: [display],
        };
      });
      const release = { system: DMD_SYSTEM, version: 'capped', importedAt: t.clock.now() };
      await t.database.db.transaction((tx) => replaceRelease(tx, release, [concepts]));
      try {
        const expansionOf = async (query: string) => {
          const response = await expand(`${url(MEDICINES)}&${query}`);
          assert.equal(response.statusCode, 200, response.body);
          const expansion = json<ValueSet>(response).expansion;
          return {
            total: expansion?.total,
            capped: expansion?.parameter?.find((p) => p.name === 'total-capped')?.valueBoolean,
            shown: expansion?.contains?.length,
          };
        };
        assert.deepEqual(await expansionOf('filter=capmed%20tablets&count=5'), {
          total: EXPANSION_TOTAL_CAP,
          capped: undefined,
          shown: 5,
        });
        assert.deepEqual(await expansionOf('filter=capmed&count=5'), {
          total: undefined,
          capped: true,
          shown: 5,
        });
        // Still every match is ranked and can be paged to: the cap bounds the count, not the answer.
        assert.deepEqual(await expansionOf('filter=capmed&offset=995&count=10'), {
          total: undefined,
          capped: true,
          shown: 6,
        });
      } finally {
        await importTerminology(t.database.db, { dmd: DMD }, t.clock);
      }
    });

    it('lists ValueSet in the CapabilityStatement with only its $expand operation', async () => {
      const response = await t.fhir('GET', '/fhir/metadata');
      const statement = json<CapabilityStatement>(response);
      const valueSet = statement.rest?.[0]?.resource?.find((resource) => resource.type === 'ValueSet');
      assert.equal(valueSet?.interaction, undefined);
      assert.deepEqual(
        valueSet?.operation?.map(({ name, definition }) => ({ name, definition })),
        [{ name: 'expand', definition: 'http://hl7.org/fhir/OperationDefinition/ValueSet-expand' }],
      );
      assert.match(valueSet?.operation?.[0]?.documentation ?? '', /offset 0–10000/);
      assert.match(valueSet?.operation?.[0]?.documentation ?? '', /up to 1000, beyond which .* total-capped/);
      for (const valueSetUrl of [DIAGNOSES, ALLERGIES, MEDICINES]) {
        assert.ok(valueSet?.documentation?.includes(valueSetUrl), valueSetUrl);
      }
    });

    it('prefers the synonym of the most wanted language refset, across several refset files', async () => {
      const release = await mkdtemp(join(tmpdir(), 'carebridge-rf2-'));
      try {
        await cp(SNOMED, release, { recursive: true });
        // The NHS realm refset (ranked first by default) prefers "Heart attack" (200008) for 22298006.
        await writeFile(
          join(release, 'Snapshot/Refset/Language/der2_cRefset_LanguageSnapshot-en_GB1000000_20250401.txt'),
          [
            'id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\tacceptabilityId',
            '10000000-0000-4000-8000-000000000001\t20250401\t1\t999000011000000103\t999001261000000100\t200008\t900000000000548007',
            '',
          ].join('\r\n'),
        );
        await importTerminology(t.database.db, { snomed: release }, t.clock);
        assert.deepEqual(await findConcept(t.database.db, SNOMED_CT_SYSTEM, '22298006', 'diagnosis'), {
          display: 'Heart attack',
          active: true,
        });
        // Still found by the GB English preferred term, now a synonym.
        assert.deepEqual(await codes(`${url(DIAGNOSES)}&filter=myocardial%20inf`), ['22298006']);
      } finally {
        await rm(release, { recursive: true, force: true });
        await importTerminology(t.database.db, { snomed: SNOMED }, t.clock);
      }
    });

    it('streams a release of more than a batch, and refuses one whose last row is malformed, changing nothing', async () => {
      const release = await mkdtemp(join(tmpdir(), 'carebridge-rf2-'));
      try {
        await cp(SNOMED, release, { recursive: true });
        const file = join(release, 'Snapshot/Terminology/sct2_Description_Snapshot-en_INT_20250401.txt');
        const original = await readFile(file, 'utf8');
        const synonyms = Array.from(
          { length: 2500 },
          (_, i) =>
            `${3000000 + i}\t20250401\t1\t900000000000207008\t22298006\ten\t900000000000013009\tInfarct variant v${i}\t900000000000448009`,
        );
        const lastLine = original.split('\r\n').filter((line) => line !== '').length + synonyms.length + 1;
        await writeFile(file, `${original}${synonyms.join('\r\n')}\r\n3999999\t2025-04-01\t1\r\n`);
        await assert.rejects(
          importTerminology(t.database.db, { snomed: release }, t.clock),
          (error: unknown) =>
            error instanceof ReleaseFormatError &&
            error.message === `${file}:${lastLine}: expected 9 tab-separated fields, found 3`,
        );
        assert.deepEqual(await codes(`${url(DIAGNOSES)}&filter=variant`), []);
        await writeFile(file, `${original}${synonyms.join('\r\n')}\r\n`);
        const [imported] = await importTerminology(t.database.db, { snomed: release }, t.clock);
        assert.equal(imported?.rowsRead, 68 + 2500);
        assert.equal(imported?.concepts, 12);
        const response = await expand(`${url(DIAGNOSES)}&filter=infarct%20v2499`);
        assert.deepEqual(json<ValueSet>(response).expansion?.contains, [
          { system: SNOMED_CT_SYSTEM, code: '22298006', display: 'Myocardial infarction' },
        ]);
      } finally {
        await rm(release, { recursive: true, force: true });
        await importTerminology(t.database.db, { snomed: SNOMED }, t.clock);
      }
    });

    it('answers bad parameters with an OperationOutcome naming each one', async () => {
      const unknown = await expand(
        'url=https%3A%2F%2Fexample.org%2FValueSet%2Fx&filter=asthma&count=0&sort=display',
      );
      assert.equal(unknown.statusCode, 400);
      assert.deepEqual(outcomeCodes(unknown), [
        'invalid-search-parameter',
        'invalid-search-value',
        'invalid-search-value',
      ]);
      assert.deepEqual(outcomeExpressions(unknown), ['sort', 'url', 'count']);
      const missing = await expand('filter=asthma&count=101');
      assert.deepEqual(outcomeExpressions(missing), ['url', 'count']);
      const long = await expand(`${url(DIAGNOSES)}&filter=${'a%20'.repeat(9)}`);
      assert.deepEqual(outcomeExpressions(long), ['filter']);
      const posted = await t.fhir('POST', '/fhir/ValueSet/$expand', {}, { authorization: gp });
      assert.equal(posted.statusCode, 405);
    });

    it('requires a signed-in user, and audits each expansion naming no patient', async () => {
      const anonymous = await t.app.inject({
        method: 'GET',
        url: `/fhir/ValueSet/$expand?${url(DIAGNOSES)}`,
      });
      assert.equal(anonymous.statusCode, 401);
      const patient = t.principals.register('patient', patientLogin('p1'));
      assert.equal((await expand(`${url(ALLERGIES)}&filter=pen`, patient)).statusCode, 200);
      const entry = t.audit.entries.findLast((e) => e.interaction === '$expand');
      assert.equal(entry?.principal?.subject, 'patient:p1');
      assert.equal(entry?.outcome, 'success');
      assert.deepEqual(entry?.patientIds, []);
      assert.match(entry?.query ?? '', /filter=pen/);
    });
  });
}

describe('terminology import command line', () => {
  it('reads the release directories and the classification options, with defaults', () => {
    const parsed = parseTerminologyArguments([
      '--snomed',
      '/r/snomed',
      '--dmd=/r/dmd',
      '--allergy-root',
      '609328004',
    ]);
    assert.equal(parsed.snomed, '/r/snomed');
    assert.equal(parsed.dmd, '/r/dmd');
    assert.deepEqual(parsed.classification?.roots, { diagnosis: ['404684003'], allergy: ['609328004'] });
    assert.deepEqual(parsed.classification?.languageRefsets, ['999001261000000100', '900000000000508004']);
  });

  it('refuses what it does not understand rather than importing something else', () => {
    assert.throws(() => parseTerminologyArguments([]), /Give --snomed, --dmd or both/);
    assert.throws(() => parseTerminologyArguments(['--snowmed', 'x']), /Unknown option --snowmed/);
    assert.throws(
      () => parseTerminologyArguments(['--snomed', 'x', '--diagnosis-root', 'finding']),
      /must be a SNOMED CT id/,
    );
  });
});
