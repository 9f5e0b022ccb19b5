import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMPTY_DATE } from '../../components/fields';
import { validateLetter, type ComposeForm } from './compose-form';
import { demoConcept } from './demo-concept.test-support';

const EMPTY: ComposeForm = {
  kind: '',
  nhsNumber: '',
  given: '',
  family: '',
  birthDate: EMPTY_DATE,
  admitted: EMPTY_DATE,
  discharged: EMPTY_DATE,
  attended: EMPTY_DATE,
  text: {},
  diagnoses: [],
  allergies: [],
  medicines: [],
};

describe('Validating a letter before it is sent', () => {
  it('asks for the kind of letter first', () => {
    assert.deepEqual(
      validateLetter(EMPTY).map((error) => error.field),
      ['kind'],
    );
  });

  it('names every missing field of a discharge summary at once, by field', () => {
    const fields = validateLetter({ ...EMPTY, kind: 'inpatient-discharge' }).map((error) => error.field);
    assert.deepEqual(fields, [
      'nhs-number',
      'given',
      'family',
      'birth-date',
      'admitted',
      'discharged',
      'allergy-pick',
      'section-887181000000106',
      'diagnosis-pick',
    ]);
  });

  it('checks the NHS number’s check digit and that dates are real and in order', () => {
    const errors = validateLetter({
      ...EMPTY,
      kind: 'inpatient-discharge',
      nhsNumber: '999 001 1029',
      given: 'Eleanor',
      family: 'Hargreaves',
      birthDate: { day: '31', month: '2', year: '1951' },
      admitted: { day: '20', month: '11', year: '2026' },
      discharged: { day: '18', month: '11', year: '2026' },
    });
    assert.deepEqual(
      errors
        .filter((error) => !error.field.startsWith('section-') && !error.field.endsWith('-pick'))
        .map((error) => [error.field, error.message]),
      [
        ['nhs-number', 'Enter a valid NHS number'],
        ['birth-date', 'Enter the patient’s date of birth as a real date'],
        ['discharged', 'Date discharged must be the same as or after the date admitted'],
      ],
    );
  });

  it('accepts coded entries in place of typed text under a coded heading', () => {
    const allergy = demoConcept('allergies', '716186003');
    const diagnosis = demoConcept('diagnoses', '49436004');
    assert.ok(allergy && diagnosis);
    const errors = validateLetter({
      ...EMPTY,
      kind: 'outpatient-letter',
      nhsNumber: '9990011028',
      given: 'Eleanor',
      family: 'Hargreaves',
      birthDate: { day: '23', month: '6', year: '1951' },
      attended: { day: '20', month: '11', year: '2026' },
      text: { '1077881000000105': 'Cardiology clinic', '887181000000106': 'Stable' },
      allergies: [allergy],
      diagnoses: [diagnosis],
    });
    assert.deepEqual(errors, []);
  });
});
