import type { Bundle, BundleEntry, FhirResource } from 'fhir/r4.js';
import { inpatientEncounters } from './demo-admissions.js';
import { testRangeNhsNumber } from '@carebridge/domain';
import { organisationResources } from './demo-organisations.js';
import { DEMO_NHS_NUMBER_OFFSET, DEMO_PATIENT, patientResources } from './demo-patients.js';
import { demoStaffUser, staffResources, type DemoStaffUser } from './demo-staff.js';

export {
  DEMO_DIAGNOSTIC_CENTRE,
  DEMO_GP_PRACTICES,
  DEMO_HEALTHCARE_SERVICES,
  DEMO_HOLDING_PRACTICE,
  DEMO_ICB,
  DEMO_ORGANISATIONS,
  DEMO_PHARMACIES,
  DEMO_TRUST,
  DEMO_TRUST_SITES,
  type DemoOrganisation,
  type DemoOrganisationKind,
  type DemoSite,
} from './demo-organisations.js';
export {
  DEMO_NHS_NUMBER_OFFSET,
  DEMO_REFERENCE_DATE,
  NHS_NUMBER_VERIFICATION_STATUS_URL,
  NOMINATED_PHARMACY_URL,
  demoNhsNumbers,
  demoPatientId,
} from './demo-patients.js';
export type { DemoStaffRole, DemoStaffUser } from './demo-staff.js';

export const DEFAULT_DEMO_PATIENT_COUNT = 200;

export interface DemoDirectoryOptions {
  /** How many synthetic patients; at least 1, because the first is the demo-patient login. */
  patients?: number;
  /** The date the demo inpatients were admitted (ISO); fixed by default so the directory is pure. */
  admittedOn?: string;
}

/** How the demo-patient login maps onto the directory. */
export interface DemoPatientUser {
  readonly kind: 'patient';
  readonly role: 'patient';
  readonly displayName: string;
  readonly patientId: string;
  readonly nhsNumber: string;
  /** The registered GP practice. */
  readonly organizationId: string;
}

export type DemoUser = DemoStaffUser | DemoPatientUser;

/** Demo usernames and the directory records each one acts as. */
export const DEMO_USERS = {
  'demo-gp': demoStaffUser('demo-gp'),
  'demo-practice-admin': demoStaffUser('demo-practice-admin'),
  'demo-consultant': demoStaffUser('demo-consultant'),
  'demo-secretary': demoStaffUser('demo-secretary'),
  'demo-pharmacist': demoStaffUser('demo-pharmacist'),
  'demo-diagnostics': demoStaffUser('demo-diagnostics'),
  'demo-ops': demoStaffUser('demo-ops'),
  'demo-privacy-officer': demoStaffUser('demo-privacy-officer'),
  'demo-admin': demoStaffUser('demo-admin'),
  'demo-patient': {
    kind: 'patient',
    role: 'patient',
    displayName: DEMO_PATIENT.displayName,
    patientId: DEMO_PATIENT.id,
    nhsNumber: testRangeNhsNumber(DEMO_NHS_NUMBER_OFFSET),
    organizationId: DEMO_PATIENT.organizationId,
  },
} as const satisfies Record<string, DemoUser>;

export type DemoUsername = keyof typeof DEMO_USERS;

export const DEMO_PATIENT_ID = DEMO_PATIENT.id;

/**
 * The demo directory as a FHIR transaction. Every entry is a PUT to a fixed id, so posting it to a
 * server that already holds it changes nothing but versions, and references are literal relative
 * ("Organization/org-rzz") because the ids are known in advance. Pure: no clock, no randomness
 * beyond a fixed seed.
 */
export function buildDemoDirectory(options: DemoDirectoryOptions = {}): Bundle<FhirResource> {
  const patientCount = options.patients ?? DEFAULT_DEMO_PATIENT_COUNT;
  if (!Number.isInteger(patientCount) || patientCount < 1) {
    throw new RangeError(`patients must be a whole number of at least 1, not ${patientCount}`);
  }
  // Referenced resources come before the resources that point at them, for servers that check as they go.
  const resources: FhirResource[] = [
    ...organisationResources(),
    ...staffResources(),
    ...patientResources(patientCount),
    ...inpatientEncounters(patientCount, options.admittedOn),
  ];
  return { resourceType: 'Bundle', type: 'transaction', entry: resources.map(putEntry) };
}

function putEntry(resource: FhirResource): BundleEntry<FhirResource> {
  if (resource.id === undefined) throw new Error(`Demo ${resource.resourceType} has no id`);
  return { resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } };
}
