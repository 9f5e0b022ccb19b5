import type { Encounter, Patient } from 'fhir/r4';
import { fhir, resourcesOf } from './client';

export interface Inpatient {
  patient: Patient;
  /** The day the open encounter started (YYYY-MM-DD), when it says. */
  admitted?: string;
}

/**
 * A hospital's patients with an open (in-progress) encounter: the relationship that lets its
 * clinicians write to and ask about them. One reader for the letter composer and the request form.
 */
export async function loadInpatients(organisationId: string): Promise<Inpatient[]> {
  const bundle = await fhir.search<Encounter | Patient>('Encounter', {
    'service-provider': `Organization/${organisationId}`,
    status: 'in-progress',
    _include: 'Encounter:subject',
    _count: 100,
  });
  const patients = new Map(
    resourcesOf<Patient>(bundle, 'Patient').map((patient) => [`Patient/${patient.id ?? ''}`, patient]),
  );
  return resourcesOf<Encounter>(bundle, 'Encounter').flatMap((encounter) => {
    const patient = patients.get(encounter.subject?.reference ?? '');
    return patient
      ? [{ patient, ...(encounter.period?.start ? { admitted: encounter.period.start.slice(0, 10) } : {}) }]
      : [];
  });
}
