/**
 * The minimal shape Carebridge relies on for any stored resource. Domain code that needs a specific
 * type narrows to the `fhir4` definitions from `@types/fhir`.
 */
export interface FhirResource {
  resourceType: string;
  id?: string;
  meta?: FhirMeta;
  [element: string]: unknown;
}

export interface FhirMeta {
  versionId?: string;
  lastUpdated?: string;
  [element: string]: unknown;
}

/** A logical id as R4 allows it: 1–64 of A–Z, a–z, 0–9, '-' and '.'. */
export const FHIR_ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

export function isValidFhirId(id: string): boolean {
  return FHIR_ID_PATTERN.test(id);
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A literal relative reference "Type/id" or "Type/id/_history/v", parsed. */
export interface RelativeReference {
  resourceType: string;
  id: string;
  versionId?: string;
}

const RELATIVE_REFERENCE =
  /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?$/;

export function parseRelativeReference(reference: string): RelativeReference | undefined {
  const match = RELATIVE_REFERENCE.exec(reference);
  if (!match) return undefined;
  const [, resourceType, id, versionId] = match;
  if (resourceType === undefined || id === undefined) return undefined;
  return versionId === undefined ? { resourceType, id } : { resourceType, id, versionId };
}
