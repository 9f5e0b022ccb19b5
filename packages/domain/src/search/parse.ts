import { FhirError, type Problem } from '../fhir/errors.js';
import { isSupportedResourceType, type SupportedResourceType } from '../fhir/resource-types.js';
import {
  parseDateValue,
  parseExactText,
  parseIdValue,
  parseMissingValue,
  parseNormalisedText,
  parseNumberValue,
  parseQuantityValue,
  parseReferenceValue,
  parseTokenValue,
  parseUriValue,
  SearchValueError,
} from './parse-values.js';
import type {
  CursorReference,
  IncludeSpec,
  SearchFilter,
  SearchOptions,
  SearchQuery,
  SortKey,
  SummaryMode,
  TotalMode,
} from './query.js';
import {
  ID_PARAM,
  LAST_UPDATED_PARAM,
  searchParamDefinition,
  supportedSearchParams,
  unsupportedSearchParam,
  type SearchParamDefinition,
} from './registry.js';
import { splitUnescaped } from './text.js';

/**
 * Parses the parameters of a search request (query string, or the form body of POST _search,
 * merged by the server) into a {@link SearchQuery}.
 *
 * Faults are collected, never thrown one at a time, so a client learns all of them at once:
 * - a malformed value is always an error ('invalid-search-value');
 * - an unknown or unsupported parameter, modifier or feature is an error in strict mode
 *   ('invalid-search-parameter') and, in lenient mode (the FHIR default), ignored and reported in
 *   `warnings` for the server to return in an OperationOutcome: nothing is dropped silently.
 * Every problem names the parameter as the client wrote it in `expression`.
 */
export type SearchParseResult =
  | { ok: true; query: SearchQuery; warnings: Problem[] }
  | { ok: false; problems: Problem[]; warnings: Problem[] };

/** Bounds that keep one request from producing an unbounded SQL statement. */
export const SEARCH_LIMITS = {
  valuesPerParameter: 100,
  filterParameters: 40,
  sortKeys: 5,
  includes: 10,
  parameterNameLength: 100,
  valueLength: 4096,
} as const;

/** Parameters the server's HTTP layer handles (response format); accepted and not part of the search. */
const HTTP_PARAMETERS = new Set(['_format', '_pretty']);

const SUMMARY_MODES: readonly SummaryMode[] = ['true', 'text', 'data', 'count', 'false'];
const TOTAL_MODES: readonly TotalMode[] = ['none', 'estimate', 'accurate'];
const PARAMETER_NAME = /^[A-Za-z0-9_.:-]+$/;
const ELEMENT_NAME = /^[a-z][A-Za-z0-9]*$/;

/** Token modifiers that need a terminology server; listed so the reason is precise. */
const TERMINOLOGY_MODIFIERS = new Set(['in', 'not-in', 'below', 'above']);

export function parseSearch(
  resourceType: string,
  params: ReadonlyArray<readonly [string, string]>,
  options: SearchOptions,
): SearchParseResult {
  if (!isSupportedResourceType(resourceType)) {
    const problem: Problem = {
      code: 'resource-type-not-supported',
      diagnostics: `${resourceType} is not a resource type Carebridge supports.`,
    };
    return { ok: false, problems: [problem], warnings: [] };
  }
  const parser = new SearchParser(resourceType, options);
  for (const [name, value] of params) parser.add(name, value);
  return parser.finish();
}

/** {@link parseSearch} for callers that answer faults with an error: throws FhirError with every problem. */
export function parseSearchOrThrow(
  resourceType: string,
  params: ReadonlyArray<readonly [string, string]>,
  options: SearchOptions,
): { query: SearchQuery; warnings: Problem[] } {
  const result = parseSearch(resourceType, params, options);
  if (!result.ok) throw new FhirError(result.problems);
  return { query: result.query, warnings: result.warnings };
}

class SearchParser {
  private readonly errors: Problem[] = [];
  private readonly warnings: Problem[] = [];
  private readonly filters: SearchFilter[] = [];
  private readonly include: IncludeSpec[] = [];
  private readonly revinclude: IncludeSpec[] = [];
  private readonly seenOnce = new Set<string>();
  private sort: SortKey[] = [];
  private count: number;
  private summary: SummaryMode | undefined;
  private total: TotalMode = 'none';
  private elements: string[] | undefined;
  private cursorToken: string | undefined;
  private searchParameterCount = 0;

