import { FhirError, type IncludeSpec, type SearchQuery, type SortKey } from '@carebridge/domain';
import type { SqlExecutor } from '../database.js';
import { patientIdsColumn, resourceRowColumns, type ResourceRow } from '../resource-row.js';
import { FilterSql, INDEX_TABLES, type ResourceScope } from './filter-sql.js';
import type { AccessPredicate } from '../access-predicate.js';
import { SqlParams } from './sql-params.js';

/**
 * Search over the `resource` table and the typed index tables: one SQL dialect, run unchanged on
 * PostgreSQL and PGlite.
 *
 * Paging is keyset paging: a page ends at a position (the last row's sort values and its `rid`) and
 * the next page starts strictly after it. Unlike an offset, a position does not shift when
 * resources are created or deleted between pages, so no match is skipped or repeated (a resource
 * whose own sort value changes between pages may move, as in any live ordering).
 */

/** Where a page ended: the sort values of its last match (as text, null when it has none) and its rid. */
export interface KeysetPosition {
  sort: Array<string | null>;
  rid: number;
}

export interface SearchResourcesOptions {
  /** Continue after this position (from a previous page's `next`). */
  cursor?: KeysetPosition;
  /** The most `_include`/`_revinclude` resources returned with one page (default 1000). */
  includeLimit?: number;
  /** Reference time for the `ap` date prefix; defaults to the current time. */
  now?: Date;
  /** Only resources the user may see match, count or are included. */
  access?: AccessPredicate;
}

export interface SearchResourcesResult {
  /** The page's matches, in order (empty for `_summary=count`). */
  matches: ResourceRow[];
  /** Resources added by `_include`/`_revinclude` for this page's matches, excluding the matches themselves. */
  included: ResourceRow[];
  /** Number of matches, when `_total=accurate|estimate` or `_summary=count` asked for it. */
  total?: number;
  /** Position to continue from, when there may be more matches. */
  next?: KeysetPosition;
  /** True when more included resources existed than `includeLimit`: the server should warn. */
  includedTruncated?: true;
}

const DEFAULT_INCLUDE_LIMIT = 1000;

interface MatchRow extends ResourceRow {
  rid: number;
  [sortColumn: `s${number}`]: string | null;
}

export async function searchResources(
  executor: SqlExecutor,
  query: SearchQuery,
  options: SearchResourcesOptions = {},
): Promise<SearchResourcesResult> {
  if (options.cursor) checkCursorFitsQuery(options.cursor, query);
  const now = options.now ?? new Date();
  const countOnly = query.summary === 'count';
  const wantsTotal = countOnly || query.total === 'accurate' || query.total === 'estimate';

  const access = options.access;
  const total = wantsTotal ? await countMatches(executor, query, now, access) : undefined;
  if (countOnly || query.count === 0)
    return { matches: [], included: [], ...(total === undefined ? {} : { total }) };

  const rows = await fetchPage(executor, query, options.cursor, now, access);
  const hasMore = rows.length > query.count;
  const page = hasMore ? rows.slice(0, query.count) : rows;
  const last = page.at(-1);
  const { included, truncated } = await fetchIncluded(
    executor,
    query,
    page,
    options.includeLimit ?? DEFAULT_INCLUDE_LIMIT,
    access,
  );
  return {
    matches: page.map(toResourceRow),
    included,
    ...(total === undefined ? {} : { total }),
    ...(hasMore && last ? { next: positionOf(last, query.sort.length) } : {}),
    ...(truncated ? { includedTruncated: true as const } : {}),
  };
}

/**
 * Ids of up to `limit` current resources matching the query's filters, for conditional
 * create/update/delete (the caller passes 2 to tell none, one and several apart).
 */
export async function findMatchingIds(
  executor: SqlExecutor,
  query: SearchQuery,
  limit: number,
): Promise<string[]> {
  const params = new SqlParams();
  const where = matchCondition(params, query, new Date());
  const sql = `select r.id from resource r where ${where} order by r.rid limit ${params.typed(limit, 'int')}`;
  const { rows } = await executor.query<{ id: string }>(sql, params.values);
  return rows.map((row) => row.id);
}

