import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SUPPORTED_RESOURCE_TYPES } from '../fhir/resource-types.js';
import {
  searchParamDefinition,
  splitUnion,
  supportedSearchParams,
  unsupportedSearchParam,
  unsupportedSearchParams,
} from './registry.js';

describe('search parameter registry', () => {
  it('gives every supported type _id and _lastUpdated, served from resource columns', () => {
    for (const type of SUPPORTED_RESOURCE_TYPES) {
      assert.equal(searchParamDefinition(type, '_id')?.storage, 'resource-column', type);
      assert.equal(searchParamDefinition(type, '_lastUpdated')?.type, 'date', type);
    }
  });

  it('restricts shared official expressions to the branches of the type they are listed for', () => {
    assert.equal(searchParamDefinition('Patient', 'name')?.expression, 'Patient.name');
    assert.equal(searchParamDefinition('Practitioner', 'name')?.expression, 'Practitioner.name');
    assert.equal(searchParamDefinition('Observation', 'date')?.expression, 'Observation.effective');
    for (const type of SUPPORTED_RESOURCE_TYPES) {
      for (const parameter of supportedSearchParams(type)) {
        for (const branch of parameter.branches) {
          assert.match(
            branch.path,
            new RegExp(`^\\(*${type}(\\.|$)`),
            `${type}.${parameter.code}: ${branch.path}`,
          );
        }
      }
    }
  });

  it('rewrites where(resolve() is Patient) into a filter on the referenced type', () => {
    const patient = searchParamDefinition('Observation', 'patient');
    assert.deepEqual(patient?.branches, [{ path: 'Observation.subject', referencedType: 'Patient' }]);
    assert.deepEqual(patient?.targets, ['Patient']);
    const auditPatient = searchParamDefinition('AuditEvent', 'patient');
    assert.deepEqual(auditPatient?.branches, [
      { path: 'AuditEvent.agent.who', referencedType: 'Patient' },
      { path: 'AuditEvent.entity.what', referencedType: 'Patient' },
    ]);
  });

  it('keeps the reference target types of the official definition', () => {
    assert.deepEqual(searchParamDefinition('Patient', 'general-practitioner')?.targets, [
      'Practitioner',
      'Organization',
      'PractitionerRole',
    ]);
  });

  it('lists composite, special and phonetic parameters as unsupported with a reason', () => {
    assert.equal(searchParamDefinition('Observation', 'code-value-quantity'), undefined);
    assert.match(unsupportedSearchParam('Observation', 'code-value-quantity')?.reason ?? '', /composite/);
    assert.match(unsupportedSearchParam('Location', 'near')?.reason ?? '', /special/);
    assert.match(unsupportedSearchParam('Patient', 'phonetic')?.reason ?? '', /phonetic/);
    assert.match(unsupportedSearchParam('Bundle', 'composition')?.reason ?? '', /Bundle/);
    assert.match(unsupportedSearchParam('Patient', '_has')?.reason ?? '', /reverse chaining/);
  });

  it('never lists a parameter as both supported and unsupported', () => {
    for (const type of SUPPORTED_RESOURCE_TYPES) {
      const supported = new Set(supportedSearchParams(type).map((parameter) => parameter.code));
      for (const parameter of unsupportedSearchParams(type))
        assert.ok(!supported.has(parameter.code), `${type}.${parameter.code}`);
    }
  });

  it('gives every supported parameter the official canonical URL', () => {
    assert.equal(
      searchParamDefinition('Patient', 'identifier')?.url,
      'http://hl7.org/fhir/SearchParameter/Patient-identifier',
    );
    assert.equal(
      searchParamDefinition('Patient', 'family')?.url,
      'http://hl7.org/fhir/SearchParameter/individual-family',
    );
    assert.equal(
      searchParamDefinition('Patient', 'family')?.description,
      'A portion of the family name of the patient',
    );
  });

  it('splits a union only at its top level', () => {
    assert.deepEqual(splitUnion("A.b | (A.c as X) | A.d.where(e = 'f|g')"), [
      'A.b',
      '(A.c as X)',
      "A.d.where(e = 'f|g')",
    ]);
  });
});
