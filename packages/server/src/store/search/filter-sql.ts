import {
  codePointLength,
  type ComparisonPrefix,
  type DateSearchValue,
  type NumberSearchValue,
  type QuantitySearchValue,
  type ReferenceSearchValue,
  type SearchFilter,
  type SearchParamType,
  type TokenSearchValue,
} from '@carebridge/domain';
import { escapeLike, type SqlParams } from './sql-params.js';

/**
 * Translates parsed search filters into SQL conditions over the schema of 0001_resources.sql.
 *
 * Every index filter is an EXISTS over the parameter's index table, correlated on `rid`.
 * PostgreSQL turns EXISTS into a semi-join, so it can either drive from the index lookup
 * (search_token_lookup for an identifier: a few rows, then primary-key probes into `resource`) or
 * from `resource` when the filter is unselective; unlike `rid IN (…)`, EXISTS also stays a join when
 * the condition refers to the outer row, which chained filters need (`x.resource_type = t.resource_type`).
 */

export const INDEX_TABLES: Readonly<Record<SearchParamType, string>> = {
  token: 'search_token',
  string: 'search_string',
  reference: 'search_reference',
  date: 'search_date',
  number: 'search_number',
  quantity: 'search_quantity',
  uri: 'search_uri',
};

/** Where the filters apply: a `resource` row alias and an SQL expression for its type. */
export interface ResourceScope {
  /** Alias of a `resource` row, e.g. "r". */
  alias: string;
  /** SQL yielding the resource type: a bound parameter, or a column when the type varies (chains). */
  typeSql: string;
}

export class FilterSql {
  constructor(
    private readonly params: SqlParams,
    /** The reference time for the `ap` prefix on dates ("approximately" is relative to now). */
    private readonly now: Date,
  ) {}

  /** All filters, ANDed; 'true' when there are none. */
  all(filters: readonly SearchFilter[], scope: ResourceScope): string {
    if (filters.length === 0) return 'true';
    return filters.map((filter) => `(${this.filter(filter, scope)})`).join(' and ');
  }

  filter(filter: SearchFilter, scope: ResourceScope): string {
    const r = scope.alias;
    switch (filter.kind) {
      case 'id':
        return `${r}.id in (${filter.ids.map((id) => this.params.typed(id, 'text')).join(', ')})`;
      case 'lastUpdated':
        return anyOf(filter.values.map((value) => this.instantCondition(`${r}.last_updated`, value)));
      case 'missing': {
        const exists = this.exists(filter.paramType, filter.param, scope, () => 'true');
        return filter.missing ? `not ${exists}` : exists;
      }
      case 'token': {
        const exists = this.exists('token', filter.param, scope, (x) =>
          anyOf(filter.values.map((v) => this.tokenCondition(x, v))),
        );
        // :not matches resources with no matching value, including those with no value at all.
        return filter.negated ? `not ${exists}` : exists;
      }
      case 'tokenText':
        return this.exists('token', filter.param, scope, (x) =>
          anyOf(filter.values.map((v) => this.wordPrefixCondition(`${x}.text`, v))),
        );
      case 'string':
        return this.exists('string', filter.param, scope, (x) =>
          anyOf(
            filter.values.map((value) => {
              if (filter.match === 'exact') return `${x}.exact = ${this.params.typed(value, 'text')}`;
              const pattern =
                filter.match === 'contains' ? `%${escapeLike(value)}%` : `${escapeLike(value)}%`;
              return `${x}.value like ${this.params.typed(pattern, 'text')} escape '\\'`;
            }),
          ),
        );
      case 'reference':
        return this.exists('reference', filter.param, scope, (x) =>
          anyOf(filter.values.map((v) => this.referenceCondition(x, v))),
        );
      case 'referenceIdentifier':
        return this.exists('reference', filter.param, scope, (x) =>
          anyOf(
            filter.values.map(
              (v) => `${x}.target_id is null and ${this.identifierCondition(`${x}.value`, v)}`,
            ),
          ),
        );
      case 'date':
        return this.exists('date', filter.param, scope, (x) =>
          anyOf(filter.values.map((v) => this.dateRangeCondition(x, v))),
        );
      case 'number':
        return this.exists('number', filter.param, scope, (x) =>
          anyOf(filter.values.map((v) => this.numberCondition(x, v))),
        );
      case 'quantity':
        return this.exists('quantity', filter.param, scope, (x) =>
          anyOf(filter.values.map((v) => this.quantityCondition(x, v))),
        );
      case 'uri':
        return this.exists('uri', filter.param, scope, (x) =>
          anyOf(
            filter.values.map((value) => {
              if (filter.match === 'below')
                return `${x}.value like ${this.params.typed(`${escapeLike(value)}%`, 'text')} escape '\\'`;
              if (filter.match === 'above')
                return `${x}.value = left(${this.params.typed(value, 'text')}, length(${x}.value))`;
              return `${x}.value = ${this.params.typed(value, 'text')}`;
            }),
          ),
        );
      case 'chain':
        return this.chainCondition(filter.param, filter.targetTypes, filter.filter, scope);
    }
  }