/** A cursor is only issued for its own query (the token is signed), but its shape is still checked. */
function checkCursorFitsQuery(cursor: KeysetPosition, query: SearchQuery): void {
  const fits =
    Number.isSafeInteger(cursor.rid) &&
    cursor.sort.length === query.sort.length &&
    cursor.sort.every((value) => value === null || typeof value === 'string');
  if (!fits) {
    throw new FhirError({
      code: 'invalid-cursor',
      diagnostics: 'The paging position does not fit this search; start the search again.',
    });
  }
}

/** `resource_type = … and not deleted and <filters>` for the outer `resource r`. */
function matchCondition(params: SqlParams, query: SearchQuery, now: Date, access?: AccessPredicate): string {
  return matchScope(params, query, now, access).where;
}

/** The match condition and the placeholder holding the searched type (reused by sort subqueries). */
function matchScope(
  params: SqlParams,
  query: SearchQuery,
  now: Date,
  access?: AccessPredicate,
): { where: string; typeSql: string } {
  const scope: ResourceScope = { alias: 'r', typeSql: params.typed(query.resourceType, 'text') };
  const filters = new FilterSql(params, now).all(query.filters, scope);
  const visible = access ? ` and ${access(params, 'r')}` : '';
  return {
    where: `r.resource_type = ${scope.typeSql} and r.deleted = false and ${filters}${visible}`,
    typeSql: scope.typeSql,
  };
}

async function countMatches(
  executor: SqlExecutor,
  query: SearchQuery,
  now: Date,
  access: AccessPredicate | undefined,
): Promise<number> {
  const params = new SqlParams();
  const sql = `select count(*) as total from resource r where ${matchCondition(params, query, now, access)}`;
  const { rows } = await executor.query<{ total: number | string }>(sql, params.values);
  return Number(rows[0]?.total ?? 0);
}

// ---- page ------------------------------------------------------------------------------------

/** How a sort key is computed per resource, and compared. */
interface SortColumn {
  expression: string;
  sqlType: 'text' | 'timestamptz' | 'numeric';
  descending: boolean;
}

/** Text sorts use the "C" collation so that PostgreSQL and PGlite order (and page) identically. */
function collated(expression: string, column: SortColumn): string {
  return column.sqlType === 'text' ? `${expression} collate "C"` : expression;
}

/**
 * The value a resource sorts by. A multi-valued parameter sorts by its lowest value ascending and
 * its highest descending (for dates: the earliest start, or the latest end).
 */
function sortColumn(key: SortKey, params: SqlParams, resourceTypeSql: string): SortColumn {
  if (key.param === '_id') return { expression: 'r.id', sqlType: 'text', descending: key.descending };
  if (key.param === '_lastUpdated')
    return { expression: 'r.last_updated', sqlType: 'timestamptz', descending: key.descending };
  const aggregate = key.descending ? 'max' : 'min';
  const x = params.alias('x');
  const [column, sqlType]: [string, SortColumn['sqlType']] =
    key.paramType === 'date'
      ? [key.descending ? 'high' : 'low', 'timestamptz']
      : key.paramType === 'number' || key.paramType === 'quantity'
        ? ['value', 'numeric']
        : [key.paramType === 'token' ? 'code' : 'value', 'text'];
  const value = sqlType === 'text' ? `${x}.${column} collate "C"` : `${x}.${column}`;
  const expression =
    `(select ${aggregate}(${value}) from ${INDEX_TABLES[key.paramType]} ${x}` +
    ` where ${x}.rid = r.rid and ${x}.resource_type = ${resourceTypeSql} and ${x}.param = ${params.typed(key.param, 'text')})`;
  return { expression, sqlType, descending: key.descending };
}

