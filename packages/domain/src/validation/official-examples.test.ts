import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import type { Problem } from '../fhir/errors.js';
import { SUPPORTED_RESOURCE_TYPES } from '../fhir/resource-types.js';
import { validateResource } from './validate-resource.js';

/**
 * Zero false positives: every official R4 example (hl7.fhir.r4.examples, CC0) of the types Carebridge
 * stores must validate cleanly, except examples that are themselves invalid, each listed with its fault.
 */
const require = createRequire(import.meta.url);
const EXAMPLES = dirname(require.resolve('hl7.fhir.r4.examples/package.json'));

/**
 * Official examples that break R4 themselves: each must still be reported, and only for its known
 * fault (every problem has this code at an expression matching the pattern).
 */
interface KnownInvalidExample {
  readonly reason: string;
  readonly code: Problem['code'];
  readonly expression: RegExp;
}

const SEARCH_PARAMETER_WITHOUT_BASE: KnownInvalidExample = {
  reason: 'a SearchParameter on an extension without base, which R4 requires (SearchParameter.base 1..*)',
  code: 'missing-required-element',
  expression: /^SearchParameter\.base$/,
};

const IMPLEMENTATION_GUIDE_WITHOUT_NAME_OR_STATUS: KnownInvalidExample = {
  reason: 'no name and no status, which R4 requires (ImplementationGuide.name and .status 1..1)',
  code: 'missing-required-element',
  expression: /^ImplementationGuide\.(name|status)$/,
};

const KNOWN_INVALID: Readonly<Record<string, KnownInvalidExample>> = {
  'Questionnaire-qs1.json': {
    reason: '32 items nested in item[0] have no linkId, which R4 requires (Questionnaire.item.linkId 1..1)',
    code: 'missing-required-element',
    expression: /^Questionnaire\.item\[0\](\.item\[\d+\])+\.linkId$/,
  },
  'SearchParameter-questionnaireresponse-extensions-QuestionnaireResponse-item-subject.json': {
    reason: 'its id has 67 characters; an R4 id has at most 64',
    code: 'invalid-value',
    expression: /^SearchParameter\.id$/,
  },
  'ImplementationGuide-fhir.json': IMPLEMENTATION_GUIDE_WITHOUT_NAME_OR_STATUS,
  'ig-r4.json': IMPLEMENTATION_GUIDE_WITHOUT_NAME_OR_STATUS,
  ...Object.fromEntries(
    ['codesystem-extensions-CodeSystem', 'valueset-extensions-ValueSet'].flatMap((prefix) =>
      ['author', 'effective', 'end', 'keyword', 'workflow'].map((name) => [
        `SearchParameter-${prefix}-${name}.json`,
        SEARCH_PARAMETER_WITHOUT_BASE,
      ]),
    ),
  ),
};

function summary(problems: readonly Problem[]): string[] {
  return problems.map((problem) => `${problem.code} @ ${problem.expression?.join(', ')}`);
}

function readExample(file: string): unknown {
  return JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8')) as unknown;
}

const exampleFiles = readdirSync(EXAMPLES)
  .filter((file) => file.endsWith('.json') && file !== 'package.json')
  .sort();

/** Example files are mostly named `<resourceType>-<id>.json`; the resourceType inside decides. */
function examplesOf(type: string): Array<{ file: string; resource: unknown }> {
  return exampleFiles
    .filter((file) => file.startsWith(`${type}-`))
    .map((file) => ({ file, resource: readExample(file) }))
    .filter(({ resource }) => (resource as { resourceType?: unknown }).resourceType === type);
}

function assertValidOrKnownInvalid(file: string, resource: unknown): void {
  const problems = validateResource(resource);
  const knownInvalid = KNOWN_INVALID[file];
  if (knownInvalid === undefined) {
    assert.deepEqual(summary(problems), [], file);
    return;
  }
  assert.ok(problems.length > 0, `${file} is listed as invalid (${knownInvalid.reason}) but validates`);
  for (const problem of problems) {
    assert.equal(problem.code, knownInvalid.code, `${file}: ${summary([problem]).join('')}`);
    assert.match(problem.expression?.[0] ?? '', knownInvalid.expression, file);
  }
}

describe('official R4 examples validate without false positives', () => {
  for (const type of SUPPORTED_RESOURCE_TYPES) {
    it(`every official ${type} example validates cleanly, unless listed as invalid`, () => {
      const examples = examplesOf(type);
      assert.ok(examples.length > 0, `no official ${type} examples found`);
      for (const { file, resource } of examples) assertValidOrKnownInvalid(file, resource);
    });
  }

  // Contained resources and Bundle entries can be of any type, so the rest of the examples count too.
  it('every official example of every other R4 type validates cleanly, unless listed as invalid', () => {
    const supported: ReadonlySet<string> = new Set(SUPPORTED_RESOURCE_TYPES);
    let checked = 0;
    for (const file of exampleFiles) {
      const resource = readExample(file);
      if (supported.has(String((resource as { resourceType?: unknown }).resourceType))) continue;
      assertValidOrKnownInvalid(file, resource);
      checked++;
    }
    assert.ok(checked > 4000, `only ${checked} examples checked`);
  });

  it('lists as invalid only examples that exist', () => {
    for (const file of Object.keys(KNOWN_INVALID)) assert.ok(exampleFiles.includes(file), file);
  });
});