  /**
   * A placeholder bound on first use only: PostgreSQL rejects a statement with a parameter it
   * never sees ("could not determine data type"), and each prefix uses only some of the bounds.
   */
  private lazyParam(value: string, type: 'timestamptz' | 'numeric'): () => string {
    let placeholder: string | undefined;
    return () => (placeholder ??= this.params.typed(value, type));
  }

  /** EXISTS a row of `param` in its index table for the scoped resource that satisfies `condition`. */
  private exists(
    type: SearchParamType,
    param: string,
    scope: ResourceScope,
    condition: (x: string) => string,
  ): string {
    const x = this.params.alias('x');
    return (
      `exists (select 1 from ${INDEX_TABLES[type]} ${x} where ${x}.rid = ${scope.alias}.rid` +
      ` and ${x}.resource_type = ${scope.typeSql} and ${x}.param = ${this.params.typed(param, 'text')}` +
      ` and (${condition(x)}))`
    );
  }

  // ---- token ---------------------------------------------------------------------------------

  private tokenCondition(x: string, value: TokenSearchValue): string {
    const parts: string[] = [];
    if (value.code !== undefined) parts.push(`${x}.code = ${this.params.typed(value.code, 'text')}`);
    if (value.system === null) parts.push(`${x}.system is null`);
    else if (value.system !== undefined)
      parts.push(`${x}.system = ${this.params.typed(value.system, 'text')}`);
    return parts.join(' and ');
  }

  /** The text starts with the value, or a word in it does ("rate" finds "heart rate"). */
  private wordPrefixCondition(column: string, value: string): string {
    const start = this.params.typed(`${escapeLike(value)}%`, 'text');
    const word = this.params.typed(`% ${escapeLike(value)}%`, 'text');
    return `(${column} like ${start} escape '\\' or ${column} like ${word} escape '\\')`;
  }

  // ---- reference -----------------------------------------------------------------------------

  private referenceCondition(x: string, value: ReferenceSearchValue): string {
    if (value.kind === 'url') return `${x}.value = ${this.params.typed(value.url, 'text')}`;
    const id = `${x}.target_id = ${this.params.typed(value.id, 'text')}`;
    return value.type === undefined
      ? id
      : `${id} and ${x}.target_type = ${this.params.typed(value.type, 'text')}`;
  }

  /**
   * Logical references are indexed as "system|value" ("|value" without a system). `value` alone
   * matches any system, so it compares the tail; `system|` compares the head.
   */
  private identifierCondition(column: string, value: TokenSearchValue): string {
    if (value.code === undefined) {
      const head = `${value.system ?? ''}|`;
      return `left(${column}, ${this.params.typed(codePointLength(head), 'int')}) = ${this.params.typed(head, 'text')}`;
    }
    if (value.system === undefined) {
      const tail = `|${value.code}`;
      return `right(${column}, ${this.params.typed(codePointLength(tail), 'int')}) = ${this.params.typed(tail, 'text')}`;
    }
    return `${column} = ${this.params.typed(`${value.system ?? ''}|${value.code}`, 'text')}`;
  }

  // ---- dates ---------------------------------------------------------------------------------

  /**
   * R4 date prefixes as comparisons of ranges: the stored [low, high) against the search value's
   * [sl, sh) (its precision): eq = stored within search; gt/lt = part of the stored range lies
   * after/before the search range; ge/le = gt/lt or eq; sa/eb = entirely after/before; ne = not eq;
   * ap = overlaps the search range widened by 10% of its distance from now.
   */
  private dateRangeCondition(x: string, value: DateSearchValue): string {
    const [lowBound, highBound] =
      value.prefix === 'ap' ? this.approximateRange(value) : [value.low, value.high];
    const sl = this.lazyParam(lowBound, 'timestamptz');
    const sh = this.lazyParam(highBound, 'timestamptz');
    const low = `${x}.low`;
    const high = `${x}.high`;
    const within = (): string => `(${low} >= ${sl()} and ${high} <= ${sh()})`;
    const conditions: Record<ComparisonPrefix, () => string> = {
      eq: () => within(),
      ne: () => `not ${within()}`,
      gt: () => `${high} > ${sh()}`,
      lt: () => `${low} < ${sl()}`,
      ge: () => `(${high} > ${sh()} or ${within()})`,
      le: () => `(${low} < ${sl()} or ${within()})`,
      sa: () => `${low} >= ${sh()}`,
      eb: () => `${high} <= ${sl()}`,
      ap: () => `(${low} < ${sh()} and ${high} > ${sl()})`,
    };
    return conditions[value.prefix]();
  }

