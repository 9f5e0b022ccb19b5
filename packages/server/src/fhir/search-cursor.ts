import {
  canonicalSearchParams,
  isJsonObject,
  parseSearch,
  type SearchOptions,
  type SearchQuery,
} from '@carebridge/domain';
import type { KeysetPosition } from '../store/search/search.js';
import { invalidCursor, type PagingTokens } from './paging.js';

/**
 * Paging cursors: the opaque `_cursor` token of a searchset's `next` link.
 *
 * Token = base64url(JSON payload) "." base64url(HMAC-SHA256(secret, payload part)). The payload holds
 *   - the search's resource type and canonical parameters (canonicalSearchParams: filters, _sort,
 *     _count, _include, _revinclude, _summary, _total, _elements),
 *   - the keyset position where the previous page ended (its last row's sort values and rid),
 *   - the time it was issued.
 * Because the token carries the whole search, `GET /fhir/Patient?_cursor=<token>` alone is enough
 * to fetch the next page. A server may also put the original parameters in the link beside the
 * token; they must then describe the same search, or the cursor is refused. Signing makes the token
 * tamper-proof (a client cannot move the position or change the search); it is not encrypted, so
 * it reveals the search parameters, exactly as the request URL that produced it did.
 * Any fault (malformed, truncated, altered, another secret, another search, expired) is the one
 * 'invalid-cursor' error: the client should start the search again.
 */

export interface SearchCursorPayload {
  resourceType: string;
  params: Array<[string, string]>;
  position: KeysetPosition;
  /** Epoch milliseconds. */
  issuedAt: number;
}

const VERSION = 1;

interface WirePayload {
  v: number;
  t: string;
  p: Array<[string, string]>;
  s: Array<string | null>;
  r: number;
  i: number;
}

export function encodeSearchCursor(payload: SearchCursorPayload, tokens: PagingTokens): string {
  const wire: WirePayload = {
    v: VERSION,
    t: payload.resourceType,
    p: payload.params,
    s: payload.position.sort,
    r: payload.position.rid,
    i: payload.issuedAt,
  };
  return tokens.sign(wire);
}

/** The cursor for the page after `position` of `query`. */
export function createSearchCursor(
  query: SearchQuery,
  position: KeysetPosition,
  tokens: PagingTokens,
  now: Date = new Date(),
): string {
  return encodeSearchCursor(
    {
      resourceType: query.resourceType,
      params: canonicalSearchParams(query),
      position,
      issuedAt: now.getTime(),
    },
    tokens,
  );
}

export interface DecodeCursorOptions {
  now?: Date;
  /** Cursors older than this are refused (default: no limit). */
  maxAgeMs?: number;
}

/** Verifies the signature and shape of a token; throws FhirError('invalid-cursor') on any fault. */
export function decodeSearchCursor(
  token: string,
  tokens: PagingTokens,
  options: DecodeCursorOptions = {},
): SearchCursorPayload {
  const payload = parseWirePayload(tokens.verify(token));
  if (!payload) throw invalidCursor('its content is not understood');
  if (
    options.maxAgeMs !== undefined &&
    (options.now ?? new Date()).getTime() - payload.issuedAt > options.maxAgeMs
  ) {
    throw invalidCursor('it has expired');
  }
  return payload;
}

function parseWirePayload(wire: unknown): SearchCursorPayload | undefined {
  if (!isJsonObject(wire) || wire.v !== VERSION || typeof wire.t !== 'string') return undefined;
  const { p: params, s: sort, r: rid, i: issuedAt } = wire;
  const validParams =
    Array.isArray(params) &&
    params.every(
      (pair) => Array.isArray(pair) && pair.length === 2 && pair.every((item) => typeof item === 'string'),
    );
  const validSort = Array.isArray(sort) && sort.every((item) => item === null || typeof item === 'string');
  if (!validParams || !validSort || !Number.isSafeInteger(rid) || !Number.isSafeInteger(issuedAt))
    return undefined;
  return {
    resourceType: wire.t,
    params: params as Array<[string, string]>,
    position: { sort: sort as Array<string | null>, rid: rid as number },
    issuedAt: issuedAt as number,
  };
}

export interface ResolvedCursor {
  /** The search to continue (from the token when the request had no other parameters). */
  query: SearchQuery;
  position: KeysetPosition;
}

/**
 * Resolves the `_cursor` of a parsed request. Returns undefined when the request has none.
 * With other search parameters present, they must canonicalise to the token's search; alone, the
 * token's search is parsed again (strictly: it was valid when issued, so any fault now — such as a
 * server upgrade that dropped a parameter — means the cursor can no longer be honoured).
 */
export function resolveSearchCursor(
  request: SearchQuery,
  tokens: PagingTokens,
  options: DecodeCursorOptions & { searchOptions: SearchOptions },
): ResolvedCursor | undefined {
  if (!request.cursor) return undefined;
  const payload = decodeSearchCursor(request.cursor.token, tokens, options);
  if (payload.resourceType !== request.resourceType)
    throw invalidCursor(`it belongs to a ${payload.resourceType} search`);
  if (request.cursor.withParams) {
    if (!sameParams(canonicalSearchParams(request), payload.params)) {
      throw invalidCursor('it belongs to a different search than the parameters beside it');
    }
    return { query: withoutCursor(request), position: payload.position };
  }
  const reparsed = parseSearch(payload.resourceType, payload.params, {
    ...options.searchOptions,
    strict: true,
  });
  if (!reparsed.ok) throw invalidCursor('the search it continues is no longer valid on this server');
  return { query: reparsed.query, position: payload.position };
}

function sameParams(
  a: ReadonlyArray<readonly [string, string]>,
  b: ReadonlyArray<readonly [string, string]>,
): boolean {
  return (
    a.length === b.length &&
    a.every(([name, value], index) => b[index]?.[0] === name && b[index]?.[1] === value)
  );
}

function withoutCursor(query: SearchQuery): SearchQuery {
  const { cursor: _cursor, ...rest } = query;
  return rest;
}
