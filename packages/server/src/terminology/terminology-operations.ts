import type { ValueSet } from 'fhir/r4.js';
import {
  EXPANSION_TOTAL_CAP,
  FhirError,
  MIN_SEARCH_WORD_LENGTH,
  TERMINOLOGY_VALUE_SETS,
  isSearchableFilter,
  kindOfValueSet,
  normaliseSearchText,
  wordsOf,
  type Clock,
  type Problem,
  type TerminologyKind,
} from '@carebridge/domain';
import type { FhirRequest, FhirResponse } from '../fhir/request.js';
import { jsonResponse } from '../fhir/response.js';
import type { SqlExecutor } from '../store/database.js';
import { expand, releaseVersion, type ExpansionQuery } from './terminology-store.js';

/**
 * `GET /fhir/ValueSet/$expand?url=&filter=&offset=&count=`: the coded-entry pickers' search, paged
 * as FHIR R4 defines (expansion.total counts the matches, expansion.offset says where the page
 * starts). Terminology is not patient data, so any signed-in user may expand; the dispatcher still
 * authenticates and audits the call like every other interaction (naming no patient). What one call
 * may cost is bounded: the filter needs a word of at least MIN_SEARCH_WORD_LENGTH characters, and
 * matches are counted up to EXPANSION_TOTAL_CAP (beyond it `total` is left out and the parameter
 * `total-capped` is true).
 */
export const TERMINOLOGY_OPERATIONS = ['$expand'] as const;
export type TerminologyOperation = (typeof TERMINOLOGY_OPERATIONS)[number];

export const DEFAULT_EXPANSION_COUNT = 20;
export const MAX_EXPANSION_COUNT = 100;
/** Paging stops here: a picker's user refines the filter rather than reading on. */
export const MAX_EXPANSION_OFFSET = 10_000;
const MAX_FILTER_LENGTH = 200;
const MAX_FILTER_WORDS = 8;

export class TerminologyOperations {
  constructor(private readonly deps: { clock: Clock }) {}

  async perform(
    db: SqlExecutor,
    _operation: TerminologyOperation,
    request: FhirRequest,
  ): Promise<FhirResponse> {
    const query = expansionQuery(request.query);
    const { system, url } = TERMINOLOGY_VALUE_SETS[query.kind];
    // One after the other: inside a Bundle `db` is a single client, which runs one query at a time.
    const page = await expand(db, query);
    const version = await releaseVersion(db, system);
    const filter = request.query.find(([name]) => name === 'filter')?.[1];
    const capped = page.counted > EXPANSION_TOTAL_CAP;
    const valueSet: ValueSet = {
      resourceType: 'ValueSet',
      url,
      status: 'active',
      title: TERMINOLOGY_VALUE_SETS[query.kind].title,
      expansion: {
        timestamp: this.deps.clock.now().toISOString(),
        // Beyond the cap the total is left out (FHIR makes it optional) and `total-capped` says why.
        ...(capped ? {} : { total: page.counted }),
        offset: query.offset,
        parameter: [
          ...(filter === undefined ? [] : [{ name: 'filter', valueString: filter }]),
          { name: 'offset', valueInteger: query.offset },
          { name: 'count', valueInteger: query.count },
          ...(capped ? [{ name: 'total-capped', valueBoolean: true }] : []),
          ...(version === undefined ? [] : [{ name: 'used-codesystem', valueUri: `${system}|${version}` }]),
        ],
        contains: page.concepts.map((concept) => ({
          system: concept.system,
          code: concept.code,
          display: concept.display,
        })),
      },
    };
    return { ...jsonResponse(200, valueSet), patientIds: [] };
  }
}

/** Reads the parameters, naming every fault at once. */
export function expansionQuery(parameters: ReadonlyArray<[string, string]>): ExpansionQuery {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const values: Partial<Record<ExpansionParameter, string>> = {};
  for (const [name, value] of parameters) {
    if (!isExpansionParameter(name)) {
      problems.push(
        problem(
          'invalid-search-parameter',
          name,
          `$expand takes ${EXPANSION_PARAMETERS.join(', ')}, not '${name}'.`,
        ),
      );
    } else if (seen.has(name)) {
      problems.push(problem('invalid-search-parameter', name, `'${name}' is given more than once.`));
    } else {
      seen.add(name);
      values[name] = value;
    }
  }
  const kind = values.url === undefined ? undefined : kindOfValueSet(values.url);
  if (kind === undefined) {
    const known = Object.values(TERMINOLOGY_VALUE_SETS).map((valueSet) => valueSet.url);
    problems.push(
      problem(
        'invalid-search-value',
        'url',
        values.url === undefined
          ? `url is required: one of ${known.join(', ')}.`
          : `'${values.url}' is not a value set Carebridge expands (${known.join(', ')}).`,
      ),
    );
  }
  const filter = values.filter ?? '';
  const words = wordsOf(filter);
  if (filter.length > MAX_FILTER_LENGTH || words.length > MAX_FILTER_WORDS) {
    problems.push(
      problem(
        'invalid-search-value',
        'filter',
        `filter must be at most ${MAX_FILTER_LENGTH} characters and ${MAX_FILTER_WORDS} words.`,
      ),
    );
  } else if (!isSearchableFilter(filter)) {
    problems.push(
      problem(
        'invalid-search-value',
        'filter',
        `filter is required, with at least one word of ${MIN_SEARCH_WORD_LENGTH} or more letters or digits.`,
      ),
    );
  }
  const count = values.count === undefined ? DEFAULT_EXPANSION_COUNT : Number(values.count);
  if (!/^\d{1,4}$/.test(values.count ?? '20') || count < 1 || count > MAX_EXPANSION_COUNT) {
    problems.push(
      problem(
        'invalid-search-value',
        'count',
        `count must be a whole number from 1 to ${MAX_EXPANSION_COUNT}.`,
      ),
    );
  }
  const offset = values.offset === undefined ? 0 : Number(values.offset);
  if (!/^\d{1,5}$/.test(values.offset ?? '0') || offset > MAX_EXPANSION_OFFSET) {
    problems.push(
      problem(
        'invalid-search-value',
        'offset',
        `offset must be a whole number from 0 to ${MAX_EXPANSION_OFFSET}.`,
      ),
    );
  }
  if (problems.length > 0) throw new FhirError(problems);
  return { kind: kind as TerminologyKind, words, phrase: normaliseSearchText(filter), offset, count };
}

const EXPANSION_PARAMETERS = ['url', 'filter', 'offset', 'count'] as const;
type ExpansionParameter = (typeof EXPANSION_PARAMETERS)[number];

function isExpansionParameter(name: string): name is ExpansionParameter {
  return (EXPANSION_PARAMETERS as readonly string[]).includes(name);
}

function problem(code: Problem['code'], parameter: string, diagnostics: string): Problem {
  return { code, diagnostics, expression: [parameter] };
}