  /** The same prefixes against a single instant (resource.last_updated), seen as the range [t, t]. */
  private instantCondition(column: string, value: DateSearchValue): string {
    const [lowBound, highBound] =
      value.prefix === 'ap' ? this.approximateRange(value) : [value.low, value.high];
    const sl = this.lazyParam(lowBound, 'timestamptz');
    const sh = this.lazyParam(highBound, 'timestamptz');
    const within = (): string => `(${column} >= ${sl()} and ${column} < ${sh()})`;
    const conditions: Record<ComparisonPrefix, () => string> = {
      eq: () => within(),
      ne: () => `not ${within()}`,
      gt: () => `${column} >= ${sh()}`,
      lt: () => `${column} < ${sl()}`,
      ge: () => `${column} >= ${sl()}`,
      le: () => `${column} < ${sh()}`,
      sa: () => `${column} >= ${sh()}`,
      eb: () => `${column} < ${sl()}`,
      ap: () => within(),
    };
    return conditions[value.prefix]();
  }

  /** R4 suggests "approximately" = within 10% of the gap between now and the date. */
  private approximateRange(value: DateSearchValue): [string, string] {
    const low = Date.parse(value.low);
    const high = Date.parse(value.high);
    if (Number.isNaN(low) || Number.isNaN(high)) return [value.low, value.high]; // an infinite bound stays as it is
    const now = this.now.getTime();
    const gap = Math.max(Math.abs(now - low), Math.abs(now - high));
    const margin = Math.round(gap * 0.1);
    return [clampInstant(low - margin), clampInstant(high + margin)];
  }

  // ---- numbers and quantities ----------------------------------------------------------------

  /**
   * Numbers compare the stored value (a point) with the search value: eq/ne use the search value's
   * precision range ("100" = [99.5, 100.5)), gt/lt/ge/le the value itself, sa/eb the stored value's
   * own precision range, ap ±10% (or the precision range, if wider).
   */
  private numberCondition(x: string, value: NumberSearchValue): string {
    const v = `${x}.value`;
    const s = this.lazyParam(value.value, 'numeric');
    const sl = this.lazyParam(value.low, 'numeric');
    const sh = this.lazyParam(value.high, 'numeric');
    const conditions: Record<ComparisonPrefix, () => string> = {
      eq: () => `(${v} >= ${sl()} and ${v} < ${sh()})`,
      ne: () => `not (${v} >= ${sl()} and ${v} < ${sh()})`,
      gt: () => `${v} > ${s()}`,
      lt: () => `${v} < ${s()}`,
      ge: () => `${v} >= ${s()}`,
      le: () => `${v} <= ${s()}`,
      sa: () => `${x}.low >= ${sh()}`,
      eb: () => `${x}.high <= ${sl()}`,
      ap: () =>
        `(${v} >= least(${sl()}, ${s()} - abs(${s()}) * 0.1) and ${v} <= greatest(${sh()}, ${s()} + abs(${s()}) * 0.1))`,
    };
    return conditions[value.prefix]();
  }

  private quantityCondition(x: string, value: QuantitySearchValue): string {
    const number = this.numberCondition(x, value);
    if (value.unit === undefined) return number;
    if ('codeOrUnit' in value.unit) {
      const unit = this.params.typed(value.unit.codeOrUnit, 'text');
      return `${number} and (${x}.code = ${unit} or ${x}.unit = ${unit})`;
    }
    return `${number} and ${x}.system = ${this.params.typed(value.unit.system, 'text')} and ${x}.code = ${this.params.typed(value.unit.code, 'text')}`;
  }

  // ---- chaining ------------------------------------------------------------------------------

  /**
   * `subject:Patient.identifier=x`: the resource has a `param` reference to a current (not deleted)
   * resource of one of `targetTypes` that itself matches the chained filter.
   */
  private chainCondition(
    param: string,
    targetTypes: readonly string[],
    chained: SearchFilter,
    scope: ResourceScope,
  ): string {
    const x = this.params.alias('x');
    const t = this.params.alias('t');
    const types = targetTypes.map((type) => this.params.typed(type, 'text')).join(', ');
    const inner = this.filter(chained, { alias: t, typeSql: `${t}.resource_type` });
    return (
      `exists (select 1 from search_reference ${x} join resource ${t}` +
      ` on ${t}.resource_type = ${x}.target_type and ${t}.id = ${x}.target_id` +
      ` where ${x}.rid = ${scope.alias}.rid and ${x}.resource_type = ${scope.typeSql}` +
      ` and ${x}.param = ${this.params.typed(param, 'text')} and ${x}.target_type in (${types})` +
      ` and ${t}.deleted = false and (${inner}))`
    );
  }
}

function anyOf(conditions: readonly string[]): string {
  return conditions.length === 1
    ? (conditions[0] as string)
    : `(${conditions.map((c) => `(${c})`).join(' or ')})`;
}

const FIRST_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');
const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

function clampInstant(ms: number): string {
  if (ms < FIRST_INSTANT) return '-infinity';
  if (ms > LAST_INSTANT) return 'infinity';
  return new Date(ms).toISOString();
}
