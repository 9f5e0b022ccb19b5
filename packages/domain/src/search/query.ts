import type { SupportedResourceType } from '../fhir/resource-types.js';
import type { SearchParamType } from './registry.js';

/**
 * A parsed, validated search: what `parseSearch` produces and the store's SQL builder consumes.
 * Every value is already checked and normalised, so the store never has to reject anything.
 *
 * Filters are ANDed. Within a filter, `values` are ORed (a comma-separated list in the request).
 */
export interface SearchQuery {
  resourceType: SupportedResourceType;
  filters: SearchFilter[];
  /** Sort keys in priority order; empty means the store's default order (insertion order). */
  sort: SortKey[];
  /** Page size, already clamped to the server's maximum. */
  count: number;
  include: IncludeSpec[];
  revinclude: IncludeSpec[];
  /** `_summary`; 'count' means only the total is wanted. The others are for the server to render. */
  summary?: SummaryMode;
  total: TotalMode;
  /** `_elements`, for the server to render; undefined when not requested. */
  elements?: string[];
  /** `_cursor`, when the request continues a search (see store/search/cursor.ts). */
  cursor?: CursorReference;
}

export type SummaryMode = 'true' | 'text' | 'data' | 'count' | 'false';
export type TotalMode = 'none' | 'estimate' | 'accurate';

export interface CursorReference {
  token: string;
  /**
   * True when the request carried search parameters besides `_cursor` (and `_format`/`_pretty`):
   * they must then be the same search the cursor was issued for.
   */
  withParams: boolean;
}

/** The comparison prefixes of date, number and quantity values (R4 §3.1.1.4). */
export type ComparisonPrefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

export const COMPARISON_PREFIXES: readonly ComparisonPrefix[] = [
  'eq',
  'ne',
  'gt',
  'lt',
  'ge',
  'le',
  'sa',
  'eb',
  'ap',
];

export interface DateSearchValue {
  prefix: ComparisonPrefix;
  /** The date as written (without the prefix): kept for the canonical form. */
  literal: string;
  /** [low, high) of the value's precision, ISO instants. */
  low: string;
  high: string;
}

export interface NumberSearchValue {
  prefix: ComparisonPrefix;
  literal: string;
  /** Exact decimal strings (bound as numeric, never as binary floats). */
  value: string;
  low: string;
  high: string;
}

/** `5.4|http://unitsofmeasure.org|mg` (system and code), `5.4||mg` (code or unit, any system), `5.4`. */
export interface QuantitySearchValue extends NumberSearchValue {
  unit?: { system: string; code: string } | { codeOrUnit: string };
}

/**
 * A token value: `code` (any system), `system|code`, `|code` (no system), `system|` (any code in
 * the system). `system: undefined` = any system; `system: null` = must have no system;
 * `code: undefined` = any code.
 */
export interface TokenSearchValue {
  system?: string | null;
  code?: string;
}

export type ReferenceSearchValue =
  /** `Type/id`, or a bare `id` (any target type the parameter allows) with `type` undefined. */
  | { kind: 'literal'; type?: string; id: string }
  /** An absolute URL or canonical, matched on the reference as written. */
  | { kind: 'url'; url: string };

export type StringMatch = 'starts-with' | 'exact' | 'contains';
export type UriMatch = 'exact' | 'below' | 'above';

export type SearchFilter =
  | IdFilter
  | LastUpdatedFilter
  | MissingFilter
  | TokenFilter
  | TokenTextFilter
  | StringFilter
  | ReferenceFilter
  | ReferenceIdentifierFilter
  | DateFilter
  | NumberFilter
  | QuantityFilter
  | UriFilter
  | ChainFilter;

/** `_id=a,b`: matched on resource.id. */
export interface IdFilter {
  kind: 'id';
  ids: string[];
}

/** `_lastUpdated=ge2024-01-01`: matched on resource.last_updated. */
export interface LastUpdatedFilter {
  kind: 'lastUpdated';
  values: DateSearchValue[];
}

/** `param:missing=true|false`. */
export interface MissingFilter {
  kind: 'missing';
  param: string;
  paramType: SearchParamType;
  missing: boolean;
}

/** Token match; `negated` is the `:not` modifier (resources with no matching value, including none). */
export interface TokenFilter {
  kind: 'token';
  param: string;
  negated: boolean;
  values: TokenSearchValue[];
}

/** `:text` on a token: the normalised text must start a word of the display/text. */
export interface TokenTextFilter {
  kind: 'tokenText';
  param: string;
  values: string[];
}

/** String match: values are normalised (starts-with, contains) or as written (exact). */
export interface StringFilter {
  kind: 'string';
  param: string;
  match: StringMatch;
  values: string[];
}

export interface ReferenceFilter {
  kind: 'reference';
  param: string;
  values: ReferenceSearchValue[];
}

/** `param:identifier=system|value`: logical references by business identifier. */
export interface ReferenceIdentifierFilter {
  kind: 'referenceIdentifier';
  param: string;
  values: TokenSearchValue[];
}

export interface DateFilter {
  kind: 'date';
  param: string;
  values: DateSearchValue[];
}

export interface NumberFilter {
  kind: 'number';
  param: string;
  values: NumberSearchValue[];
}

export interface QuantityFilter {
  kind: 'quantity';
  param: string;
  values: QuantitySearchValue[];
}

export interface UriFilter {
  kind: 'uri';
  param: string;
  match: UriMatch;
  values: string[];
}

/**
 * One level of chaining: `subject:Patient.identifier=x` — resources whose `param` references a
 * resource of one of `targetTypes` that matches `filter`.
 */
export interface ChainFilter {
  kind: 'chain';
  param: string;
  /** The `:Type` modifier as written, if any (kept for the canonical form). */
  typeModifier?: string;
  /** The target types searched: the modifier's type, or every allowed target defining the chained parameter. */
  targetTypes: SupportedResourceType[];
  filter: SearchFilter;
}

export interface SortKey {
  /** A parameter code of the searched type, or `_id` / `_lastUpdated`. */
  param: string;
  paramType: SearchParamType;
  descending: boolean;
}

/** `_include=Source:param[:Target]` or `_revinclude=Source:param[:Target]`; param '*' = every reference parameter. */
export interface IncludeSpec {
  sourceType: SupportedResourceType;
  param: string;
  targetType?: string;
}

export interface SearchOptions {
  /** `Prefer: handling=strict`: unknown or unsupported parameters are errors rather than ignored. */
  strict: boolean;
  defaultCount: number;
  maxCount: number;
}