  constructor(
    private readonly resourceType: SupportedResourceType,
    private readonly options: SearchOptions,
  ) {
    this.count = Math.min(options.defaultCount, options.maxCount);
  }

  // ---- problems ------------------------------------------------------------------------------

  private invalidValue(name: string, diagnostics: string): void {
    this.errors.push({ code: 'invalid-search-value', diagnostics, expression: [name] });
  }

  private invalidParameter(name: string, diagnostics: string): void {
    this.errors.push({ code: 'invalid-search-parameter', diagnostics, expression: [name] });
  }

  /** Unknown or unsupported: an error when strict, otherwise ignored and reported as a warning. */
  private unsupported(name: string, diagnostics: string): void {
    if (this.options.strict) {
      this.invalidParameter(name, diagnostics);
    } else {
      this.warnings.push({
        code: 'invalid-search-parameter',
        severity: 'warning',
        diagnostics: `${diagnostics} The parameter was ignored.`,
        expression: [name],
      });
    }
  }

  // ---- dispatch ------------------------------------------------------------------------------

  add(name: string, value: string): void {
    if (name.length > SEARCH_LIMITS.parameterNameLength || !PARAMETER_NAME.test(name)) {
      const shown = name.slice(0, SEARCH_LIMITS.parameterNameLength); // never echo an unbounded name back
      this.unsupported(shown, `${JSON.stringify(shown)} is not a search parameter name.`);
      return;
    }
    if (value.length > SEARCH_LIMITS.valueLength) {
      this.invalidValue(
        name,
        `The value of '${name}' is longer than ${SEARCH_LIMITS.valueLength} characters.`,
      );
      return;
    }
    if (value.includes('\u0000')) {
      this.invalidValue(name, `The value of '${name}' contains a NUL character.`);
      return;
    }
    if (HTTP_PARAMETERS.has(name)) return;
    if (name.startsWith('_') && this.addResultParameter(name, value)) return;
    this.searchParameterCount += 1;
    if (this.searchParameterCount > SEARCH_LIMITS.filterParameters) {
      if (this.searchParameterCount === SEARCH_LIMITS.filterParameters + 1) {
        this.invalidValue(
          name,
          `A search may have at most ${SEARCH_LIMITS.filterParameters} search parameters.`,
        );
      }
      return;
    }
    this.addFilterParameter(name, value);
  }

  /** True when `name` is a result or control parameter (handled here), false for a filter. */
  private addResultParameter(name: string, value: string): boolean {
    const base = name.split(':')[0] as string;
    switch (base) {
      case '_count':
        return this.once(name, () => this.parseCount(name, value));
      case '_sort':
        return this.once(name, () => this.parseSort(name, value));
      case '_summary':
        return this.once(name, () => this.parseSummary(name, value));
      case '_total':
        return this.once(name, () => this.parseTotal(name, value));
      case '_elements':
        return this.once(name, () => this.parseElements(name, value));
      case '_cursor':
        return this.once(name, () => {
          this.cursorToken = value;
        });
      case '_include':
      case '_revinclude':
        this.parseIncludes(name, base, value);
        return true;
      default:
        return false;
    }
  }

  private once(name: string, parse: () => void): true {
    if (name.includes(':')) {
      this.unsupported(name, `'${name.split(':')[0] as string}' takes no modifier.`);
      return true;
    }
    if (this.seenOnce.has(name)) {
      this.invalidParameter(name, `'${name}' may be given only once.`);
      return true;
    }
    this.seenOnce.add(name);
    parse();
    return true;
  }

  // ---- result parameters ---------------------------------------------------------------------

  private parseCount(name: string, value: string): void {
    if (!/^\d{1,9}$/.test(value)) {
      this.invalidValue(
        name,
        `_count must be a whole number from 0 to ${this.options.maxCount}; got '${value}'.`,
      );
      return;
    }
    const requested = Number(value);
    this.count = Math.min(requested, this.options.maxCount);
    if (requested > this.options.maxCount) {
      this.warnings.push({
        code: 'invalid-search-value',
        severity: 'information',
        diagnostics: `_count=${requested} is more than this server returns in one page; pages of ${this.options.maxCount} are returned.`,
        expression: [name],
      });
    }
  }

