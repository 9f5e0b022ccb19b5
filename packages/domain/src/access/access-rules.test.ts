import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractIndexRows } from '../search/extract.js';
import type { FhirResource } from '../fhir/resource.js';
import { compartmentPatientIds, isPatientCompartmentType } from './compartment.js';
import { relationshipClaims } from './relationships.js';

const compartmentOf = (resource: FhirResource) => compartmentPatientIds(resource, extractIndexRows(resource));

describe('Patient compartment', () => {
  it('a Patient is in its own compartment', () => {
    assert.deepEqual(compartmentOf({ resourceType: 'Patient', id: 'p1' }), ['p1']);
  });

  it('an Observation belongs to its subject, and to a patient who performed it', () => {
    const observation = {
      resourceType: 'Observation',
      id: 'o1',
      status: 'final',
      code: { text: 'BP' },
      subject: { reference: 'Patient/p1' },
      performer: [{ reference: 'Patient/p2' }, { reference: 'Practitioner/x' }],
    };
    assert.deepEqual(compartmentOf(observation).sort(), ['p1', 'p2']);
  });

  it('a reference to a group or a practitioner puts nothing in a patient compartment', () => {
    const observation = {
      resourceType: 'Observation',
      id: 'o2',
      status: 'final',
      code: {},
      subject: { reference: 'Group/g1' },
    };
    assert.deepEqual(compartmentOf(observation), []);
  });

  it('directory resources are outside every patient compartment', () => {
    assert.equal(isPatientCompartmentType('Organization'), false);
    assert.equal(isPatientCompartmentType('PractitionerRole'), false);
    assert.equal(isPatientCompartmentType('Condition'), true);
    assert.equal(isPatientCompartmentType('Patient'), true);
  });
});

describe('Legitimate relationships', () => {
  it('registration with a practice relates the patient to it', () => {
    const claims = relationshipClaims({
      resourceType: 'Patient',
      id: 'p1',
      generalPractitioner: [{ reference: 'Organization/gp1' }, { reference: 'Practitioner/dr' }],
    });
    assert.deepEqual(claims, [
      { patientId: 'p1', organization: { type: 'Organization', id: 'gp1' }, basis: 'registered' },
    ]);
  });

  it('an open encounter relates the patient to the provider; a finished one does not', () => {
    const encounter = {
      resourceType: 'Encounter',
      status: 'in-progress',
      subject: { reference: 'Patient/p1' },
      serviceProvider: { reference: 'Organization/trust' },
    };
    assert.equal(relationshipClaims(encounter)[0]?.basis, 'encounter');
    assert.deepEqual(relationshipClaims({ ...encounter, status: 'finished' }), []);
  });

  it('an order relates the patient to requester and performer, through a PractitionerRole too', () => {
    const claims = relationshipClaims({
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      subject: { reference: 'Patient/p1' },
      requester: { reference: 'PractitionerRole/consultant' },
      performer: [{ reference: 'Organization/cdc' }],
    });
    assert.deepEqual(
      claims.map((c) => [c.basis, c.organization.type, c.organization.id]),
      [
        ['order-requester', 'PractitionerRole', 'consultant'],
        ['order-performer', 'Organization', 'cdc'],
      ],
    );
  });

  it('a prescription relates the patient to the pharmacy it is directed to', () => {
    const claims = relationshipClaims({
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      subject: { reference: 'Patient/p1' },
      dispenseRequest: { performer: { reference: 'Organization/pharmacy' } },
    });
    assert.deepEqual(claims, [
      { patientId: 'p1', organization: { type: 'Organization', id: 'pharmacy' }, basis: 'dispensing' },
    ]);
  });

  it('a completed request establishes nothing', () => {
    const task = {
      resourceType: 'Task',
      status: 'completed',
      intent: 'order',
      for: { reference: 'Patient/p1' },
      owner: { reference: 'Organization/gp1' },
    };
    assert.deepEqual(relationshipClaims(task), []);
    assert.equal(relationshipClaims({ ...task, status: 'requested' })[0]?.basis, 'request');
  });
});
