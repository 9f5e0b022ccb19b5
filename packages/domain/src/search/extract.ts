import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import { FhirError } from '../fhir/errors.js';
import { isJsonObject, type FhirResource } from '../fhir/resource.js';
import { isSupportedResourceType } from '../fhir/resource-types.js';
import { dateRange, NEGATIVE_INFINITY, POSITIVE_INFINITY, type InstantRange } from './date-range.js';
import { decimalRange } from './decimal-range.js';
import {
  emptyIndexRows,
  type DateIndexRow,
  type NumberIndexRow,
  type QuantityIndexRow,
  type ReferenceIndexRow,
  type SearchIndexRows,
  type StringIndexRow,
  type TokenIndexRow,
  type UriIndexRow,
} from './index-rows.js';
import { parseReferenceTarget, typeFromReferenceType } from './reference-target.js';
import { indexedSearchParams, type SearchParamDefinition, type SearchParamType } from './registry.js';
import { normaliseSearchText, truncateUtf8 } from './text.js';

/**
 * Index extraction: evaluates each search parameter's official FHIRPath (restricted to the
 * resource's type) and converts the values into rows for the typed index tables. It runs on every
 * write, so expressions are compiled once per type and the conversions avoid allocation-heavy work.
 */

/** A value FHIRPath returned, with the FHIR type the R4 model gave it (undefined for computed values). */
interface TypedValue {
  type: string | undefined;
  data: unknown;
}

type Evaluator = (resource: FhirResource) => unknown[];

interface CompiledBranch {
  /** The FHIRPath; branches of different parameters often share one (Observation code and combo-code). */
  path: string;
  evaluate: Evaluator;
  /** False when the branch's top-level element is absent, so evaluating it would yield nothing. */
  mayHaveValues: (resource: FhirResource) => boolean;
  referencedType?: string;
}

interface CompiledParam {
  definition: SearchParamDefinition;
  branches: CompiledBranch[];
}

const compiledByType = new Map<string, CompiledParam[]>();

function compiledParamsFor(resourceType: string): CompiledParam[] {
  let compiled = compiledByType.get(resourceType);
  if (!compiled) {
    compiled = indexedSearchParams(resourceType).map((definition) => ({
      definition,
      branches: definition.branches.map((branch) => ({
        path: branch.path,
        evaluate: compileExpression(branch.path),
        mayHaveValues: topLevelPresenceCheck(resourceType, branch.path),
        ...(branch.referencedType ? { referencedType: branch.referencedType } : {}),
      })),
    }));
    compiledByType.set(resourceType, compiled);
  }
  return compiled;
}

function compileExpression(path: string): Evaluator {
  // resolveInternalTypes: false keeps the model's type on every node (Quantity vs Range, …).
  const evaluate = fhirpath.compile(path, r4Model, { resolveInternalTypes: false });
  return (resource) => evaluate(resource) as unknown[];
}

/**
 * The index rows for one resource. Duplicate rows (the same value reached through two branches,
 * e.g. DocumentReference masterIdentifier and identifier) are written once.
 */
export function extractIndexRows(resource: FhirResource): SearchIndexRows {
  return extract(resource, true);
}

/**
 * The same rows without the absent-element shortcut: every expression is evaluated. For tests,
 * which check that the shortcut never changes the result.
 */
export function extractIndexRowsExhaustively(resource: FhirResource): SearchIndexRows {
  return extract(resource, false);
}

function extract(resource: FhirResource, skipAbsentElements: boolean): SearchIndexRows {
  if (!isSupportedResourceType(resource.resourceType)) {
    throw new FhirError({
      code: 'resource-type-not-supported',
      diagnostics: `Cannot index a ${resource.resourceType}: it is not a resource type Carebridge supports.`,
    });
  }
  const rows = emptyIndexRows();
  const sink = new RowSink(rows);
  // Each distinct path is evaluated once per resource, however many parameters use it.
  const evaluated = new Map<string, TypedValue[]>();
  for (const param of compiledParamsFor(resource.resourceType)) {
    for (const branch of param.branches) {
      if (skipAbsentElements && !branch.mayHaveValues(resource)) continue;
      let values = evaluated.get(branch.path);
      if (!values) {
        values = evaluateBranch(param, branch, resource);
        evaluated.set(branch.path, values);
      }
      for (const value of values) addRows(param.definition, value, branch.referencedType, sink);
    }
  }
  return rows;
}

