import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dmdConcept } from './dmd.js';
import {
  FULLY_SPECIFIED_NAME,
  PREFERRED,
  ReleaseFormatError,
  Rf2Hierarchy,
  SYNONYM,
  checkRf2Header,
  isSctid,
  parseRf2Row,
  preferredRank,
  wantedDescription,
  withoutSemanticTag,
} from './rf2.js';
import { searchWordsOf, wordsOf } from './search-words.js';

const row = (...fields: string[]) => fields.join('\t');

describe('RF2 rows', () => {
  it('refuses a wrong header, a short row or a malformed id, naming file and line', () => {
    assert.throws(
      () => checkRf2Header('concept', 'id\teffectiveTime', 'c.txt'),
      /^ReleaseFormatError: c\.txt:1: expected the RF2 concept header/,
    );
    assert.throws(() => parseRf2Row('concept', row('22298006', '20250401', '1'), 'c.txt', 7), {
      message: 'c.txt:7: expected 5 tab-separated fields, found 3',
    });
    assert.throws(
      () =>
        parseRf2Row(
          'concept',
          row('22298006', '2025-04-01', '1', '900000000000207008', '900000000000074008'),
          'c.txt',
          2,
        ),
      (error: unknown) =>
        error instanceof ReleaseFormatError && error.line === 2 && /effectiveTime/.test(error.message),
    );
    assert.deepEqual(
      parseRf2Row(
        'concept',
        row('22298006', '20250401', '1', '900000000000207008', '900000000000074008\r'),
        'c.txt',
        2,
      ),
      ['22298006', '20250401', '1', '900000000000207008', '900000000000074008'],
    );
  });

  it('classifies through is-a from the roots, and keeps a retired concept where it last was', () => {
    const hierarchy = new Rf2Hierarchy({
      roots: { diagnosis: ['404684003'], allergy: ['609328004'] },
      languageRefsets: ['900000000000508004'],
    });
    // 18-digit UK extension ids are beyond a double's exact range: they must not collide.
    const [ukA, ukB] = ['999001261000000100', '999001261000000101'];
    for (const [id, active] of [
      ['404684003', '1'],
      ['22298006', '1'],
      ['1000000101', '0'],
      ['80146002', '1'],
      ['609328004', '1'],
      [ukA, '1'],
      [ukB, '1'],
      // Listed again (two editions side by side): one concept, active if either row says so.
      ['1000000101', '0'],
      ['22298006', '0'],
    ] as const)
      hierarchy.addConcept([id, '20250401', active]);
    const isA = (source: string, destination: string, active: string) =>
      hierarchy.addRelationship(['1', '20250401', active, 'm', source, destination, '0', '116680003']);
    isA('22298006', '404684003', '1');
    isA('1000000101', '22298006', '0');
    isA('80146002', '404684003', '0'); // an active concept's retired place does not count
    isA('609328004', '404684003', '1');
    isA(ukA, '609328004', '1');
    isA('2000000101', '404684003', '1'); // a concept the concept files lack is passed over
    hierarchy.addRelationship(['2', '20250401', '1', 'm', ukB, '404684003', '0', '363698007']); // not is-a
    assert.equal(hierarchy.classify(), 5);
    assert.deepEqual(
      [...hierarchy.classifiedConcepts()].map(({ code, kind, active }) => `${code} ${kind} ${active}`),
      [
        '22298006 diagnosis true',
        '404684003 diagnosis true',
        '609328004 diagnosis true',
        '609328004 allergy true',
        '1000000101 diagnosis false',
        `${ukA} diagnosis true`,
        `${ukA} allergy true`,
      ],
    );
    assert.equal(hierarchy.isClassified(ukB), false);
    assert.equal(hierarchy.isClassified('80146002'), false);
    assert.equal(hierarchy.isClassified('2000000101'), false);
  });

  it("picks out the descriptions and language rows a classified concept's display may come from", () => {
    const hierarchy = new Rf2Hierarchy({ roots: { diagnosis: ['22298006'] }, languageRefsets: ['1', '2'] });
    hierarchy.addConcept(['22298006', '20250401', '1']);
    hierarchy.addConcept(['80146002', '20250401', '1']);
    hierarchy.classify();
    const description = (id: string, active: string, concept: string, type: string, term: string) =>
      wantedDescription([id, '', active, '', concept, 'en', type, term, ''], hierarchy);
    assert.deepEqual(
      description('d1', '1', '22298006', FULLY_SPECIFIED_NAME, 'Myocardial infarction (disorder)'),
      {
        descriptionId: 'd1',
        conceptId: '22298006',
        synonym: false,
        display: 'Myocardial infarction',
      },
    );
    assert.equal(description('d2', '1', '22298006', SYNONYM, 'Heart attack')?.synonym, true);
    assert.equal(description('d3', '0', '22298006', SYNONYM, 'Cardiac infarction'), undefined);
    assert.equal(description('d4', '1', '80146002', SYNONYM, 'Appendectomy'), undefined);
    assert.equal(description('d5', '1', '22298006', '900000000000550004', 'A definition'), undefined);
    const language = (active: string, refset: string, acceptability: string) =>
      preferredRank(['u', '', active, '', refset, 'd2', acceptability], {
        roots: {},
        languageRefsets: ['1', '2'],
      });
    assert.equal(language('1', '2', PREFERRED), 1);
    assert.equal(language('1', '1', PREFERRED), 0);
    assert.equal(language('0', '1', PREFERRED), undefined);
    assert.equal(language('1', '3', PREFERRED), undefined);
    assert.equal(language('1', '1', '900000000000549004'), undefined);
  });
});

describe('dm+d records and search words', () => {
  it('reads VMP and AMP records, marking INVALID ones inactive', () => {
    assert.deepEqual(
      dmdConcept(
        'amp',
        {
          APID: '1000000211',
          NM: 'Lipitor 80mg tablets',
          DESC: 'Lipitor 80mg tablets (Pfizer Ltd)',
          INVALID: '1',
        },
        'f.xml',
        3,
      ),
      {
        code: '1000000211',
        kind: 'medicine',
        display: 'Lipitor 80mg tablets (Pfizer Ltd)',
        active: false,
        terms: ['Lipitor 80mg tablets (Pfizer Ltd)', 'Lipitor 80mg tablets'],
      },
    );
    assert.throws(() => dmdConcept('vmp', { VPID: '318420003' }, 'f.xml', 9), {
      message: 'f.xml:9: VMP 318420003 has no NM',
    });
  });

  it('splits terms into lower-case words without accents or punctuation', () => {
    assert.deepEqual(wordsOf('Non-ST élévation MI'), ['non', 'st', 'elevation', 'mi']);
    assert.deepEqual(searchWordsOf(['Heart attack', 'Attack of heart']), ['heart', 'attack', 'of']);
    assert.equal(withoutSemanticTag('Asthma (disorder)'), 'Asthma');
  });
});

describe('The one SCTID form (RF2 ids, dm+d ids, command-line roots and refsets)', () => {
  it('takes 6 to 18 digits without a leading zero, and nothing else', () => {
    assert.deepEqual(
      [
        '404684003',
        '999001261000000100',
        '100000',
        '12345',
        '0123456',
        '1234567890123456789',
        '4046 84003',
        '',
      ].map(isSctid),
      [true, true, true, false, false, false, false, false],
    );
    assert.throws(() => dmdConcept('vmp', { VPID: '012345', NM: 'x' }, 'f.xml', 3), /has no valid VPID/);
  });
});
