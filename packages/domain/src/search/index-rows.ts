/**
 * The values a stored resource contributes to the typed search-index tables, one list per table.
 * Produced by the domain from the official R4 SearchParameter expressions; written by the store in
 * the same statement as the resource, so the index can never lag behind the data it indexes.
 */
export interface TokenIndexRow {
  param: string;
  /** Coding/Identifier system; null when the value has none. */
  system: string | null;
  /** Code or identifier value, exactly as stored (token matching is case-sensitive in FHIR R4). */
  code: string | null;
  /** Display or text, lower-cased, for the `:text` modifier. */
  text: string | null;
}

export interface StringIndexRow {
  param: string;
  /** Lower-cased, accents removed, whitespace collapsed: what default and `:contains` match on. */
  value: string;
  /** The value as stored, for `:exact`. */
  exact: string;
}

export interface ReferenceIndexRow {
  param: string;
  /** Target type and id for literal references ("Patient/123"); null for logical or external ones. */
  targetType: string | null;
  targetId: string | null;
  /** The reference as written (also identifier-only references as "system|value" for `:identifier`). */
  value: string;
}

export interface DateIndexRow {
  param: string;
  /** Inclusive lower bound (ISO instant) or '-infinity'. */
  low: string;
  /** Exclusive upper bound (ISO instant) or 'infinity': a date "2024-03-01" is [2024-03-01, 2024-03-02). */
  high: string;
}

export interface NumberIndexRow {
  param: string;
  value: number;
  /** The range implied by the value's precision: 1.5 → [1.45, 1.55). */
  low: number;
  high: number;
}

export interface QuantityIndexRow extends NumberIndexRow {
  system: string | null;
  code: string | null;
  unit: string | null;
}

export interface UriIndexRow {
  param: string;
  value: string;
}

export interface SearchIndexRows {
  token: TokenIndexRow[];
  string: StringIndexRow[];
  reference: ReferenceIndexRow[];
  date: DateIndexRow[];
  number: NumberIndexRow[];
  quantity: QuantityIndexRow[];
  uri: UriIndexRow[];
}

export function emptyIndexRows(): SearchIndexRows {
  return { token: [], string: [], reference: [], date: [], number: [], quantity: [], uri: [] };
}