  private parseSummary(name: string, value: string): void {
    if (!(SUMMARY_MODES as readonly string[]).includes(value)) {
      this.invalidValue(name, `_summary must be one of ${SUMMARY_MODES.join(', ')}; got '${value}'.`);
      return;
    }
    this.summary = value as SummaryMode;
  }

  private parseTotal(name: string, value: string): void {
    if (!(TOTAL_MODES as readonly string[]).includes(value)) {
      this.invalidValue(name, `_total must be one of ${TOTAL_MODES.join(', ')}; got '${value}'.`);
      return;
    }
    this.total = value as TotalMode;
  }

  private parseElements(name: string, value: string): void {
    const elements = value.split(',');
    const invalid = elements.filter((element) => !ELEMENT_NAME.test(element));
    if (invalid.length > 0) {
      this.invalidValue(
        name,
        `_elements must list element names such as identifier,name; not ${invalid.map((e) => `'${e}'`).join(', ')}.`,
      );
      return;
    }
    this.elements = [...new Set(elements)];
  }

  private parseSort(name: string, value: string): void {
    const keys = value.split(',').map((key) => key.trim());
    if (keys.length > SEARCH_LIMITS.sortKeys) {
      this.invalidValue(name, `_sort may name at most ${SEARCH_LIMITS.sortKeys} parameters.`);
      return;
    }
    const sort: SortKey[] = [];
    for (const key of keys) {
      const descending = key.startsWith('-');
      const code = descending ? key.slice(1) : key;
      if (code === '') {
        this.invalidValue(name, `_sort has an empty entry in '${value}'.`);
        continue;
      }
      const definition = searchParamDefinition(this.resourceType, code);
      if (!definition) {
        this.unsupported(
          name,
          `${this.resourceType} cannot be sorted by '${code}': ${this.unknownParameterHint(code)}`,
        );
        continue;
      }
      if (sort.some((existing) => existing.param === code)) {
        this.invalidValue(name, `_sort names '${code}' more than once.`);
        continue;
      }
      sort.push({ param: code, paramType: definition.type, descending });
    }
    this.sort = sort;
  }

  private parseIncludes(name: string, base: string, value: string): void {
    const modifier = name.slice(base.length + 1);
    if (modifier !== '') {
      const reason =
        modifier === 'iterate' || modifier === 'recurse'
          ? `${base}:${modifier} is not supported; only resources referenced directly by (or referencing) the matches are included.`
          : `'${base}' takes no modifier '${modifier}'.`;
      this.unsupported(name, reason);
      return;
    }
    for (const item of value.split(',')) {
      if (this.include.length + this.revinclude.length >= SEARCH_LIMITS.includes) {
        this.invalidValue(
          name,
          `A search may have at most ${SEARCH_LIMITS.includes} _include and _revinclude values.`,
        );
        return;
      }
      const spec = base === '_include' ? this.parseInclude(name, item) : this.parseRevinclude(name, item);
      if (spec) (base === '_include' ? this.include : this.revinclude).push(spec);
    }
  }

  /** `Source:param[:Target]`, checked against the registry; undefined (with a problem recorded) when invalid. */
  private parseIncludeParts(
    name: string,
    item: string,
  ):
    | {
        sourceType: SupportedResourceType;
        param: string;
        targetType?: string;
        definition?: SearchParamDefinition;
      }
    | undefined {
    const parts = item.split(':');
    const [sourceType, param, targetType] = parts;
    if (parts.length < 2 || parts.length > 3 || !sourceType || !param || targetType === '') {
      this.invalidValue(
        name,
        `'${item}' is not of the form SourceType:parameter or SourceType:parameter:TargetType.`,
      );
      return undefined;
    }
    if (!isSupportedResourceType(sourceType)) {
      this.invalidValue(name, `'${item}': ${sourceType} is not a resource type Carebridge supports.`);
      return undefined;
    }
    if (param === '*') {
      if (targetType !== undefined && !isSupportedResourceType(targetType)) {
        this.invalidValue(name, `'${item}': ${targetType} is not a resource type Carebridge supports.`);
        return undefined;
      }
      return { sourceType, param, ...(targetType ? { targetType } : {}) };
    }
    const definition = searchParamDefinition(sourceType, param);
    if (!definition || definition.type !== 'reference') {
      this.unsupported(name, `'${item}': ${sourceType} has no reference search parameter '${param}'.`);
      return undefined;
    }
    if (targetType !== undefined && !definition.targets.includes(targetType)) {
      this.invalidValue(
        name,
        `'${item}': ${sourceType}.${param} cannot reference a ${targetType} (allowed: ${definition.targets.join(', ')}).`,
      );
      return undefined;
    }
    return { sourceType, param, ...(targetType ? { targetType } : {}), definition };
  }

