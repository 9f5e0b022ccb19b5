import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateResource } from '@carebridge/domain';
import type { AuditEntry } from './audit-entry.js';
import type { StoredAuditEntry } from './audit-row.js';
import { sampleAuditEntry } from '../../test/support/audit-fixtures.js';
import { toFhirAuditEvent } from './fhir-audit-event.js';

function stored(overrides: Partial<StoredAuditEntry> = {}): StoredAuditEntry {
  const entry: AuditEntry = sampleAuditEntry();
  return { ...entry, patientIds: [...entry.patientIds], id: 42, ...overrides };
}

const CASES: Array<{ name: string; entry: StoredAuditEntry }> = [
  {
    name: 'a GP reading an Observation through their PractitionerRole',
    entry: stored({
      principal: {
        subject: 'user-gp-1',
        displayName: 'Dr Ada Lovelace',
        role: 'gp',
        organizationId: 'org-1',
        odsCode: 'A81001',
        clientId: 'carebridge-ui',
        kind: 'staff',
        practitionerRoleId: 'pr-1',
      },
    }),
  },
  {
    name: 'a search across several patients, with its query',
    entry: stored({
      interaction: 'search-type',
      resourceId: undefined,
      patientIds: ['patient-1', 'patient-2'],
      query: 'subject=Patient/patient-1&code=http://loinc.org|8867-4',
    }),
  },
  {
    name: 'a request with no valid credentials, denied',
    entry: stored({ principal: undefined, outcome: 'denied', httpStatus: 401, patientIds: [] }),
  },
  {
    name: 'break-glass access to a patient record',
    entry: stored({
      resourceType: 'Patient',
      resourceId: 'patient-9',
      patientIds: ['patient-9'],
      purposeOfUse: 'ETREAT',
      breakGlass: true,
      breakGlassSessionId: 'bg 7f3a',
    }),
  },
  {
    name: 'a patient reading their own record in the UI',
    entry: stored({
      principal: {
        subject: 'nhs-login-1',
        displayName: 'Sam Patient',
        role: 'patient',
        clientId: 'carebridge-ui',
        kind: 'patient',
        patientId: 'patient-1',
      },
      source: 'ui',
    }),
  },
  {
    name: 'a system client whose write failed on the server',
    entry: stored({
      principal: {
        subject: 'lab-system',
        displayName: 'Pathology LIMS',
        role: 'system',
        clientId: 'lab-system',
        organizationId: 'org-lab',
      },
      action: 'C',
      interaction: 'create',
      resourceId: undefined,
      outcome: 'failed',
      httpStatus: 503,
      remoteAddress: undefined,
    }),
  },
  {
    name: 'an operation that is not a REST interaction',
    entry: stored({ action: 'E', interaction: '$validate' }),
  },
];

describe('toFhirAuditEvent', () => {
  for (const { name, entry } of CASES) {
    it(`maps ${name} to an AuditEvent that validates as FHIR R4`, () => {
      const event = toFhirAuditEvent(entry);
      assert.deepEqual(validateResource(event), []);
    });
  }

  it('maps type, subtype, action, recorded, outcome and the requesting user', () => {
    const event = toFhirAuditEvent(CASES[0]?.entry ?? stored());
    assert.equal(event.id, '42');
    assert.deepEqual(event.type, {
      system: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
      code: 'rest',
      display: 'RESTful Operation',
    });
    assert.deepEqual(event.subtype, [{ system: 'http://hl7.org/fhir/restful-interaction', code: 'read' }]);
    assert.equal(event.action, 'R');
    assert.equal(event.outcome, '0');
    const requestor = event.agent.find((agent) => agent.requestor);
    assert.equal(requestor?.who?.reference, 'PractitionerRole/pr-1');
    assert.equal(requestor?.who?.display, 'Dr Ada Lovelace');
    assert.deepEqual(requestor?.network, { address: '192.0.2.10', type: '2' });
    assert.deepEqual(requestor?.purposeOfUse?.[0]?.coding?.[0]?.code, 'TREAT');
    assert.deepEqual(
      event.agent.filter((agent) => !agent.requestor).map((agent) => agent.who),
      [
        {
          reference: 'Organization/org-1',
          identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'A81001' },
        },
        { identifier: { system: 'https://carebridge.dev/fhir/Id/oauth-client', value: 'carebridge-ui' } },
      ],
    );
    assert.equal(event.source.observer.display, 'Carebridge');
  });

  it('names each patient as a Patient reference with role 1, and carries a search query in base64', () => {
    const event = toFhirAuditEvent(CASES[1]?.entry ?? stored());
    const patients = (event.entity ?? []).filter((entity) => entity.role?.code === '1');
    assert.deepEqual(
      patients.map((entity) => entity.what?.reference),
      ['Patient/patient-1', 'Patient/patient-2'],
    );
    const query = (event.entity ?? []).find((entity) => entity.role?.code === '24');
    assert.equal(
      Buffer.from(query?.query ?? '', 'base64').toString('utf8'),
      'subject=Patient/patient-1&code=http://loinc.org|8867-4',
    );
    assert.equal(event.subtype?.[0]?.code, 'search-type');
  });

  it('records break-glass as ETREAT with the session as the authorising policy', () => {
    const event = toFhirAuditEvent(CASES[3]?.entry ?? stored());
    assert.equal(event.purposeOfEvent?.[0]?.coding?.[0]?.code, 'ETREAT');
    const requestor = event.agent.find((agent) => agent.requestor);
    assert.equal(requestor?.purposeOfUse?.[0]?.coding?.[0]?.code, 'ETREAT');
    assert.deepEqual(requestor?.policy, ['https://carebridge.dev/fhir/break-glass-session/bg%207f3a']);
    // The Patient read is the patient entity itself, not a second entity for the same resource.
    assert.deepEqual(
      (event.entity ?? []).filter((entity) => entity.what?.reference).map((entity) => entity.what?.reference),
      ['Patient/patient-9'],
    );
  });

  it('maps outcomes: success 0, denied and client errors 4, server failures 8', () => {
    assert.equal(toFhirAuditEvent(stored({ outcome: 'success' })).outcome, '0');
    assert.equal(toFhirAuditEvent(stored({ outcome: 'denied', httpStatus: 403 })).outcome, '4');
    assert.equal(toFhirAuditEvent(stored({ outcome: 'failed', httpStatus: 404 })).outcome, '4');
    assert.equal(toFhirAuditEvent(stored({ outcome: 'failed', httpStatus: 500 })).outcome, '8');
  });

  it('references a patient user as Patient/<id>, and an operation as subtype operation plus its name', () => {
    const patientEvent = toFhirAuditEvent(CASES[4]?.entry ?? stored());
    assert.equal(patientEvent.agent[0]?.who?.reference, 'Patient/patient-1');
    const operation = toFhirAuditEvent(CASES[6]?.entry ?? stored());
    assert.deepEqual(
      operation.subtype?.map((coding) => coding.code),
      ['operation', '$validate'],
    );
  });
});
