import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fc from 'fast-check';

/** Test data for the fuzz suites that needs no app: the official R4 examples and valid NHS numbers. */

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The resource types whose official R4 examples the resource fuzzer mutates. */
export const EXAMPLE_TYPES = [
  'Patient',
  'Observation',
  'Condition',
  'MedicationRequest',
  'Encounter',
  'DocumentReference',
  'Composition',
  'Task',
  'ServiceRequest',
  'Organization',
  'Practitioner',
] as const;

export interface OfficialExample {
  file: string;
  resourceType: string;
  resource: Record<string, unknown>;
  [fc.toStringMethod]: () => string;
}

let examples: OfficialExample[] | undefined;

/** The official R4 examples of the in-scope types, from the hl7.fhir.r4.examples package. */
export function officialExamples(): OfficialExample[] {
  if (examples) return examples;
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
  } catch {
    throw new Error('The fuzz tests need the official R4 examples: npm install -D hl7.fhir.r4.examples');
  }
  const types: ReadonlySet<string> = new Set(EXAMPLE_TYPES);
  const found: OfficialExample[] = [];
  for (const file of readdirSync(dir).sort()) {
    const type = /^([A-Za-z]+)-.*\.json$/.exec(file)?.[1];
    if (type === undefined || !types.has(type)) continue;
    const resource: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    if (isObject(resource) && resource.resourceType === type) {
      // Counterexamples name the example instead of printing the whole resource.
      found.push({
        file,
        resourceType: type,
        resource,
        [fc.toStringMethod]: () => `OfficialExample(${file})`,
      });
    }
  }
  if (found.length === 0)
    throw new Error(`No official examples of ${EXAMPLE_TYPES.join(', ')} found in ${dir}`);
  examples = found;
  return found;
}

/** A valid NHS number (modulus 11) built from nine digits; the number is skipped when its check digit would be 10. */
export function nhsNumber(seed: number): string {
  for (let n = seed; ; n++) {
    const nine = `999${String(n % 1_000_000).padStart(6, '0')}`;
    const sum = [...nine].reduce((total, digit, i) => total + Number(digit) * (10 - i), 0);
    const check = (11 - (sum % 11)) % 11;
    if (check !== 10) return `${nine}${check}`;
  }
}

export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
