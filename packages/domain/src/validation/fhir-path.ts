/**
 * FHIRPath locations for problems, e.g. `Patient.name[0].given[1]`: the OperationOutcome
 * `expression` a client uses to find the faulty element.
 */

/** One step into a JSON value: a property name or an array index. */
export type PathSegment = string | number;

/** The FHIRPath of a property in FHIR JSON: `_birthDate` carries the id and extensions of `birthDate`. */
export function elementName(jsonProperty: string): string {
  return jsonProperty.startsWith('_') && jsonProperty.length > 1 ? jsonProperty.slice(1) : jsonProperty;
}

export function appendSegment(path: string, segment: PathSegment): string {
  if (typeof segment === 'number') return `${path}[${segment}]`;
  return path === '' ? elementName(segment) : `${path}.${elementName(segment)}`;
}

export function fhirPathOfSegments(base: string, segments: readonly PathSegment[]): string {
  return segments.reduce<string>(appendSegment, base);
}

/**
 * Ajv's `instancePath` is a JSON pointer (`/name/0/given/1`). FHIR property names never consist of
 * digits, so a digit-only segment is an array index.
 */
export function segmentsOfPointer(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

export function fhirPathOfPointer(base: string, pointer: string): string {
  return fhirPathOfSegments(base, segmentsOfPointer(pointer));
}
