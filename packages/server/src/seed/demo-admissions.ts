import type { Encounter } from 'fhir/r4.js';
import { demoMeta } from './demo-fhir.js';
import { DEMO_REFERENCE_DATE } from './demo-patients.js';

/**
 * The hospital's current inpatients. An open admission is the trust's legitimate relationship with
 * a patient: without one, the demo consultant could see nobody to write a discharge summary for.
 */
export const DEMO_INPATIENT_COUNT = 12;

const patientId = (index: number) => `pat-${String(index + 1).padStart(4, '0')}`;

/** Open admissions at Kingsmere (RZZ) for the first patients, from `admittedOn` (an ISO date). */
export function inpatientEncounters(patientCount: number, admittedOn = DEMO_REFERENCE_DATE): Encounter[] {
  const count = Math.min(DEMO_INPATIENT_COUNT, patientCount);
  return Array.from({ length: count }, (_, index) => ({
    resourceType: 'Encounter',
    id: `enc-rzz-${String(index + 1).padStart(4, '0')}`,
    meta: demoMeta(),
    status: 'in-progress',
    class: {
      system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
      code: 'IMP',
      display: 'inpatient encounter',
    },
    subject: { reference: `Patient/${patientId(index)}` },
    serviceProvider: { reference: 'Organization/org-rzz' },
    period: { start: admittedOn },
  }));
}
