import { FHIR_ID_PATTERN, parseRelativeReference } from '../fhir/resource.js';
import { parseDateRangeMs, formatInstant } from './date-range.js';
import { decimalRange } from './decimal-range.js';
import type {
  ComparisonPrefix,
  DateSearchValue,
  NumberSearchValue,
  QuantitySearchValue,
  ReferenceSearchValue,
  TokenSearchValue,
} from './query.js';
import { COMPARISON_PREFIXES } from './query.js';
import { normaliseSearchText, splitUnescaped, truncateUtf8, unescapeSearchValue } from './text.js';

/**
 * Parsers for single search values (one OR-alternative, still escaped). Each returns the typed
 * value or throws {@link SearchValueError} with a message naming what is wrong and the accepted
 * form; the caller turns it into an 'invalid-search-value' problem for the parameter.
 */
export class SearchValueError extends Error {
  override readonly name = 'SearchValueError';
}

const PREFIX_PATTERN = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)/;
const PREFIX_LIST = COMPARISON_PREFIXES.join(', ');

function splitPrefix(value: string): { prefix: ComparisonPrefix; rest: string } {
  const match = PREFIX_PATTERN.exec(value);
  if (!match) return { prefix: 'eq', rest: value };
  return { prefix: match[1] as ComparisonPrefix, rest: value.slice(2) };
}

/**
 * A '+' in a URL query decodes to a space, so "2024-03-01T10:00:00+01:00" sent unencoded arrives as
 * "…10:00:00 01:00". The intent is unambiguous, so the zone sign is restored.
 */
function restorePlusInZone(value: string): string {
  return value.replace(/^(.*T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:\d{2})$/, '$1+$2');
}

export function parseDateValue(raw: string): DateSearchValue {
  const { prefix, rest } = splitPrefix(unescapeSearchValue(raw));
  const literal = restorePlusInZone(rest);
  const range = parseDateRangeMs(literal);
  if (!range) {
    throw new SearchValueError(
      `'${raw}' is not a valid date: use YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss[.sss]][Z|±hh:mm], optionally after one of the prefixes ${PREFIX_LIST}`,
    );
  }
  return { prefix, literal, low: formatInstant(range.lowMs), high: formatInstant(range.highMs) };
}

export function parseNumberValue(raw: string): NumberSearchValue {
  const { prefix, rest } = splitPrefix(unescapeSearchValue(raw));
  const range = decimalRange(rest);
  if (!range) {
    throw new SearchValueError(
      `'${raw}' is not a valid number: use a decimal such as 5, -0.25 or 1.5e3 (at most 64 digits), optionally after one of the prefixes ${PREFIX_LIST}`,
    );
  }
  return { prefix, literal: rest, ...range };
}

export function parseQuantityValue(raw: string): QuantitySearchValue {
  const parts = splitUnescaped(raw, '|');
  const form = `use [prefix]number, [prefix]number|system|code or [prefix]number||code (for example gt5.4|http://unitsofmeasure.org|mg)`;
  if (parts.length !== 1 && parts.length !== 3)
    throw new SearchValueError(`'${raw}' is not a valid quantity: ${form}`);
  let number: NumberSearchValue;
  try {
    number = parseNumberValue(parts[0] as string);
  } catch {
    throw new SearchValueError(`'${raw}' is not a valid quantity: the number is not a decimal; ${form}`);
  }
  if (parts.length === 1) return number;
  const system = unescapeSearchValue(parts[1] as string);
  const code = unescapeSearchValue(parts[2] as string);
  if (code === '')
    throw new SearchValueError(
      `'${raw}' is not a valid quantity: the unit code after the last '|' is empty; ${form}`,
    );
  return { ...number, unit: system === '' ? { codeOrUnit: code } : { system, code } };
}

/** `code`, `system|code`, `|code`, `system|`. */
export function parseTokenValue(raw: string): TokenSearchValue {
  const parts = splitUnescaped(raw, '|');
  if (parts.length > 2) {
    throw new SearchValueError(
      `'${raw}' has more than one unescaped '|': use code, system|code, |code or system| (write \\| for a literal bar)`,
    );
  }
  if (parts.length === 1) return { code: truncateUtf8(unescapeSearchValue(raw)) };
  const system = unescapeSearchValue(parts[0] as string);
  const code = unescapeSearchValue(parts[1] as string);
  if (system === '' && code === '') throw new SearchValueError(`'${raw}' has neither a system nor a code`);
  if (system === '') return { system: null, code: truncateUtf8(code) };
  if (code === '') return { system: truncateUtf8(system) };
  return { system: truncateUtf8(system), code: truncateUtf8(code) };
}

/** A string value in the form the index stores it for default and :contains matching. */
export function parseNormalisedText(raw: string): string {
  const value = truncateUtf8(normaliseSearchText(unescapeSearchValue(raw)));
  if (value === '') throw new SearchValueError(`'${raw}' has no letters or digits to search for`);
  return value;
}

export function parseExactText(raw: string): string {
  return unescapeSearchValue(raw);
}

const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/**
 * A reference value: `Type/id` (a version suffix "/_history/v" is ignored: the index holds current
 * references), a bare `id`, or an absolute URL/canonical. `allowedTypes` are the parameter's
 * targets; `typeModifier` is the `:Type` modifier, which fixes the type.
 */
export function parseReferenceValue(
  raw: string,
  allowedTypes: readonly string[],
  typeModifier?: string,
): ReferenceSearchValue {
  const value = unescapeSearchValue(raw);
  if (ABSOLUTE_URI.test(value)) {
    if (typeModifier !== undefined) {
      throw new SearchValueError(`'${raw}' is a URL; with the :${typeModifier} modifier give only the id`);
    }
    return { kind: 'url', url: value };
  }
  if (value.includes('/')) {
    const relative = parseRelativeReference(value);
    if (!relative)
      throw new SearchValueError(`'${raw}' is not a reference: use Type/id, id or an absolute URL`);
    if (typeModifier !== undefined && relative.resourceType !== typeModifier) {
      throw new SearchValueError(
        `'${raw}' names type ${relative.resourceType} but the modifier is :${typeModifier}`,
      );
    }
    if (allowedTypes.length > 0 && !allowedTypes.includes(relative.resourceType)) {
      throw new SearchValueError(
        `'${raw}' refers to a ${relative.resourceType}, which this parameter cannot reference (allowed: ${allowedTypes.join(', ')})`,
      );
    }
    return { kind: 'literal', type: relative.resourceType, id: relative.id };
  }
  if (!FHIR_ID_PATTERN.test(value)) {
    throw new SearchValueError(
      `'${raw}' is not a valid id (1–64 of A–Z, a–z, 0–9, '-' and '.'), Type/id or absolute URL`,
    );
  }
  return typeModifier === undefined
    ? { kind: 'literal', id: value }
    : { kind: 'literal', type: typeModifier, id: value };
}

export function parseIdValue(raw: string): string {
  const value = unescapeSearchValue(raw);
  if (!FHIR_ID_PATTERN.test(value)) {
    throw new SearchValueError(`'${raw}' is not a valid id (1–64 of A–Z, a–z, 0–9, '-' and '.')`);
  }
  return value;
}

export function parseUriValue(raw: string): string {
  const value = unescapeSearchValue(raw);
  if (value.trim() === '') throw new SearchValueError(`'${raw}' is not a URI`);
  return truncateUtf8(value);
}

export function parseMissingValue(raw: string): boolean {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new SearchValueError(`'${raw}' is not valid for :missing: use true or false`);
}