/** `order by` terms over sort columns named s0, s1, … of `alias`, then rid: a total order. */
function orderBy(alias: string, columns: readonly SortColumn[]): string {
  const terms = columns.map(
    (column, index) =>
      `${collated(`${alias}.s${index}`, column)} ${column.descending ? 'desc' : 'asc'} nulls last`,
  );
  return [...terms, `${alias}.rid asc`].join(', ');
}

/**
 * Rows strictly after `position` in the order of {@link orderBy}: for keys k1..kn and rid,
 * (k1 after c1) or (k1 = c1 and k2 after c2) or … or (all equal and rid > crid). Missing values sort
 * last in both directions, so "after a value" includes every row without one, and nothing but a
 * later rid comes after a missing value.
 */
function keysetCondition(
  alias: string,
  columns: readonly SortColumn[],
  position: KeysetPosition,
  params: SqlParams,
): string {
  const alternatives: string[] = [];
  const equalities: string[] = [];
  columns.forEach((column, index) => {
    const value = position.sort[index] ?? null;
    const key = collated(`${alias}.s${index}`, column);
    if (value === null) {
      equalities.push(`${alias}.s${index} is null`);
      return;
    }
    const bound = collated(params.typed(value, column.sqlType), column);
    const after = `(${key} ${column.descending ? '<' : '>'} ${bound} or ${alias}.s${index} is null)`;
    alternatives.push([...equalities, after].join(' and '));
    equalities.push(`${key} = ${bound}`);
  });
  alternatives.push([...equalities, `${alias}.rid > ${params.typed(position.rid, 'bigint')}`].join(' and '));
  return alternatives.map((alternative) => `(${alternative})`).join(' or ');
}

async function fetchPage(
  executor: SqlExecutor,
  query: SearchQuery,
  cursor: KeysetPosition | undefined,
  now: Date,
  access: AccessPredicate | undefined,
): Promise<MatchRow[]> {
  const params = new SqlParams();
  const { where, typeSql } = matchScope(params, query, now, access);
  const limit = params.typed(query.count + 1, 'int'); // one extra row tells whether there is a next page

  if (query.sort.length === 0) {
    // Insertion order: the primary key is the order, so the page is an index range scan.
    const after = cursor ? ` and r.rid > ${params.typed(cursor.rid, 'bigint')}` : '';
    const sql = `select ${resourceRowColumns('r')}, r.rid, ${patientIdsColumn('r')} from resource r where ${where}${after} order by r.rid limit ${limit}`;
    return (await executor.query<MatchRow>(sql, params.values)).rows;
  }

  const columns = query.sort.map((key) => sortColumn(key, params, typeSql));
  const sortValues = columns.map((column, index) => `${column.expression} as s${index}`).join(', ');
  const keyset = cursor ? `where ${keysetCondition('m', columns, cursor, params)}` : '';
  const textValues = columns.map((_, index) => `p.s${index}::text as s${index}`).join(', ');
  // The inner query orders and limits only (rid, sort values); content is joined for the page alone.
  const sql =
    `select ${resourceRowColumns('r')}, r.rid, ${patientIdsColumn('r')}, ${textValues} from (` +
    ` select m.* from (select r.rid, ${sortValues} from resource r where ${where}) m` +
    ` ${keyset} order by ${orderBy('m', columns)} limit ${limit}` +
    `) p join resource r on r.rid = p.rid order by ${orderBy('p', columns)}`;
  return (await executor.query<MatchRow>(sql, params.values)).rows;
}

function positionOf(row: MatchRow, sortKeys: number): KeysetPosition {
  return { sort: Array.from({ length: sortKeys }, (_, index) => row[`s${index}`] ?? null), rid: row.rid };
}

function toResourceRow(row: ResourceRow): ResourceRow {
  return {
    resourceType: row.resourceType,
    id: row.id,
    versionId: row.versionId,
    lastUpdated: row.lastUpdated,
    deleted: row.deleted,
    content: row.content,
    ...(row.patientIds ? { patientIds: row.patientIds } : {}),
  };
}

