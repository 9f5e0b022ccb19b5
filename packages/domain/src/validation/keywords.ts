import type { ErrorObject, KeywordDefinition } from 'ajv';
import type { DataValidateFunction, DataValidationCxt } from 'ajv/dist/types/index.js';
import type { ErrorCode } from '../fhir/errors.js';
import { daysInMonth, hasRealCalendarDate } from './calendar.js';
import { ElementChecker, type ElementFault, type ElementRules } from './element-rules.js';
import type { PathSegment } from './fhir-path.js';
import { isJsonObject } from './json.js';
import { ukCoreIdentifierFault } from './uk-core-identifiers.js';

/**
 * The keywords Carebridge adds to the R4 JSON schema. Checks that need FHIR knowledge the schema
 * lacks run inside Ajv's own walk, where the schema already knows which element has which type, so
 * no second walk over the resource is needed.
 */
export const FHIR_TYPE = 'fhirType';
export const FHIR_ELEMENT = 'fhirElement';
export const CALENDAR_DATE = 'fhirCalendarDate';
export const UK_CORE_IDENTIFIER = 'ukCoreIdentifier';
export const NESTED_RESOURCE = 'fhirNestedResource';

/** What one call of a compiled validator collects besides its errors (Ajv's `passContext`). */
export interface ValidationRun {
  readonly nestedResources: NestedResource[];
}

/** A resource inside the one being validated (contained, Bundle.entry.resource, ...). */
export interface NestedResource {
  /** JSON pointer from the enclosing resource. */
  readonly pointer: string;
  readonly resource: unknown;
}

/** The params of an error raised by a Carebridge keyword: the problem and where below the data it is. */
export interface KeywordErrorParams {
  readonly problem: ErrorCode;
  readonly child: readonly PathSegment[];
}

export const CAREBRIDGE_KEYWORDS: ReadonlySet<string> = new Set([
  FHIR_ELEMENT,
  CALENDAR_DATE,
  UK_CORE_IDENTIFIER,
]);

function keywordError(keyword: string, fault: ElementFault): Partial<ErrorObject> {
  const params: KeywordErrorParams = { problem: fault.code, child: fault.child };
  return { keyword, message: fault.diagnostics, params };
}

/** A validate function whose `errors` Ajv reads after each failing call. */
function failingWith(check: (data: unknown) => ElementFault[], keyword: string): DataValidateFunction {
  const validate: DataValidateFunction = (data: unknown) => {
    const faults = check(data);
    if (faults.length === 0) return true;
    validate.errors = faults.map((fault) => keywordError(keyword, fault));
    return false;
  };
  return validate;
}

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function calendarDateFaults(typeName: string, value: unknown): ElementFault[] {
  if (typeof value !== 'string' || hasRealCalendarDate(value)) return [];
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(5, 7));
  const diagnostics = `'${value}' is not a valid ${typeName}: ${MONTH_NAMES[month - 1]} ${year} has ${daysInMonth(year, month)} days`;
  return [{ code: 'invalid-value', diagnostics, child: [] }];
}

function identifierFaults(identifier: unknown): ElementFault[] {
  if (!isJsonObject(identifier)) return [];
  const fault = ukCoreIdentifierFault(identifier['system'], identifier['value']);
  return fault ? [{ ...fault, child: ['value'] }] : [];
}

function collectNestedResource(
  this: ValidationRun | undefined,
  data: unknown,
  dataCxt?: DataValidationCxt,
): boolean {
  this?.nestedResources.push({ pointer: dataCxt?.instancePath ?? '', resource: data });
  return true;
}

export function fhirKeywords(): KeywordDefinition[] {
  return [
    // An annotation naming the FHIR primitive type of a schema, so errors can say "not a valid date".
    { keyword: FHIR_TYPE, schemaType: 'string' },
    {
      keyword: CALENDAR_DATE,
      type: 'string',
      schemaType: 'string',
      errors: true,
      compile: (typeName: string) => failingWith((data) => calendarDateFaults(typeName, data), CALENDAR_DATE),
    },
    {
      keyword: FHIR_ELEMENT,
      type: 'object',
      schemaType: 'object',
      errors: true,
      compile: (rules: ElementRules) => {
        const checker = new ElementChecker(rules);
        return failingWith((data) => (isJsonObject(data) ? checker.faults(data) : []), FHIR_ELEMENT);
      },
    },
    {
      keyword: UK_CORE_IDENTIFIER,
      type: 'object',
      schemaType: 'boolean',
      errors: true,
      compile: () => failingWith(identifierFaults, UK_CORE_IDENTIFIER),
    },
    {
      keyword: NESTED_RESOURCE,
      type: 'object',
      schemaType: 'boolean',
      compile: () => collectNestedResource,
    },
  ];
}