  private parseInclude(name: string, item: string): IncludeSpec | undefined {
    const parts = this.parseIncludeParts(name, item);
    if (!parts) return undefined;
    if (parts.sourceType !== this.resourceType) {
      this.unsupported(
        name,
        `'${item}': _include must start with the searched type ${this.resourceType} (_include:iterate is not supported).`,
      );
      return undefined;
    }
    return withoutDefinition(parts);
  }

  private parseRevinclude(name: string, item: string): IncludeSpec | undefined {
    const parts = this.parseIncludeParts(name, item);
    if (!parts) return undefined;
    if (parts.targetType !== undefined && parts.targetType !== this.resourceType) {
      this.invalidValue(name, `'${item}': the target type must be the searched type ${this.resourceType}.`);
      return undefined;
    }
    if (parts.definition && !parts.definition.targets.includes(this.resourceType)) {
      this.invalidValue(
        name,
        `'${item}': ${parts.sourceType}.${parts.param} never references a ${this.resourceType}.`,
      );
      return undefined;
    }
    return withoutDefinition(parts);
  }

  // ---- filters -------------------------------------------------------------------------------

  private addFilterParameter(name: string, value: string): void {
    const dot = name.indexOf('.');
    const head = dot < 0 ? name : name.slice(0, dot);
    const [code, modifier, ...extra] = head.split(':');
    const unsupported = code ? unsupportedSearchParam(this.resourceType, code) : undefined;
    if (unsupported) {
      // Checked first so that e.g. _has:Observation:patient:code gets the reason, not a syntax complaint.
      this.unsupported(
        name,
        `The ${this.resourceType} search parameter '${code as string}' is not supported: ${unsupported.reason}.`,
      );
      return;
    }
    if (!code || extra.length > 0 || modifier === '') {
      this.unsupported(name, `'${name}' is not of the form parameter or parameter:modifier.`);
      return;
    }
    const definition = this.definitionOrProblem(this.resourceType, code, name);
    if (!definition) return;
    const filter =
      dot < 0
        ? this.parseFilter(definition, modifier, name, value)
        : this.parseChain(definition, modifier, name.slice(dot + 1), name, value);
    if (filter) this.filters.push(filter);
  }

  private definitionOrProblem(
    resourceType: SupportedResourceType,
    code: string,
    name: string,
  ): SearchParamDefinition | undefined {
    const definition = searchParamDefinition(resourceType, code);
    if (definition) return definition;
    const unsupported = unsupportedSearchParam(resourceType, code);
    if (unsupported) {
      this.unsupported(
        name,
        `The ${resourceType} search parameter '${code}' is not supported: ${unsupported.reason}.`,
      );
    } else {
      this.unsupported(
        name,
        `${resourceType} has no search parameter '${code}'. ${this.unknownParameterHint(code, resourceType)}`,
      );
    }
    return undefined;
  }

  private unknownParameterHint(
    code: string,
    resourceType: SupportedResourceType = this.resourceType,
  ): string {
    const suggestion = closestParameter(resourceType, code);
    return suggestion
      ? `Did you mean '${suggestion}'?`
      : `See the CapabilityStatement for the parameters of ${resourceType}.`;
  }

