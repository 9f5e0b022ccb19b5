import type { Problem, SearchQuery } from '@carebridge/domain';
import {
  canonicalSearchKey,
  FhirError,
  operationOutcome,
  parseSearch,
  parseSearchOrThrow,
} from '@carebridge/domain';
import type { FhirLimits } from '../config.js';
import type { AccessPredicate } from '../store/access-predicate.js';
import type { SqlExecutor } from '../store/database.js';
import type { ResourceRow } from '../store/resource-row.js';
import { findMatchingIds, searchResources, type SearchResourcesResult } from '../store/search/search.js';
import type { PagingTokens } from './paging.js';
import { parsePrefer, type FhirRequest, type FhirResponse } from './request.js';
import { bundleJson, entryJson, jsonResponse, resourceUrl } from './response.js';
import { createSearchCursor, resolveSearchCursor } from './search-cursor.js';

/**
 * Search over the typed index: parses the request (strictly unless the client asked for lenient
 * handling), continues from a signed cursor when there is one, and renders a searchset Bundle with
 * matches, includes, and an outcome entry for anything that was ignored or cut short.
 */
export class IndexedSearchService {
  constructor(private readonly deps: { tokens: PagingTokens; limits: FhirLimits }) {}

  async search(
    db: SqlExecutor,
    resourceType: string,
    params: Array<[string, string]>,
    request: FhirRequest,
    access: AccessPredicate,
  ): Promise<FhirResponse> {
    const strict = parsePrefer(request.headers.prefer).handling === 'strict';
    const parsed = parseSearchOrThrow(resourceType, params, this.searchOptions(strict));
    const resolved = resolveSearchCursor(parsed.query, this.deps.tokens, {
      searchOptions: this.searchOptions(true),
    });
    const query = resolved?.query ?? parsed.query;
    const warnings = [...parsed.warnings, ...unsupportedSummary(query, strict)];
    const result = await searchResources(db, query, {
      access,
      ...(resolved ? { cursor: resolved.position } : {}),
    });
    const patientIds = [...result.matches, ...result.included].flatMap((row) => row.patientIds ?? []);
    return { ...jsonResponse(200, this.searchset(query, result, warnings, request)), patientIds };
  }

  async findIds(
    db: SqlExecutor,
    resourceType: string,
    params: Array<[string, string]>,
    limit: number,
  ): Promise<string[]> {
    return findMatchingIds(db, this.conditionQuery(resourceType, params), limit);
  }

  conditionKey(resourceType: string, params: Array<[string, string]>): string {
    return canonicalSearchKey(this.conditionQuery(resourceType, params));
  }

  /** A condition (If-None-Exist) is always parsed strictly: a condition that ignored a parameter could match the wrong resource. */
  private conditionQuery(resourceType: string, params: Array<[string, string]>): SearchQuery {
    const result = parseSearch(resourceType, params, this.searchOptions(true));
    if (!result.ok) {
      throw new FhirError(
        result.problems.map((problem) => ({
          ...problem,
          diagnostics: `If-None-Exist: ${problem.diagnostics ?? ''}`.trim(),
        })),
      );
    }
    if (result.query.filters.length === 0) {
      throw new FhirError({
        code: 'invalid-search-parameter',
        diagnostics: 'If-None-Exist needs at least one search parameter.',
        expression: ['If-None-Exist'],
      });
    }
    return result.query;
  }

  private searchOptions(strict: boolean) {
    return { strict, defaultCount: this.deps.limits.defaultPageSize, maxCount: this.deps.limits.maxPageSize };
  }

  private searchset(
    query: SearchQuery,
    result: SearchResourcesResult,
    warnings: Problem[],
    request: FhirRequest,
  ): string {
    const base = request.baseUrl;
    const selfUrl = `${base}/${query.resourceType}${queryString(request.query)}`;
    const link = [{ relation: 'self', url: selfUrl }];
    if (result.next) {
      link.push({
        relation: 'next',
        url: `${base}/${query.resourceType}?_cursor=${createSearchCursor(query, result.next, this.deps.tokens)}`,
      });
    }
    const total =
      result.total ?? (result.next === undefined && !query.cursor ? result.matches.length : undefined);
    const notes: Problem[] = [...warnings];
    if (result.includedTruncated) {
      notes.push({
        code: 'invalid-search-parameter',
        severity: 'warning',
        diagnostics:
          'Not every _include/_revinclude resource fits in one page; some were left out. Narrow the search or page with a smaller _count.',
        expression: ['_include'],
      });
    }
    const entries = [
      ...result.matches.map((row) =>
        searchEntry({ ...row, content: subset(row.content, query) }, base, 'match'),
      ),
      ...result.included.map((row) => searchEntry(row, base, 'include')),
      ...(notes.length > 0
        ? [entryJson({ resource: JSON.stringify(operationOutcome(notes)), search: { mode: 'outcome' } })]
        : []),
    ];
    return bundleJson(
      {
        meta: { lastUpdated: new Date().toISOString() },
        type: 'searchset',
        ...(total === undefined ? {} : { total }),
        link,
      },
      entries,
    );
  }
}

/**
 * `_summary=true|text` need every element's summary flag, which Carebridge does not render: refused
 * when strict, and reported as ignored (full resources returned) when lenient.
 */
function unsupportedSummary(query: SearchQuery, strict: boolean): Problem[] {
  if (query.summary !== 'true' && query.summary !== 'text') return [];
  const problem: Problem = {
    code: 'invalid-search-parameter',
    diagnostics: `_summary=${query.summary} is not supported; use _elements to choose elements, or _summary=data or count.`,
    expression: ['_summary'],
  };
  if (strict) throw new FhirError(problem);
  return [{ ...problem, severity: 'warning' }];
}

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };
const ALWAYS_KEPT = new Set(['resourceType', 'id', 'meta']);

/** Applies `_elements` and `_summary=data` to a match, tagging it SUBSETTED as R4 requires. */
function subset(content: string, query: SearchQuery): string {
  const elements = query.elements ? new Set(query.elements) : undefined;
  if (!elements && query.summary !== 'data') return content;
  const resource = JSON.parse(content) as Record<string, unknown>;
  const kept = Object.entries(resource).filter(([name]) =>
    elements ? ALWAYS_KEPT.has(name) || elements.has(name) : name !== 'text',
  );
  const result = Object.fromEntries(kept) as Record<string, unknown> & { meta?: { tag?: unknown[] } };
  result.meta = { ...(result.meta ?? {}), tag: [...(result.meta?.tag ?? []), SUBSETTED] };
  return JSON.stringify(result);
}

function searchEntry(row: ResourceRow, base: string, mode: 'match' | 'include'): string {
  return entryJson({ fullUrl: resourceUrl(base, row), resource: row.content, search: { mode } });
}

function queryString(query: Array<[string, string]>): string {
  return query.length === 0 ? '' : `?${new URLSearchParams(query).toString()}`;
}
