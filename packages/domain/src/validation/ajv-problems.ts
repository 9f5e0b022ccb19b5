import type { ErrorObject } from 'ajv';
import { ERROR_CATALOGUE, type ErrorCode, type Problem } from '../fhir/errors.js';
import { fhirPathOfPointer, fhirPathOfSegments, segmentsOfPointer, type PathSegment } from './fhir-path.js';
import { describeFound, describeValue, isJsonObject, withArticle } from './json.js';
import { CAREBRIDGE_KEYWORDS, FHIR_TYPE } from './keywords.js';

/**
 * Turns Ajv's errors into Problems a client can act on: a catalogue code, a FHIRPath rooted at the
 * resource (`base`, e.g. `Patient` or `Bundle.entry[2].resource`) and a sentence saying what is wrong.
 */
export function problemsFromSchemaErrors(errors: readonly ErrorObject[], base: string): Problem[] {
  return errors.map((error) => problemOf(error, base)).filter((problem) => problem !== undefined);
}

function problemOf(error: ErrorObject, base: string): Problem | undefined {
  const path = fhirPathOfPointer(base, error.instancePath);
  if (CAREBRIDGE_KEYWORDS.has(error.keyword)) return keywordProblem(error, path);
  switch (error.keyword) {
    // The `if: null / else: schema` wrapper around primitive array items: the else branch's own errors
    // say what is wrong.
    case 'if':
      return undefined;
    case 'additionalProperties':
      return unknownElement(error, path);
    case 'type':
      return { code: 'invalid-value', diagnostics: wrongJsonType(error), expression: [path] };
    case 'pattern':
    case 'minimum':
    case 'maximum':
      return { code: 'invalid-value', diagnostics: notValidPrimitive(error), expression: [path] };
    case 'enum':
      return { code: 'invalid-code', diagnostics: notInValueSet(error), expression: [path] };
    case 'minItems':
      return {
        code: 'invalid-value',
        diagnostics: `'${lastElementName(error.instancePath)}' is an empty array: FHIR JSON leaves an element out instead`,
        expression: [path],
      };
    case 'const':
      return {
        code: 'invalid-value',
        diagnostics: `Must be ${describeValue(error.params['allowedValue'])}`,
        expression: [path],
      };
    case 'required':
      return missingElement(error, path);
    default:
      return { code: 'invalid-resource', diagnostics: error.message ?? 'Invalid', expression: [path] };
  }
}

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CATALOGUE, value);
}

function isPathSegments(value: unknown): value is PathSegment[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string' || typeof item === 'number');
}

function keywordProblem(error: ErrorObject, path: string): Problem {
  const problem: unknown = error.params['problem'];
  const child: unknown = error.params['child'];
  return {
    code: isErrorCode(problem) ? problem : 'invalid-resource',
    diagnostics: error.message ?? 'Invalid',
    expression: [isPathSegments(child) ? fhirPathOfSegments(path, child) : path],
  };
}

function unknownElement(error: ErrorObject, path: string): Problem {
  const property: unknown = error.params['additionalProperty'];
  const name = typeof property === 'string' ? property : '?';
  // The raw name: an unknown `_foo` is not known to be the extension twin of anything.
  return {
    code: 'unknown-element',
    diagnostics: `Unknown element '${name}'`,
    expression: [`${path}.${name}`],
  };
}

function missingElement(error: ErrorObject, path: string): Problem {
  const property: unknown = error.params['missingProperty'];
  const name = typeof property === 'string' ? property : '?';
  return {
    code: 'missing-required-element',
    diagnostics: `Required element '${name}' is missing`,
    expression: [`${path}.${name}`],
  };
}

function fhirTypeOf(error: ErrorObject): string | undefined {
  const type: unknown = isJsonObject(error.parentSchema) ? error.parentSchema[FHIR_TYPE] : undefined;
  return typeof type === 'string' ? type : undefined;
}

function lastElementName(pointer: string): string {
  const name = segmentsOfPointer(pointer).findLast((segment) => typeof segment === 'string');
  return typeof name === 'string' ? name : 'resource';
}

function wrongJsonType(error: ErrorObject): string {
  const expected = String(error.params['type']);
  const found = describeFound(error.data);
  if (expected === 'array') {
    return `'${lastElementName(error.instancePath)}' repeats, so it must be an array, not ${found}`;
  }
  if (expected === 'integer' && typeof error.data === 'number') return notValidPrimitive(error);
  const fhirType = fhirTypeOf(error);
  const wanted =
    fhirType === undefined || fhirType === expected
      ? withArticle(expected)
      : `${withArticle(fhirType)} (a JSON ${expected})`;
  return `Expected ${wanted}, not ${found}`;
}

function notValidPrimitive(error: ErrorObject): string {
  const fhirType = fhirTypeOf(error) ?? 'value';
  const value = describeValue(error.data);
  if (error.keyword === 'minimum' || error.keyword === 'maximum') {
    const limit: unknown = error.params['limit'];
    const bound = error.keyword === 'minimum' ? 'at least' : 'at most';
    return `${value} is not a valid ${fhirType}: it must be ${bound} ${String(limit)}`;
  }
  return `${value} is not a valid ${fhirType}`;
}

const MOST_CODES_LISTED = 20;

function notInValueSet(error: ErrorObject): string {
  const allowed: unknown = isJsonObject(error.parentSchema) ? error.parentSchema['enum'] : undefined;
  const value = describeValue(error.data);
  if (!Array.isArray(allowed)) return `${value} is not one of the codes allowed here`;
  // A binding to all resource types has 148 codes; listing them all would bury the message.
  if (allowed.length > MOST_CODES_LISTED) {
    return `${value} is not one of the ${allowed.length} codes allowed here, such as ${allowed.slice(0, 5).map(String).join(' | ')}`;
  }
  return `${value} is not one of ${allowed.map(String).join(' | ')}`;
}

/** Ajv can report one fault more than once; a client should read it once. */
export function withoutDuplicates(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${problem.code}\u0000${problem.expression?.join('\u0000')}\u0000${problem.diagnostics}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