// ---- _include / _revinclude ------------------------------------------------------------------

async function fetchIncluded(
  executor: SqlExecutor,
  query: SearchQuery,
  page: readonly MatchRow[],
  limit: number,
  access: AccessPredicate | undefined,
): Promise<{ included: ResourceRow[]; truncated: boolean }> {
  if (page.length === 0 || query.include.length + query.revinclude.length === 0)
    return { included: [], truncated: false };
  const seen = new Set(page.map((row) => row.rid));
  const included: ResourceRow[] = [];
  let truncated = false;
  const collect = (rows: readonly MatchRow[]): void => {
    for (const row of rows) {
      if (seen.has(row.rid)) continue;
      if (included.length >= limit) {
        truncated = true;
        return;
      }
      seen.add(row.rid);
      included.push(toResourceRow(row));
    }
  };
  for (const spec of query.include) {
    if (truncated) break;
    collect(await fetchForwardIncludes(executor, query, spec, page, limit + 1, access));
  }
  for (const spec of query.revinclude) {
    if (truncated) break;
    collect(await fetchReverseIncludes(executor, query, spec, page, limit + 1, access));
  }
  return { included, truncated };
}

/** Current resources referenced by the page's matches through `spec.param` (any reference parameter for '*'). */
async function fetchForwardIncludes(
  executor: SqlExecutor,
  query: SearchQuery,
  spec: IncludeSpec,
  page: readonly MatchRow[],
  limit: number,
  access: AccessPredicate | undefined,
): Promise<MatchRow[]> {
  const params = new SqlParams();
  const rids = page.map((row) => params.typed(row.rid, 'bigint')).join(', ');
  const conditions = [
    `x.rid in (${rids})`,
    `x.resource_type = ${params.typed(query.resourceType, 'text')}`,
    'x.target_id is not null',
  ];
  if (spec.param !== '*') conditions.push(`x.param = ${params.typed(spec.param, 'text')}`);
  if (spec.targetType !== undefined)
    conditions.push(`x.target_type = ${params.typed(spec.targetType, 'text')}`);
  const sql =
    `select ${resourceRowColumns('t')}, t.rid, ${patientIdsColumn('t')} from resource t where t.deleted = false${visibleAs(access, params, 't')}` +
    ` and (t.resource_type, t.id) in` +
    ` (select x.target_type, x.target_id from search_reference x where ${conditions.join(' and ')})` +
    ` order by t.rid limit ${params.typed(limit, 'int')}`;
  return (await executor.query<MatchRow>(sql, params.values)).rows;
}

/** Current resources of `spec.sourceType` whose `spec.param` references one of the page's matches. */
async function fetchReverseIncludes(
  executor: SqlExecutor,
  query: SearchQuery,
  spec: IncludeSpec,
  page: readonly MatchRow[],
  limit: number,
  access: AccessPredicate | undefined,
): Promise<MatchRow[]> {
  const params = new SqlParams();
  const source = params.typed(spec.sourceType, 'text');
  const ids = page.map((row) => params.typed(row.id, 'text')).join(', ');
  const conditions = [
    `x.resource_type = ${source}`,
    `x.target_type = ${params.typed(query.resourceType, 'text')}`,
    `x.target_id in (${ids})`,
  ];
  if (spec.param !== '*') conditions.push(`x.param = ${params.typed(spec.param, 'text')}`);
  const sql =
    `select ${resourceRowColumns('t')}, t.rid, ${patientIdsColumn('t')} from resource t where t.resource_type = ${source} and t.deleted = false` +
    visibleAs(access, params, 't') +
    ` and t.rid in (select x.rid from search_reference x where ${conditions.join(' and ')})` +
    ` order by t.rid limit ${params.typed(limit, 'int')}`;
  return (await executor.query<MatchRow>(sql, params.values)).rows;
}

function visibleAs(access: AccessPredicate | undefined, params: SqlParams, alias: string): string {
  return access ? ` and ${access(params, alias)}` : '';
}
