import type {
  DateSearchValue,
  IncludeSpec,
  NumberSearchValue,
  QuantitySearchValue,
  ReferenceSearchValue,
  SearchFilter,
  SearchQuery,
  TokenSearchValue,
} from './query.js';
import { escapeSearchValue } from './text.js';

/**
 * Deterministic canonical forms of a parsed search. Two requests that mean the same search
 * (parameters in another order, OR-values in another order, `eq` written or not, `subject:Patient=1`
 * vs `subject=Patient/1`, different case in a string search) have the same canonical form, and
 * parsing the canonical parameters again yields the same query.
 */
export type SearchParam = [name: string, value: string];

/** The filter parameters, then the result parameters; `_cursor`, `_format` and `_pretty` are excluded. */
export function canonicalSearchParams(query: SearchQuery): SearchParam[] {
  return [...canonicalFilterParams(query), ...canonicalResultParams(query)];
}

/**
 * A stable key for what a search matches (filters only; paging, sorting and includes do not change
 * which resources match), e.g. `Patient?identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C9000000009`.
 * The store uses it as the unique key that makes conditional create race-free.
 */
export function canonicalSearchKey(query: SearchQuery): string {
  const pairs = canonicalFilterParams(query).map(
    ([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`,
  );
  return `${query.resourceType}?${pairs.join('&')}`;
}

function canonicalFilterParams(query: SearchQuery): SearchParam[] {
  return query.filters.map(formatFilter).sort(compareParams);
}

function canonicalResultParams(query: SearchQuery): SearchParam[] {
  const params: SearchParam[] = [];
  if (query.sort.length > 0) {
    // Sort order is meaningful, so keys keep their order.
    params.push(['_sort', query.sort.map((key) => `${key.descending ? '-' : ''}${key.param}`).join(',')]);
  }
  params.push(['_count', String(query.count)]);
  for (const value of query.include.map(formatInclude).sort()) params.push(['_include', value]);
  for (const value of query.revinclude.map(formatInclude).sort()) params.push(['_revinclude', value]);
  if (query.summary !== undefined) params.push(['_summary', query.summary]);
  if (query.total !== 'none') params.push(['_total', query.total]);
  if (query.elements !== undefined) params.push(['_elements', [...query.elements].sort().join(',')]);
  return params;
}

function compareParams(a: SearchParam, b: SearchParam): number {
  return compareStrings(a[0], b[0]) || compareStrings(a[1], b[1]);
}

/** Code-unit order: independent of locale, so every process computes the same key. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function orList(values: readonly string[]): string {
  return [...values].sort(compareStrings).join(',');
}

function formatFilter(filter: SearchFilter): SearchParam {
  switch (filter.kind) {
    case 'id':
      return ['_id', orList(filter.ids.map(escapeSearchValue))];
    case 'lastUpdated':
      return ['_lastUpdated', orList(filter.values.map(formatPrefixed))];
    case 'missing':
      return [`${filter.param}:missing`, String(filter.missing)];
    case 'token':
      return [filter.negated ? `${filter.param}:not` : filter.param, orList(filter.values.map(formatToken))];
    case 'tokenText':
      return [`${filter.param}:text`, orList(filter.values.map(escapeSearchValue))];
    case 'string': {
      const suffix = filter.match === 'exact' ? ':exact' : filter.match === 'contains' ? ':contains' : '';
      return [`${filter.param}${suffix}`, orList(filter.values.map(escapeSearchValue))];
    }
    case 'reference':
      return [filter.param, orList(filter.values.map(formatReference))];
    case 'referenceIdentifier':
      return [`${filter.param}:identifier`, orList(filter.values.map(formatToken))];
    case 'date':
      return [filter.param, orList(filter.values.map(formatPrefixed))];
    case 'number':
      return [filter.param, orList(filter.values.map(formatPrefixed))];
    case 'quantity':
      return [filter.param, orList(filter.values.map(formatQuantity))];
    case 'uri': {
      const suffix = filter.match === 'exact' ? '' : `:${filter.match}`;
      return [`${filter.param}${suffix}`, orList(filter.values.map(escapeSearchValue))];
    }
    case 'chain': {
      const [name, value] = formatFilter(filter.filter);
      const type = filter.typeModifier ? `:${filter.typeModifier}` : '';
      return [`${filter.param}${type}.${name}`, value];
    }
  }
}

function formatPrefixed(value: DateSearchValue | NumberSearchValue): string {
  return `${value.prefix === 'eq' ? '' : value.prefix}${escapeSearchValue(value.literal)}`;
}

function formatToken(value: TokenSearchValue): string {
  const code = value.code === undefined ? '' : escapeSearchValue(value.code);
  if (value.system === undefined) return code;
  if (value.system === null) return `|${code}`;
  return `${escapeSearchValue(value.system)}|${code}`;
}

function formatReference(value: ReferenceSearchValue): string {
  if (value.kind === 'url') return escapeSearchValue(value.url);
  return value.type === undefined ? value.id : `${value.type}/${value.id}`;
}

function formatQuantity(value: QuantitySearchValue): string {
  const number = formatPrefixed(value);
  if (value.unit === undefined) return number;
  if ('codeOrUnit' in value.unit) return `${number}||${escapeSearchValue(value.unit.codeOrUnit)}`;
  return `${number}|${escapeSearchValue(value.unit.system)}|${escapeSearchValue(value.unit.code)}`;
}

function formatInclude(spec: IncludeSpec): string {
  return `${spec.sourceType}:${spec.param}${spec.targetType ? `:${spec.targetType}` : ''}`;
}