  /** Splits OR-values and parses each; undefined (with problems recorded) if any is invalid. */
  private parseValues<T>(name: string, value: string, parse: (raw: string) => T): T[] | undefined {
    if (value === '') {
      this.invalidValue(name, `'${name}' has no value.`);
      return undefined;
    }
    const raws = splitUnescaped(value, ',');
    if (raws.length > SEARCH_LIMITS.valuesPerParameter) {
      this.invalidValue(
        name,
        `'${name}' has ${raws.length} alternatives; at most ${SEARCH_LIMITS.valuesPerParameter} are accepted.`,
      );
      return undefined;
    }
    const parsed: T[] = [];
    let failed = false;
    for (const raw of raws) {
      if (raw === '') {
        this.invalidValue(
          name,
          `'${name}' has an empty alternative in '${value}' (write \\, for a literal comma).`,
        );
        failed = true;
        continue;
      }
      try {
        parsed.push(parse(raw));
      } catch (error) {
        if (!(error instanceof SearchValueError)) throw error;
        this.invalidValue(name, `${error.message} (parameter '${name}').`);
        failed = true;
      }
    }
    return failed ? undefined : parsed;
  }

  private parseFilter(
    definition: SearchParamDefinition,
    modifier: string | undefined,
    name: string,
    value: string,
  ): SearchFilter | undefined {
    if (modifier === 'missing') return this.parseMissing(definition, name, value);
    if (definition.storage === 'resource-column')
      return this.parseColumnFilter(definition, modifier, name, value);
    const code = definition.code;
    switch (definition.type) {
      case 'token':
        return this.parseTokenFilter(definition, modifier, name, value);
      case 'string': {
        if (modifier !== undefined && modifier !== 'exact' && modifier !== 'contains') {
          return this.unsupportedModifier(definition, modifier, name, ['exact', 'contains', 'missing']);
        }
        const match = modifier === 'exact' ? 'exact' : modifier === 'contains' ? 'contains' : 'starts-with';
        const values = this.parseValues(
          name,
          value,
          match === 'exact' ? parseExactText : parseNormalisedText,
        );
        return values && { kind: 'string', param: code, match, values };
      }
      case 'reference':
        return this.parseReferenceFilter(definition, modifier, name, value);
      case 'date': {
        if (modifier !== undefined) return this.unsupportedModifier(definition, modifier, name, ['missing']);
        const values = this.parseValues(name, value, parseDateValue);
        return values && { kind: 'date', param: code, values };
      }
      case 'number': {
        if (modifier !== undefined) return this.unsupportedModifier(definition, modifier, name, ['missing']);
        const values = this.parseValues(name, value, parseNumberValue);
        return values && { kind: 'number', param: code, values };
      }
      case 'quantity': {
        if (modifier !== undefined) return this.unsupportedModifier(definition, modifier, name, ['missing']);
        const values = this.parseValues(name, value, parseQuantityValue);
        return values && { kind: 'quantity', param: code, values };
      }
      case 'uri': {
        if (modifier !== undefined && modifier !== 'below' && modifier !== 'above') {
          return this.unsupportedModifier(definition, modifier, name, ['below', 'above', 'missing']);
        }
        const match = modifier ?? 'exact';
        const values = this.parseValues(name, value, parseUriValue);
        return values && { kind: 'uri', param: code, match, values };
      }
    }
  }

  private unsupportedModifier(
    definition: SearchParamDefinition,
    modifier: string,
    name: string,
    supported: readonly string[],
    reason?: string,
  ): undefined {
    const list = supported.length > 0 ? supported.map((item) => `:${item}`).join(', ') : 'none';
    this.unsupported(
      name,
      reason ??
        `The modifier ':${modifier}' is not supported on the ${definition.type} parameter '${definition.code}' (supported: ${list}).`,
    );
    return undefined;
  }

  private parseMissing(
    definition: SearchParamDefinition,
    name: string,
    value: string,
  ): SearchFilter | undefined {
    if (definition.storage === 'resource-column') {
      return this.unsupportedModifier(
        definition,
        'missing',
        name,
        [],
        `'${definition.code}' is always present, so :missing does not apply.`,
      );
    }
    const values = this.parseValues(name, value, parseMissingValue);
    if (!values) return undefined;
    if (values.length !== 1) {
      this.invalidValue(name, `'${name}' takes a single value, true or false.`);
      return undefined;
    }
    return {
      kind: 'missing',
      param: definition.code,
      paramType: definition.type,
      missing: values[0] as boolean,
    };
  }

