import type { TestApp } from '../support/test-app.js';

/**
 * A small world for access tests. Organisations: two practices, a trust, two pharmacies, a
 * diagnostic centre. Patient p1 is registered at practice A, in hospital at the trust, has an order
 * with the diagnostic centre and a prescription sent to pharmacy A. Patient p2 is registered at
 * practice B with a prescription sent to pharmacy B. Nobody else has a relationship with either.
 */
export const NHS = 'https://fhir.nhs.uk/Id/nhs-number';

const organisations = ['practice-a', 'practice-b', 'trust', 'pharmacy-a', 'pharmacy-b', 'cdc'];

const ref = (reference: string) => ({ reference });

export const WORLD_RESOURCES: Array<Record<string, unknown> & { resourceType: string; id: string }> = [
  ...organisations.map((id) => ({ resourceType: 'Organization', id, name: id })),
  { resourceType: 'Practitioner', id: 'dr-who', name: [{ family: 'Who' }] },
  // Outside every compartment, yet it may hold a patient's letter: not part of the directory.
  { resourceType: 'Binary', id: 'letter-pdf', contentType: 'application/pdf', data: 'JVBERi0xLjQK' },
  {
    resourceType: 'Patient',
    id: 'p1',
    identifier: [{ system: NHS, value: '9990000018' }],
    name: [{ family: 'One' }],
    generalPractitioner: [ref('Organization/practice-a')],
  },
  {
    resourceType: 'Patient',
    id: 'p2',
    identifier: [{ system: NHS, value: '9990000026' }],
    name: [{ family: 'Two' }],
    generalPractitioner: [ref('Organization/practice-b')],
  },
  {
    resourceType: 'Encounter',
    id: 'p1-admission',
    status: 'in-progress',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
    subject: ref('Patient/p1'),
    serviceProvider: ref('Organization/trust'),
  },
  { resourceType: 'Condition', id: 'p1-asthma', subject: ref('Patient/p1'), code: { text: 'Asthma' } },
  { resourceType: 'Condition', id: 'p2-diabetes', subject: ref('Patient/p2'), code: { text: 'Diabetes' } },
  {
    resourceType: 'ServiceRequest',
    id: 'p1-spirometry',
    status: 'active',
    intent: 'order',
    subject: ref('Patient/p1'),
    requester: ref('Organization/trust'),
    performer: [ref('Organization/cdc')],
    code: { text: 'Spirometry' },
  },
  {
    resourceType: 'Observation',
    id: 'p1-fev1',
    status: 'final',
    code: { text: 'FEV1' },
    subject: ref('Patient/p1'),
    performer: [ref('Organization/cdc')],
  },
  {
    resourceType: 'Observation',
    id: 'p1-weight',
    status: 'final',
    code: { text: 'Weight' },
    subject: ref('Patient/p1'),
  },
  {
    resourceType: 'MedicationRequest',
    id: 'p1-salbutamol',
    status: 'active',
    intent: 'order',
    subject: ref('Patient/p1'),
    medicationCodeableConcept: { text: 'Salbutamol' },
    dispenseRequest: { performer: ref('Organization/pharmacy-a') },
  },
  {
    resourceType: 'MedicationRequest',
    id: 'p1-old-antibiotic',
    status: 'completed',
    intent: 'order',
    subject: ref('Patient/p1'),
    medicationCodeableConcept: { text: 'Amoxicillin' },
  },
  {
    resourceType: 'MedicationRequest',
    id: 'p2-metformin',
    status: 'active',
    intent: 'order',
    subject: ref('Patient/p2'),
    medicationCodeableConcept: { text: 'Metformin' },
    dispenseRequest: { performer: ref('Organization/pharmacy-b') },
  },
];

export const P1_RECORD = WORLD_RESOURCES.filter((r) => r.id === 'p1' || r.id.startsWith('p1-')).map(key);
export const P2_RECORD = WORLD_RESOURCES.filter((r) => r.id === 'p2' || r.id.startsWith('p2-')).map(key);
export const DIRECTORY = WORLD_RESOURCES.filter(
  (r) => r.resourceType === 'Organization' || r.resourceType === 'Practitioner',
).map(key);

export function key(resource: { resourceType: string; id: string }): string {
  return `${resource.resourceType}/${resource.id}`;
}

export async function buildWorld(t: TestApp): Promise<void> {
  const response = await t.fhir('POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: WORLD_RESOURCES.map((resource) => ({ resource, request: { method: 'PUT', url: key(resource) } })),
  });
  if (response.statusCode !== 200) throw new Error(`world: ${response.statusCode} ${response.body}`);
}
