import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SUPPORTED_RESOURCE_TYPES } from '../fhir/resource-types.js';
import { DEFINITION_RULES, R4_RESOURCE_TYPES } from './generated/r4-structure-rules.js';

const GENERATOR = fileURLToPath(new URL('../../scripts/generate-validators.mjs', import.meta.url));

describe('the rules generated from the R4 StructureDefinitions', () => {
  it('are up to date with the installed definitions (run the generator when this fails)', () => {
    const result = spawnSync(process.execPath, [GENERATOR, '--check'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr || result.stdout);
  });

  it('list every resource type Carebridge stores, and nothing newer than R4', () => {
    for (const type of SUPPORTED_RESOURCE_TYPES) assert.ok(R4_RESOURCE_TYPES.includes(type), type);
    assert.equal(R4_RESOURCE_TYPES.length, 146);
    assert.ok(!R4_RESOURCE_TYPES.includes('SubscriptionStatus'), 'SubscriptionStatus is R4B');
  });

  it('require what FHIR R4 requires, in resources, backbone elements and datatypes', () => {
    assert.deepEqual(DEFINITION_RULES['Observation']?.required, ['status', 'code']);
    assert.deepEqual(DEFINITION_RULES['Task']?.required, ['status', 'intent']);
    assert.deepEqual(DEFINITION_RULES['Bundle']?.required, ['type']);
    assert.deepEqual(DEFINITION_RULES['Bundle_Request']?.required, ['method', 'url']);
    assert.deepEqual(DEFINITION_RULES['Extension']?.required, ['url']);
    assert.equal(DEFINITION_RULES['Patient']?.required, undefined);
    assert.equal(DEFINITION_RULES['Observation_Component']?.path, 'Observation.component');
  });

  it('find the elements Medplum adds to its schema, so they are reported as unknown', () => {
    assert.deepEqual(DEFINITION_RULES['Meta']?.notInR4, ['project', 'author', 'account', 'compartment']);
    assert.deepEqual(DEFINITION_RULES['Reference']?.notInR4, ['resource']);
  });

  it('enumerate required bindings the schema leaves open, from the official value sets', () => {
    assert.deepEqual(DEFINITION_RULES['MedicationRequest']?.codes?.['status'], [
      'active',
      'on-hold',
      'cancelled',
      'completed',
      'entered-in-error',
      'stopped',
      'draft',
      'unknown',
    ]);
  });
});
