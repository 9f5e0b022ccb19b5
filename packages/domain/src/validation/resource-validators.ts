import { Ajv, type ValidateFunction } from 'ajv';
import { R4_RESOURCE_TYPES } from './generated/r4-structure-rules.js';
import { fhirKeywords, type ValidationRun } from './keywords.js';
import { loadR4Schema, R4_SCHEMA_ID } from './r4-schema.js';

const r4ResourceTypes: ReadonlySet<string> = new Set(R4_RESOURCE_TYPES);

/** True for the resource types of FHIR R4 (4.0.1), whether or not Carebridge stores them. */
export function isR4ResourceType(type: string): boolean {
  return r4ResourceTypes.has(type);
}

interface ValidatorCache {
  readonly ajv: Ajv;
  readonly byType: Map<string, ValidateFunction>;
}

let cache: ValidatorCache | undefined;
let runs = 0;

function createAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: true, // every fault at once, not just the first
    verbose: true, // errors carry the offending value and schema, for precise diagnostics
    passContext: true, // lets the nested-resource keyword report to the run that found it
    strict: false, // the published schema uses draft-06 `id` and OpenAPI's `discriminator`
    validateSchema: false,
    // Ajv's optimiser trims generated code that V8 optimises anyway: without it the first Patient
    // compiles in ~85 ms instead of ~140 ms, and validation is no slower.
    code: { optimize: false },
  });
  for (const keyword of fhirKeywords()) ajv.addKeyword(keyword);
  ajv.addSchema(loadR4Schema());
  return ajv;
}

function validatorCache(): ValidatorCache {
  cache ??= { ajv: createAjv(), byType: new Map() };
  return cache;
}

/**
 * The validator of one resource type, compiled the first time it is asked for (tens of milliseconds;
 * the datatypes compiled for the first type are shared by the rest).
 */
function validatorFor(resourceType: string): ValidateFunction {
  if (!isR4ResourceType(resourceType)) throw new RangeError(`${resourceType} is not an R4 resource type`);
  const { ajv, byType } = validatorCache();
  let validate = byType.get(resourceType);
  if (validate === undefined) {
    validate = ajv.getSchema(`${R4_SCHEMA_ID}#/definitions/${resourceType}`);
    if (validate === undefined) throw new Error(`The R4 schema has no definition of ${resourceType}`);
    byType.set(resourceType, validate);
  }
  return validate;
}

export interface SchemaValidation {
  readonly errors: NonNullable<ValidateFunction['errors']>;
  readonly run: ValidationRun;
}

/** Runs the schema of the resource's type over it (the type must already be known to be R4). */
export function runSchema(resourceType: string, resource: unknown): SchemaValidation {
  const validate = validatorFor(resourceType);
  const run: ValidationRun = { nestedResources: [] };
  runs++;
  const valid = validate.call(run, resource);
  return { errors: valid ? [] : [...(validate.errors ?? [])], run };
}

/**
 * Loads the schema and compiles the given types now rather than on the first write of each, e.g. at
 * server start. Returns how long it took in milliseconds.
 */
export function warmUpValidation(resourceTypes: readonly string[] = ['Patient']): number {
  const started = performance.now();
  for (const type of resourceTypes) validatorFor(type);
  return performance.now() - started;
}

/** For tests and measurements: how often a schema has run, and which types are compiled. */
export function schemaStatistics(): { runs: number; compiledTypes: string[] } {
  return { runs, compiledTypes: [...(cache?.byType.keys() ?? [])] };
}
