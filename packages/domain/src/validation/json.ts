import { isJsonObject } from '../fhir/resource.js';

/** A parsed JSON object, narrowed from `unknown`. */
export type JsonObject = Record<string, unknown>;

export { isJsonObject };

const LONGEST_QUOTED_VALUE = 80;

/**
 * A value as diagnostics quote it. Long strings are cut, because a client that sends a megabyte of bad
 * base64 should not get it back in the OperationOutcome.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > LONGEST_QUOTED_VALUE ? `${value.slice(0, LONGEST_QUOTED_VALUE)}…` : value;
    return `'${shown}'`;
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** What a value is, for "expected X, not Y": "the string 'yes'", "an object", ... */
export function describeFound(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `the ${typeof value} ${describeValue(value)}`;
}

/** The word with its indefinite article: "a string", "an object", "an integer". */
export function withArticle(word: string): string {
  return /^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`;
}