  private parseColumnFilter(
    definition: SearchParamDefinition,
    modifier: string | undefined,
    name: string,
    value: string,
  ): SearchFilter | undefined {
    if (modifier !== undefined) return this.unsupportedModifier(definition, modifier, name, []);
    if (definition.code === ID_PARAM) {
      const ids = this.parseValues(name, value, parseIdValue);
      return ids && { kind: 'id', ids };
    }
    if (definition.code === LAST_UPDATED_PARAM) {
      const values = this.parseValues(name, value, parseDateValue);
      return values && { kind: 'lastUpdated', values };
    }
    // Only _id and _lastUpdated live in resource columns; anything else is a registry error.
    throw new Error(`No column search for '${definition.code}'`);
  }

  private parseTokenFilter(
    definition: SearchParamDefinition,
    modifier: string | undefined,
    name: string,
    value: string,
  ): SearchFilter | undefined {
    const code = definition.code;
    if (modifier === 'text') {
      const values = this.parseValues(name, value, parseNormalisedText);
      return values && { kind: 'tokenText', param: code, values };
    }
    if (modifier === undefined || modifier === 'not') {
      const values = this.parseValues(name, value, parseTokenValue);
      return values && { kind: 'token', param: code, negated: modifier === 'not', values };
    }
    const supported = ['not', 'text', 'missing'];
    if (TERMINOLOGY_MODIFIERS.has(modifier)) {
      return this.unsupportedModifier(
        definition,
        modifier,
        name,
        supported,
        `The modifier ':${modifier}' needs terminology services, which Carebridge does not provide (supported on '${code}': :not, :text, :missing).`,
      );
    }
    if (modifier === 'of-type') {
      return this.unsupportedModifier(
        definition,
        modifier,
        name,
        supported,
        `The modifier ':of-type' is not supported; search '${code}' by system|value instead.`,
      );
    }
    return this.unsupportedModifier(definition, modifier, name, supported);
  }

  private parseReferenceFilter(
    definition: SearchParamDefinition,
    modifier: string | undefined,
    name: string,
    value: string,
  ): SearchFilter | undefined {
    const code = definition.code;
    if (modifier === 'identifier') {
      const values = this.parseValues(name, value, parseTokenValue);
      return values && { kind: 'referenceIdentifier', param: code, values };
    }
    if (modifier !== undefined && !this.isTargetTypeModifier(definition, modifier, name)) return undefined;
    const values = this.parseValues(name, value, (raw) =>
      parseReferenceValue(raw, definition.targets, modifier),
    );
    return values && { kind: 'reference', param: code, values };
  }

  /** True when `modifier` is a type this reference parameter can target; records a problem otherwise. */
  private isTargetTypeModifier(definition: SearchParamDefinition, modifier: string, name: string): boolean {
    if (!/^[A-Z][A-Za-z]+$/.test(modifier)) {
      this.unsupportedModifier(definition, modifier, name, ['identifier', 'missing', '[type]']);
      return false;
    }
    if (!definition.targets.includes(modifier)) {
      this.invalidParameter(
        name,
        `'${definition.code}' cannot reference a ${modifier} (allowed: ${definition.targets.join(', ')}).`,
      );
      return false;
    }
    return true;
  }

  // ---- chaining ------------------------------------------------------------------------------

