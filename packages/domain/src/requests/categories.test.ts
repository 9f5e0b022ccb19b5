import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SNOMED_CT_SYSTEM } from '../exchange/document-definitions.js';
import { DEFAULT_GP_MINUTES, REQUEST_CATEGORY_CODES, classifyAction, gpMinutes } from './categories.js';

const snomed = (code: string, display: string) => ({ system: SNOMED_CT_SYSTEM, code, display });

describe('Request categories', () => {
  it('has the seven categories of the issue, each with default GP minutes', () => {
    assert.deepEqual(REQUEST_CATEGORY_CODES, [
      'arrange-test',
      'prescribe-medication',
      're-refer',
      'fit-note',
      'chase-result',
      'follow-up-appointment',
      'other',
    ]);
    for (const category of REQUEST_CATEGORY_CODES) assert.ok(DEFAULT_GP_MINUTES[category] > 0);
  });

  it('lets local minutes replace the defaults, and refuses nonsense', () => {
    const minutes = gpMinutes({ 'fit-note': 12 });
    assert.equal(minutes['fit-note'], 12);
    assert.equal(minutes['arrange-test'], DEFAULT_GP_MINUTES['arrange-test']);
    assert.throws(() => gpMinutes({ 'fit-note': -1 }), RangeError);
    assert.throws(() => gpMinutes({ 'fit-note': 2.5 }), RangeError);
    assert.throws(() => gpMinutes({ colonoscopy: 5 } as never), RangeError);
  });

  it('classifies a letter action by its SNOMED CT code first, saying so', () => {
    assert.deepEqual(classifyAction({ concept: snomed('396550006', 'Blood test') }), {
      category: 'arrange-test',
      circumstances: [],
      source: 'snomed',
    });
    // Reviewing a medicine the hospital started is the practice's continued prescribing.
    assert.deepEqual(classifyAction({ concept: snomed('182836005', 'Review of medication') }), {
      category: 'prescribe-medication',
      circumstances: ['continuation'],
      source: 'snomed',
    });
  });

  it('falls back to the words of an unknown code, most specific first, then to other', () => {
    const text = (description: string) =>
      classifyAction({ concept: snomed('1234567', 'Procedure'), description }).category;
    assert.equal(text('Please issue a fit note for 4 weeks'), 'fit-note');
    assert.equal(text('Please chase the blood test results'), 'chase-result');
    assert.equal(text('Please arrange U&E in one week'), 'arrange-test');
    assert.equal(text('Please re-refer if symptoms recur'), 're-refer');
    assert.equal(text('Please prescribe ramipril 5 mg'), 'prescribe-medication');
    assert.equal(text('GP follow-up in 6 weeks'), 'follow-up-appointment');
    assert.deepEqual(classifyAction({ description: 'Please see this patient' }), {
      category: 'other',
      circumstances: [],
      source: 'default',
    });
    assert.equal(classifyAction({ description: 'Fit note please' }).source, 'text');
    // Continuing or reviewing a medicine is continued prescribing, whatever the code.
    assert.deepEqual(classifyAction({ description: 'Please continue ramipril and review the dose' }), {
      category: 'prescribe-medication',
      circumstances: ['continuation'],
      source: 'text',
    });
  });
});
