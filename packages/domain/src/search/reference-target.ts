import { parseRelativeReference } from '../fhir/resource.js';

/** The resource a literal reference points at, when its text says so. */
export interface ReferenceTarget {
  resourceType: string;
  id: string;
}

const ABSOLUTE_URL = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const URL_TAIL = /\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/**
 * Reads the target of a literal reference: relative "Type/id" (optionally "/_history/v"), or an
 * absolute RESTful URL ending in "/Type/id". Contained ("#id"), urn:uuid and other forms have no
 * type and id the index can join on, so they give undefined.
 */
export function parseReferenceTarget(reference: string): ReferenceTarget | undefined {
  if (ABSOLUTE_URL.test(reference)) {
    const match = URL_TAIL.exec(reference);
    return match ? { resourceType: match[1] as string, id: match[2] as string } : undefined;
  }
  const relative = parseRelativeReference(reference);
  return relative ? { resourceType: relative.resourceType, id: relative.id } : undefined;
}

/**
 * `Reference.type` is a URI: either a bare type name ("Patient") or a StructureDefinition URL
 * ("http://hl7.org/fhir/StructureDefinition/Patient"); the type is the last path segment.
 */
export function typeFromReferenceType(type: unknown): string | undefined {
  if (typeof type !== 'string') return undefined;
  const name = type.slice(type.lastIndexOf('/') + 1);
  return /^[A-Z][A-Za-z]+$/.test(name) ? name : undefined;
}