  private parseChain(
    definition: SearchParamDefinition,
    typeModifier: string | undefined,
    chained: string,
    name: string,
    value: string,
  ): SearchFilter | undefined {
    if (definition.type !== 'reference') {
      this.invalidParameter(
        name,
        `'${definition.code}' is a ${definition.type} parameter; only reference parameters can be chained.`,
      );
      return undefined;
    }
    if (chained.includes('.')) {
      this.unsupported(
        name,
        `'${name}' chains more than one level; Carebridge supports one (for example subject:Patient.identifier).`,
      );
      return undefined;
    }
    const [chainedCode, chainedModifier, ...extra] = chained.split(':');
    if (!chainedCode || extra.length > 0 || chainedModifier === '') {
      this.unsupported(name, `'${name}' is not of the form reference[:Type].parameter[:modifier].`);
      return undefined;
    }
    if (typeModifier !== undefined && !this.isTargetTypeModifier(definition, typeModifier, name))
      return undefined;

    const targetTypes = this.chainTargets(definition, typeModifier, chainedCode, name);
    if (!targetTypes) return undefined;
    const chainedDefinition = searchParamDefinition(
      targetTypes[0] as string,
      chainedCode,
    ) as SearchParamDefinition;
    const filter = this.parseFilter(chainedDefinition, chainedModifier, name, value);
    if (!filter) return undefined;
    return {
      kind: 'chain',
      param: definition.code,
      ...(typeModifier ? { typeModifier } : {}),
      targetTypes,
      filter,
    };
  }

  /**
   * The types a chain searches: the `:Type` modifier's, or every supported target type that defines
   * the chained parameter. The chained parameter must mean the same kind of thing on all of them.
   */
  private chainTargets(
    definition: SearchParamDefinition,
    typeModifier: string | undefined,
    chainedCode: string,
    name: string,
  ): SupportedResourceType[] | undefined {
    if (typeModifier !== undefined) {
      if (!isSupportedResourceType(typeModifier)) {
        this.invalidParameter(
          name,
          `${typeModifier} is not a resource type Carebridge stores, so '${name}' can never match.`,
        );
        return undefined;
      }
      return this.definitionOrProblem(typeModifier, chainedCode, name) ? [typeModifier] : undefined;
    }
    const candidates = definition.targets
      .filter(isSupportedResourceType)
      .filter((type) => searchParamDefinition(type, chainedCode) !== undefined);
    if (candidates.length === 0) {
      this.unsupported(
        name,
        `None of the types '${definition.code}' can reference (${definition.targets.join(', ')}) has a supported search parameter '${chainedCode}'.`,
      );
      return undefined;
    }
    const types = new Set(
      candidates.map((type) => (searchParamDefinition(type, chainedCode) as SearchParamDefinition).type),
    );
    if (types.size > 1) {
      this.invalidParameter(
        name,
        `'${chainedCode}' means different things on ${candidates.join(', ')}; name the type, for example ${definition.code}:${candidates[0] as string}.${chainedCode}.`,
      );
      return undefined;
    }
    return candidates;
  }

  // ---- result --------------------------------------------------------------------------------

  finish(): SearchParseResult {
    if (this.errors.length > 0) return { ok: false, problems: this.errors, warnings: this.warnings };
    const cursor: CursorReference | undefined =
      this.cursorToken === undefined
        ? undefined
        : { token: this.cursorToken, withParams: this.hasSearchParametersBesidesCursor() };
    const query: SearchQuery = {
      resourceType: this.resourceType,
      filters: this.filters,
      sort: this.sort,
      count: this.count,
      include: this.include,
      revinclude: this.revinclude,
      total: this.total,
      ...(this.summary ? { summary: this.summary } : {}),
      ...(this.elements ? { elements: this.elements } : {}),
      ...(cursor ? { cursor } : {}),
    };
    return { ok: true, query, warnings: this.warnings };
  }

  private hasSearchParametersBesidesCursor(): boolean {
    return (
      this.searchParameterCount > 0 ||
      [...this.seenOnce].some((name) => name !== '_cursor') ||
      this.include.length + this.revinclude.length > 0
    );
  }
}

function withoutDefinition(parts: {
  sourceType: SupportedResourceType;
  param: string;
  targetType?: string;
}): IncludeSpec {
  return {
    sourceType: parts.sourceType,
    param: parts.param,
    ...(parts.targetType ? { targetType: parts.targetType } : {}),
  };
}

/** The supported parameter closest to a mistyped one (case-insensitive match or edit distance ≤ 2). */
function closestParameter(resourceType: SupportedResourceType, code: string): string | undefined {
  let best: { code: string; distance: number } | undefined;
  for (const candidate of supportedSearchParams(resourceType)) {
    const distance =
      candidate.code.toLowerCase() === code.toLowerCase()
        ? 0
        : editDistance(candidate.code.toLowerCase(), code.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { code: candidate.code, distance };
  }
  return best?.code;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
