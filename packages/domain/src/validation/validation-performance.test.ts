import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { SUPPORTED_RESOURCE_TYPES } from '../fhir/resource-types.js';
import { schemaStatistics } from './resource-validators.js';
import { validateResource } from './validate-resource.js';

/**
 * Prints what validation costs: the first validation (schema load and compile), the first of each
 * further type (its compile), the steady per-resource time and the nesting-bomb refusal. It asserts
 * behaviour only; the numbers are for reading (`--test-reporter=spec` shows them), since timings on a
 * shared CI machine are not something to fail on.
 */
const require = createRequire(import.meta.url);
const EXAMPLES = dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
const exampleFiles = readdirSync(EXAMPLES);

function firstExampleOf(type: string): unknown {
  const file = exampleFiles.filter((name) => name.startsWith(`${type}-`)).sort()[0];
  assert.ok(file, `no official example of ${type}`);
  return JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8')) as unknown;
}

function millisecondsOf(action: () => void): number {
  const started = performance.now();
  action();
  return performance.now() - started;
}

function microsecondsPerCall(action: () => void, calls: number): number {
  for (let call = 0; call < calls / 10; call++) action();
  return (
    (millisecondsOf(() => {
      for (let call = 0; call < calls; call++) action();
    }) *
      1000) /
    calls
  );
}

it('measures first-validation latency, per-resource time and the nesting-bomb refusal', (t) => {
  const patient = firstExampleOf('Patient');
  const heapBefore = process.memoryUsage().heapUsed;
  const firstPatient = millisecondsOf(() => assert.deepEqual(validateResource(patient), []));
  t.diagnostic(`first validation (loads the schema, compiles Patient): ${firstPatient.toFixed(1)} ms`);

  const compileTimes: string[] = [];
  for (const type of SUPPORTED_RESOURCE_TYPES.filter((name) => name !== 'Patient')) {
    const example = firstExampleOf(type);
    compileTimes.push(`${type} ${millisecondsOf(() => validateResource(example)).toFixed(1)}`);
  }
  t.diagnostic(`first validation of each further type (ms): ${compileTimes.join(', ')}`);
  assert.equal(schemaStatistics().compiledTypes.length >= SUPPORTED_RESOURCE_TYPES.length, true);
  const heapAfter = process.memoryUsage().heapUsed;
  t.diagnostic(
    `heap grew ${((heapAfter - heapBefore) / 1e6).toFixed(0)} MB to compile all ${SUPPORTED_RESOURCE_TYPES.length} types`,
  );

  for (const type of ['Patient', 'Observation', 'MedicationRequest', 'Encounter']) {
    const example = firstExampleOf(type);
    t.diagnostic(
      `per ${type}: ${microsecondsPerCall(() => validateResource(example), 20_000).toFixed(1)} µs`,
    );
  }

  let bomb: Record<string, unknown> = { url: 'http://example.org/leaf', valueString: 'x' };
  for (let level = 0; level < 1000; level++) bomb = { url: 'http://example.org/nest', extension: [bomb] };
  const bombResource = { resourceType: 'Patient', extension: [bomb] };
  const bombTime = millisecondsOf(() =>
    assert.equal(validateResource(bombResource)[0]?.code, 'nesting-too-deep'),
  );
  t.diagnostic(`1,000-deep extension refused in ${bombTime.toFixed(3)} ms`);
});
