import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DEFAULT_ALARM_CONFIG } from './alarms.js';
import { ASSURANCE_REASONS } from './document-assurance.js';
import {
  DOCUMENT_DEFINITIONS,
  DOCUMENT_KINDS,
  DOCUMENT_KIND_SYSTEM,
  SNOMED_CT_SYSTEM,
  compositionTypeCodings,
  documentKindOfType,
  sectionDefinitionFor,
} from './document-definitions.js';
import { LEDGER_STATES, REJECTION_REASONS } from './ledger.js';

const DOC = readFileSync(new URL('../../../../docs/exchange-documents.md', import.meta.url), 'utf8');

const mandatoryCodes = (kind: (typeof DOCUMENT_KINDS)[number]): string[] =>
  DOCUMENT_DEFINITIONS[kind].sections
    .filter((s) => s.conformance === 'mandatory')
    .map((s) => s.code)
    .sort();

describe('Document definitions', () => {
  it('gives the eDischarge summary the six PRSB mandatory headings', () => {
    assert.deepEqual(
      mandatoryCodes('inpatient-discharge'),
      [
        '886921000000105',
        '887181000000106',
        '887161000000102',
        '886711000000101',
        '886731000000109',
        '887231000000104',
      ].sort(),
    );
  });

  it('makes attendance details mandatory in an outpatient letter', () => {
    assert.ok(mandatoryCodes('outpatient-letter').includes('1077881000000105'));
    assert.equal(DOCUMENT_DEFINITIONS['outpatient-letter'].type.code, '823681000000100');
  });

  it('sets the contractual delivery limits: 24 hours after discharge (SC11.5), 7 days after a clinic (SC11.7)', () => {
    for (const kind of ['inpatient-discharge', 'emergency-discharge', 'mental-health-discharge'] as const) {
      assert.deepEqual(DOCUMENT_DEFINITIONS[kind].deliverySla.duration, { amount: 24, unit: 'hours' });
      assert.equal(DOCUMENT_DEFINITIONS[kind].deliverySla.clause, 'SC11.5');
      assert.deepEqual(DOCUMENT_DEFINITIONS[kind].authorisationSla.duration, { amount: 24, unit: 'hours' });
    }
    assert.deepEqual(DOCUMENT_DEFINITIONS['outpatient-letter'].deliverySla.duration, {
      amount: 7,
      unit: 'days',
    });
    assert.equal(DOCUMENT_DEFINITIONS['outpatient-letter'].deliverySla.clause, 'SC11.7');
    assert.deepEqual(DOCUMENT_DEFINITIONS['outpatient-letter'].authorisationSla.duration, {
      amount: 5,
      unit: 'days',
    });
  });

  it('routes plan and requested actions to Task and medications to MedicationStatement', () => {
    const plan = sectionDefinitionFor('inpatient-discharge', [
      { system: SNOMED_CT_SYSTEM, code: '887201000000105' },
    ]);
    assert.equal(plan?.codedEntries, 'action');
    const meds = sectionDefinitionFor('inpatient-discharge', [
      { system: SNOMED_CT_SYSTEM, code: '933361000000108' },
    ]);
    assert.equal(meds?.codedEntries, 'medication');
  });

  it('accepts both published codes for Individual requirements', () => {
    for (const code of ['1078911000000106', '1052901000000109']) {
      assert.equal(
        sectionDefinitionFor('mental-health-discharge', [{ system: SNOMED_CT_SYSTEM, code }])?.title,
        'Individual requirements',
      );
    }
  });

  it('reads the kind back from the codings a sender writes, and defaults a bare discharge summary to inpatient', () => {
    for (const kind of DOCUMENT_KINDS) assert.equal(documentKindOfType(compositionTypeCodings(kind)), kind);
    assert.equal(
      documentKindOfType([{ system: SNOMED_CT_SYSTEM, code: '373942005' }]),
      'inpatient-discharge',
    );
    assert.equal(documentKindOfType([{ system: DOCUMENT_KIND_SYSTEM, code: 'x-ray' }]), undefined);
    assert.equal(documentKindOfType([{ system: 'http://loinc.org', code: '18842-5' }]), undefined);
  });

  it('documents every section code, assurance reason, ledger state, rejection reason and alarm in docs/exchange-documents.md', () => {
    for (const kind of DOCUMENT_KINDS) {
      assert.ok(DOC.includes(`\`${kind}\``), kind);
      for (const section of DOCUMENT_DEFINITIONS[kind].sections)
        assert.ok(DOC.includes(section.code), `${kind} ${section.title}`);
    }
    for (const reason of Object.keys(ASSURANCE_REASONS)) assert.ok(DOC.includes(`\`${reason}\``), reason);
    for (const state of LEDGER_STATES) assert.ok(DOC.includes(`\`${state}\``), state);
    for (const reason of Object.keys(REJECTION_REASONS)) assert.ok(DOC.includes(`\`${reason}\``), reason);
    assert.deepEqual(DEFAULT_ALARM_CONFIG.notDelivered, { amount: 15, unit: 'minutes' });
    assert.ok(DOC.includes('15 minutes') && DOC.includes('2 working days') && DOC.includes('30 minutes'));
  });
});