/**
 * Evaluating a FHIRPath costs about a microsecond even when its first step finds nothing, and a
 * typical resource has most of its type's ~30 parameters absent. For a plain path ("Type.element…",
 * optionally wrapped in parentheses) the result is certainly empty when the resource has no JSON key
 * for that element: `element`, `_element` (a primitive's extensions) or, for a choice element,
 * `element` + a type name. Expressions that compute a value from absence (`exists()`, `empty()`,
 * boolean operators) always run.
 */
function topLevelPresenceCheck(resourceType: string, path: string): (resource: FhirResource) => boolean {
  const match = /^\(*([A-Z][A-Za-z]+)\.([a-z][A-Za-z0-9]*)/.exec(path);
  const computesFromAbsence = /exists\(|empty\(|not\(|count\(|\s(and|or|xor|implies)\s|!=|=/.test(
    path.replace(/where\([^)]*\)/g, ''),
  );
  if (!match || match[1] !== resourceType || computesFromAbsence) return () => true;
  const element = match[2] as string;
  const isChoice = r4Model.choiceTypePaths[`${resourceType}.${element}`] !== undefined;
  if (!isChoice)
    return (resource) => resource[element] !== undefined || resource[`_${element}`] !== undefined;
  const choiceKey = new RegExp(`^_?${element}[A-Z]`);
  return (resource) => Object.keys(resource).some((key) => choiceKey.test(key));
}

function evaluateBranch(param: CompiledParam, branch: CompiledBranch, resource: FhirResource): TypedValue[] {
  let results: unknown[];
  try {
    results = branch.evaluate(resource);
  } catch (error) {
    // A resource FHIRPath cannot walk would be stored unsearchable; refuse it instead.
    throw new FhirError({
      code: 'invalid-resource',
      diagnostics: `The value for search parameter '${param.definition.code}' (${param.definition.expression}) could not be read: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
  return results.map(toTypedValue);
}

function toTypedValue(result: unknown): TypedValue {
  if (typeof result === 'object' && result !== null && 'data' in result) {
    const type = 'fhirNodeDataType' in result ? result.fhirNodeDataType : undefined;
    return { type: typeof type === 'string' ? type : undefined, data: result.data };
  }
  return { type: undefined, data: result };
}

/** Collects rows per table, dropping exact duplicates. */
class RowSink {
  private readonly seen = new Set<string>();

  constructor(private readonly rows: SearchIndexRows) {}

  private firstTime(table: string, key: readonly unknown[]): boolean {
    const signature = `${table}\u0000${key.join('\u0000')}`;
    if (this.seen.has(signature)) return false;
    this.seen.add(signature);
    return true;
  }

  token(row: TokenIndexRow): void {
    if (this.firstTime('token', [row.param, row.system, row.code, row.text])) this.rows.token.push(row);
  }
  string(row: StringIndexRow): void {
    if (this.firstTime('string', [row.param, row.exact])) this.rows.string.push(row);
  }
  reference(row: ReferenceIndexRow): void {
    if (this.firstTime('reference', [row.param, row.targetType, row.targetId, row.value]))
      this.rows.reference.push(row);
  }
  date(row: DateIndexRow): void {
    if (this.firstTime('date', [row.param, row.low, row.high])) this.rows.date.push(row);
  }
  number(row: NumberIndexRow): void {
    if (this.firstTime('number', [row.param, row.value, row.low, row.high])) this.rows.number.push(row);
  }
  quantity(row: QuantityIndexRow): void {
    if (
      this.firstTime('quantity', [row.param, row.value, row.low, row.high, row.system, row.code, row.unit])
    ) {
      this.rows.quantity.push(row);
    }
  }
  uri(row: UriIndexRow): void {
    if (this.firstTime('uri', [row.param, row.value])) this.rows.uri.push(row);
  }
}

const ADDERS: Record<
  SearchParamType,
  (param: string, value: TypedValue, sink: RowSink, referencedType?: string) => void
> = {
  token: addTokenRows,
  string: addStringRows,
  reference: addReferenceRows,
  date: addDateRows,
  number: addNumberRows,
  quantity: addQuantityRows,
  uri: addUriRows,
};

function addRows(
  definition: SearchParamDefinition,
  value: TypedValue,
  referencedType: string | undefined,
  sink: RowSink,
): void {
  ADDERS[definition.type](definition.code, value, sink, referencedType);
}

/**
 * A bare JSON string is a value only where the model expects a primitive (types are lower-case:
 * string, code, uri, dateTime…; undefined for computed values). A string where a HumanName or
 * Identifier belongs is malformed data and contributes nothing.
 */
function primitiveString(type: string | undefined, data: unknown): data is string {
  return typeof data === 'string' && data !== '' && (type === undefined || /^[a-z]/.test(type));
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string' && item !== '')
    : [];
}

function objects(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

// ---- token ---------------------------------------------------------------------------------

function lowerText(value: unknown): string | null {
  const raw = text(value);
  if (raw === undefined) return null;
  const normalised = normaliseSearchText(raw);
  return normalised === '' ? null : normalised;
}

function tokenRow(
  param: string,
  system: unknown,
  code: unknown,
  display: unknown,
): TokenIndexRow | undefined {
  const row: TokenIndexRow = {
    param,
    system: text(system) === undefined ? null : truncateUtf8(system as string),
    code: text(code) === undefined ? null : truncateUtf8(code as string),
    text: lowerText(display),
  };
  return row.system === null && row.code === null && row.text === null ? undefined : row;
}

function addTokenRows(param: string, { type, data }: TypedValue, sink: RowSink): void {
  const add = (row: TokenIndexRow | undefined): void => {
    if (row) sink.token(row);
  };
  if (typeof data === 'boolean') return add(tokenRow(param, null, String(data), null));
  if (primitiveString(type, data)) return add(tokenRow(param, null, data, null));
  if (!isJsonObject(data)) return;
  switch (type) {
    case 'Coding':
      return add(tokenRow(param, data.system, data.code, data.display));
    case 'CodeableConcept':
      for (const coding of objects(data.coding))
        add(tokenRow(param, coding.system, coding.code, coding.display));
      // CodeableConcept.text is searchable with :text even when no coding carries it.
      return add(tokenRow(param, null, null, data.text));
    case 'Identifier': {
      const identifierType = isJsonObject(data.type) ? data.type : {};
      const typeText = identifierType.text ?? objects(identifierType.coding)[0]?.display;
      return add(tokenRow(param, data.system, data.value, typeText));
    }
    case 'ContactPoint':
      // R4 token table: a ContactPoint's value is the code; ContactPoint.system is not a token system.
      return add(tokenRow(param, null, data.value, null));
    default:
      return;
  }
}

// ---- string --------------------------------------------------------------------------------

function addStringRows(param: string, { type, data }: TypedValue, sink: RowSink): void {
  for (const value of stringValues(type, data)) {
    const normalised = truncateUtf8(normaliseSearchText(value));
    if (normalised !== '') sink.string({ param, value: normalised, exact: value });
  }
}

function stringValues(type: string | undefined, data: unknown): string[] {
  if (primitiveString(type, data)) return [data];
  if (!isJsonObject(data)) return [];
  if (type === 'HumanName') {
    return [
      ...strings(data.family),
      ...strings(data.given),
      ...strings(data.prefix),
      ...strings(data.suffix),
      ...strings(data.text),
    ];
  }
  if (type === 'Address') {
    return [
      ...strings(data.line),
      ...strings(data.city),
      ...strings(data.district),
      ...strings(data.state),
      ...strings(data.postalCode),
      ...strings(data.country),
      ...strings(data.text),
    ];
  }
  return [];
}

// ---- reference -----------------------------------------------------------------------------

function addReferenceRows(
  param: string,
  { type, data }: TypedValue,
  sink: RowSink,
  referencedType?: string,
): void {
  if (primitiveString(type, data)) {
    // canonical / uri targets: matched on the URL as written; their type is unknown, so a
    // `where(resolve() is X)` branch cannot include them.
    if (referencedType === undefined)
      sink.reference({ param, targetType: null, targetId: null, value: data });
    return;
  }
  if (type !== 'Reference' || !isJsonObject(data)) return;
  const literal = text(data.reference);
  const target = literal === undefined ? undefined : parseReferenceTarget(literal);
  if (
    referencedType !== undefined &&
    (target?.resourceType ?? typeFromReferenceType(data.type)) !== referencedType
  )
    return;
  if (literal !== undefined) {
    sink.reference({
      param,
      targetType: target?.resourceType ?? null,
      targetId: target?.id ?? null,
      value: literal,
    });
  }
  const identifier = isJsonObject(data.identifier) ? data.identifier : undefined;
  const identifierValue = text(identifier?.value);
  if (identifier && identifierValue !== undefined) {
    // A logical reference: indexed as "system|value" for the :identifier modifier ("|value" without a system).
    sink.reference({
      param,
      targetType: null,
      targetId: null,
      value: `${text(identifier.system) ?? ''}|${identifierValue}`,
    });
  }
}

// ---- date ----------------------------------------------------------------------------------

function addDateRows(param: string, { type, data }: TypedValue, sink: RowSink): void {
  for (const range of dateRanges(type, data)) sink.date({ param, low: range.low, high: range.high });
}

function dateRanges(type: string | undefined, data: unknown): InstantRange[] {
  if (primitiveString(type, data)) {
    const range = dateRange(data);
    return range ? [range] : [];
  }
  if (!isJsonObject(data)) return [];
  if (type === 'Period') {
    const period = periodRange(data);
    return period ? [period] : [];
  }
  if (type === 'Timing') {
    return strings(data.event).flatMap((event) => {
      const range = dateRange(event);
      return range ? [range] : [];
    });
  }
  return [];
}

/** A Period covers from the start of its start to the end of its end; a missing side is open. */
function periodRange(period: Record<string, unknown>): InstantRange | undefined {
  const start = text(period.start);
  const end = text(period.end);
  if (start === undefined && end === undefined) return undefined;
  const startRange = start === undefined ? undefined : dateRange(start);
  const endRange = end === undefined ? undefined : dateRange(end);
  if ((start !== undefined && !startRange) || (end !== undefined && !endRange)) return undefined;
  return { low: startRange?.low ?? NEGATIVE_INFINITY, high: endRange?.high ?? POSITIVE_INFINITY };
}

// ---- number and quantity -------------------------------------------------------------------

/** The decimal text of a JSON number, or of fhirpath.js's decimal wrapper (which keeps the digits as written). */
function decimalText(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (isJsonObject(value) && typeof value.asStr === 'string') return value.asStr;
  return undefined;
}

function numberRow(param: string, value: unknown): NumberIndexRow | undefined {
  const decimal = decimalText(value);
  const range = decimal === undefined ? undefined : decimalRange(decimal);
  if (!range) return undefined;
  const row = { param, value: Number(range.value), low: Number(range.low), high: Number(range.high) };
  // Rows travel as JSON to the store, where a non-finite number would become null: near the double
  // limit a bound can overflow, and such a value is not indexed rather than written wrong.
  return Number.isFinite(row.low) && Number.isFinite(row.high) ? row : undefined;
}

function addNumberRows(param: string, { data }: TypedValue, sink: RowSink): void {
  const row = numberRow(param, data);
  if (row) sink.number(row);
}

/** Quantity and its specialisations (Age, Duration, Count, Distance, SimpleQuantity) have a value. */
const QUANTITY_TYPES = new Set(['Quantity', 'Age', 'Duration', 'Count', 'Distance', 'SimpleQuantity']);

function addQuantityRows(param: string, { type, data }: TypedValue, sink: RowSink): void {
  // Range and SampledData are not indexed: a Range has no single value for eq/gt to compare, and
  // SampledData holds a series (see the report on unsupported features).
  if (type === undefined || !QUANTITY_TYPES.has(type) || !isJsonObject(data)) return;
  const row = numberRow(param, data.value);
  if (!row) return;
  sink.quantity({
    ...row,
    system: text(data.system) === undefined ? null : truncateUtf8(data.system as string),
    code: text(data.code) === undefined ? null : truncateUtf8(data.code as string),
    unit: text(data.unit) ?? null,
  });
}

// ---- uri -----------------------------------------------------------------------------------

function addUriRows(param: string, { type, data }: TypedValue, sink: RowSink): void {
  if (primitiveString(type, data)) sink.uri({ param, value: truncateUtf8(data) });
}
