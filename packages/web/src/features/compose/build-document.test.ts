import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assureDocument } from '../../../../domain/src/exchange/document-assurance.js';
import { extractDocumentFacts } from '../../../../domain/src/exchange/document-facts.js';
import { readLetter, codedEntriesOf } from '../letters/document-model';
import { buildDocument, type LetterDraft } from './build-document';
import { demoConcept } from './demo-concept.test-support';

const concept = (vocabulary: 'diagnoses' | 'allergies' | 'medicines', code: string) => {
  const found = demoConcept(vocabulary, code);
  assert.ok(found, `${vocabulary} ${code} is in the shipped subset`);
  return found;
};

const CHANGE_LABELS = {
  added: 'Started',
  amended: 'Dose changed',
  continued: 'Continued',
  'on-hold': 'Paused',
  stopped: 'Stopped',
} as const;

function draft(overrides: Partial<LetterDraft> = {}): LetterDraft {
  return {
    kind: 'inpatient-discharge',
    status: 'final',
    uuid: '2f1c7a52-8d8e-4c47-9a51-0d9a3b4c5e6f',
    patient: {
      nhsNumber: '9990011028',
      given: 'Eleanor Mary',
      family: 'Hargreaves',
      birthDate: '1951-06-23',
    },
    admitted: '2026-11-18',
    discharged: '2026-11-21',
    text: {
      '887181000000106': 'Admitted with chest pain <urgent> & treated.',
      '887201000000105': 'Review statin in 6 weeks.',
    },
    diagnoses: [concept('diagnoses', '22298006')],
    allergies: [concept('allergies', '91936005')],
    medicines: [
      { concept: concept('medicines', '318420003'), change: 'added', reason: 'Secondary prevention' },
    ],
    author: { name: 'Dr Daniel Mensah' },
    organisation: { odsCode: 'RZZ', name: 'Kingsmere and District Hospitals NHS Foundation Trust' },
    now: new Date('2026-11-21T10:00:00Z'),
    ...overrides,
  };
}

const AUTO = {
  patientDemographics: 'Eleanor Mary Hargreaves. NHS number 999 001 1028.',
  gpPractice: 'Registered with Quayside Medical Centre.',
  personCompletingRecord: 'Dr Daniel Mensah, Kingsmere',
  changeLabels: CHANGE_LABELS,
};

describe('Composing a letter', () => {
  it('builds a discharge summary the exchange’s own assurance accepts, with its medication change', () => {
    const bundle = buildDocument(draft(), AUTO);
    const assurance = assureDocument(bundle);
    assert.equal(assurance.outcome, 'accepted', JSON.stringify(assurance));
    const facts = extractDocumentFacts(bundle);
    assert.equal(facts.kind, 'inpatient-discharge');
    assert.equal(facts.hasMedicationChanges, true);
    assert.deepEqual(
      facts.medications.map((medicine) => [medicine.concept.code, medicine.change]),
      [['318420003', 'added']],
    );
    assert.deepEqual(
      facts.conditions.map((condition) => condition.concept.code),
      ['22298006'],
    );
  });

  it('builds a clinic letter that passes assurance', () => {
    const bundle = buildDocument(
      draft({
        kind: 'outpatient-letter',
        admitted: undefined,
        discharged: undefined,
        attended: '2026-11-20',
        medicines: [],
        text: { '1077881000000105': 'Cardiology clinic.', '887181000000106': 'Stable.' },
      }),
      AUTO,
    );
    assert.equal(assureDocument(bundle).outcome, 'accepted');
  });

  it('escapes what the clinician typed in the narrative', () => {
    const bundle = buildDocument(draft(), AUTO);
    const summary = readLetter(bundle).sections.find((section) => section.title === 'Clinical summary');
    assert.equal(
      summary?.narrative,
      '<div xmlns="http://www.w3.org/1999/xhtml"><p>Admitted with chest pain &lt;urgent&gt; &amp; treated.</p></div>',
    );
  });

  it('reads back as the GP will see it: headings in order and every coded entry once', () => {
    const letter = readLetter(buildDocument(draft(), AUTO));
    assert.equal(letter.title, 'Inpatient and day case discharge summary');
    assert.equal(letter.author, 'Dr Daniel Mensah');
    assert.ok(letter.sections.some((section) => section.title === 'Patient demographics'));
    assert.deepEqual(
      codedEntriesOf(letter).map((entry) => [entry.category, entry.coding.code, entry.detail]),
      [
        ['allergy', '91936005', undefined],
        ['condition', '22298006', undefined],
        ['medication', '318420003', 'added'],
      ],
    );
    const medicines = letter.sections.find((section) => section.title === 'Medications and medical devices');
    assert.match(medicines?.narrative ?? '', /Atorvastatin 80mg tablets: Started \(Secondary prevention\)/);
  });

  it('marks a secretary’s letter preliminary, to wait for a consultant', () => {
    const bundle = buildDocument(draft({ status: 'preliminary' }), AUTO);
    assert.equal(extractDocumentFacts(bundle).status, 'preliminary');
  });
});
