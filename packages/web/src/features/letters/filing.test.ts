import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DMD_SYSTEM, SNOMED_CT_SYSTEM } from '../../domain';
import type { CodedEntry } from './document-model';
import { amendFieldId, amendParameters, choiceFieldId, planFiling } from './filing';

const diagnosis: CodedEntry = {
  category: 'condition',
  coding: { system: SNOMED_CT_SYSTEM, code: '22298006', display: 'Myocardial infarction' },
  display: 'Myocardial infarction',
};
const medicine: CodedEntry = {
  category: 'medication',
  coding: { system: DMD_SYSTEM, code: '318420003', display: 'Atorvastatin 80mg tablets' },
  display: 'Atorvastatin 80mg tablets',
};
const atrialFibrillation = { system: SNOMED_CT_SYSTEM, code: '49436004', display: 'Atrial fibrillation' };

describe('planFiling', () => {
  it('names every entry without a decision, and every amendment without a concept', () => {
    const plan = planFiling([diagnosis, medicine], ['amend', ''], [undefined, undefined]);
    assert.equal(plan.ok, false);
    assert.deepEqual(plan.ok ? [] : plan.errors.map((error) => error.field), [
      amendFieldId(0),
      choiceFieldId(1),
    ]);
  });

  it('sends declined codings and amendments from the coding as sent to the chosen concept', () => {
    const plan = planFiling([diagnosis, medicine], ['amend', 'decline'], [atrialFibrillation, undefined]);
    assert.ok(plan.ok);
    assert.deepEqual(plan.declined, [medicine.coding]);
    assert.deepEqual(amendParameters(plan.amended), [
      { original: diagnosis.coding, replacement: atrialFibrillation },
    ]);
  });

  it('ignores a concept found earlier when the GP then accepts the entry as sent', () => {
    const plan = planFiling([diagnosis], ['accept'], [atrialFibrillation]);
    assert.ok(plan.ok);
    assert.deepEqual(plan.amended, []);
    assert.deepEqual(plan.declined, []);
  });
});
